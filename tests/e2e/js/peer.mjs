// A matrix-js-sdk client with Rust crypto, driven over stdin/stdout by the Python end-to-end
// encryption test (../test_e2ee_nio.py), so that a nio client and a js-sdk client can talk in
// the same encrypted room.
//
//   node peer.mjs <homeserver url> <user> <password> <room id>
//
// It logs in (a new device), starts Rust crypto with an in-memory store, syncs, joins the room
// (it must be invited) and waits until the room is encrypted and its own device keys are on the
// server. Then it speaks JSON lines:
//   out: {"ready": true, "user_id": …, "device_id": …}
//   in:  {"cmd": "send", "body": "…"}   out: {"sent": "<event id>", "body": "…"}
//   in:  {"cmd": "quit"}                (or end of stdin) stops the client and exits
//   out: {"decrypted": {"event_id", "sender", "type", "wire_type", "body"}} for every message of
//        the room it decrypted, {"undecryptable": {"event_id", "sender", "reason"}} for each
//        failed attempt (a later success may follow once the key arrives),
//        {"error": "…"} when something failed.
// stdout carries only these lines; the SDK's logging goes to stderr (warnings and errors, or
// everything with MYELIN_PEER_DEBUG=1).
import { createInterface } from "node:readline";
import { format } from "node:util";

import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

const verbose = Boolean(process.env.MYELIN_PEER_DEBUG);
for (const method of ["log", "info", "debug", "trace", "warn", "error"]) {
  const shown = verbose || method === "warn" || method === "error";
  console[method] = shown ? (...args) => process.stderr.write(format(...args) + "\n") : () => {};
}
logger.setLevel(verbose ? "debug" : "warn");

function emit(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

function fail(error) {
  emit({ error: String(error?.stack ?? error) });
  process.exit(1);
}

async function waitFor(check, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Never outlive the test that started us.
setTimeout(() => fail("peer ran longer than 5 minutes"), 300000).unref();

const [url, user, password, roomId] = process.argv.slice(2);
if (!roomId) fail("usage: node peer.mjs <homeserver url> <user> <password> <room id>");

async function start() {
  const login = await sdk.createClient({ baseUrl: url }).loginRequest({
    type: "m.login.password", identifier: { type: "m.id.user", user }, password,
    initial_device_display_name: "js peer",
  });
  const client = sdk.createClient({
    baseUrl: url, accessToken: login.access_token, userId: login.user_id, deviceId: login.device_id,
  });
  await client.initRustCrypto({ useIndexedDB: false });

  client.on(sdk.MatrixEventEvent.Decrypted, (event) => {
    if (event.getRoomId() !== roomId) return;
    if (event.isDecryptionFailure()) {
      emit({ undecryptable: { event_id: event.getId(), sender: event.getSender(), reason: event.decryptionFailureReason } });
    } else if (event.getType() === "m.room.message") {
      emit({ decrypted: { event_id: event.getId(), sender: event.getSender(), type: event.getType(),
                          wire_type: event.getWireType(), body: event.getContent().body } });
    }
  });

  const prepared = new Promise((resolve) => client.once(sdk.ClientEvent.Sync, resolve));
  await client.startClient({ initialSyncLimit: 20 });
  const state = await prepared;
  if (state !== "PREPARED") throw new Error(`first sync ended in state ${state}`);

  await client.joinRoom(roomId);
  await waitFor(() => client.getRoom(roomId)?.getMyMembership() === "join", "the join to come down /sync");
  await waitFor(() => client.getCrypto().isEncryptionEnabledInRoom(roomId), "the room to be encrypted");

  // The crypto machine uploads the device keys on its own after a sync; wait until others can see them.
  await waitFor(async () => {
    const response = await fetch(`${url}/_matrix/client/v3/keys/query`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${login.access_token}` },
      body: JSON.stringify({ device_keys: { [login.user_id]: [] } }),
    });
    const body = await response.json();
    return response.ok && body.device_keys?.[login.user_id]?.[login.device_id];
  }, "the device keys to be uploaded");

  emit({ ready: true, user_id: login.user_id, device_id: login.device_id });
  return client;
}

async function serve(client) {
  for await (const line of createInterface({ input: process.stdin })) {
    let command;
    try {
      command = JSON.parse(line);
    } catch {
      emit({ error: `not JSON: ${line}` });
      continue;
    }
    if (command.cmd === "quit") break;
    if (command.cmd !== "send") {
      emit({ error: `unknown command: ${line}` });
      continue;
    }
    try {
      const { event_id: eventId } = await client.sendMessage(roomId, { msgtype: "m.text", body: command.body });
      emit({ sent: eventId, body: command.body });
    } catch (error) {
      emit({ error: `send failed: ${error?.stack ?? error}` });
    }
  }
  client.stopClient();
  process.exit(0);
}

start().then(serve, fail);
