// End-to-end encryption on myelin with matrix-js-sdk's Rust crypto (matrix-sdk-crypto-wasm): Olm/Megolm
// through /keys/* and /sendToDevice, cross-signing with password UIA, SAS verification, and
// server-side key backup restored through secret storage on a fresh device.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import * as sdk from "matrix-js-sdk";
import {
  CryptoEvent, VerificationPhase, VerifierEvent, decodeRecoveryKey,
} from "matrix-js-sdk/lib/crypto-api/index.js";
import { logger } from "matrix-js-sdk/lib/logger.js";

import { register, startFederatedServers, startServer, startSyncing } from "./harness.mjs";

// Quiet: the SDK's per-component loggers are created at debug level, every initRustCrypto turns the
// Rust crypto's tracing on at debug level, and the SDK logs harmless errors (MatrixRTC state for a
// room it has not stored yet), so the console is muted; failures still come out through node:test.
// E2EE_VERBOSE=1 keeps all of it.
if (!process.env.E2EE_VERBOSE) {
  logger.setLevel("silent");
  for (const method of ["log", "info", "debug", "trace", "warn", "error"]) console[method] = () => {};
}

let server;
const started = [];
const clients = {};
// The encoded recovery key of each user's secret storage, read by every device's getSecretStorageKey.
const recoveryKeys = new Map();
const password = (name) => `pw-${name}-long`;

// Logs a device in on `home` (by default the one server) and starts it with Rust crypto (in
// memory), waiting for its first sync.
async function login(name, home = server) {
  const response = await sdk.createClient({ baseUrl: home.url }).loginRequest({
    type: "m.login.password", identifier: { type: "m.id.user", user: name }, password: password(name),
  });
  const client = sdk.createClient({
    baseUrl: home.url, accessToken: response.access_token, userId: response.user_id,
    deviceId: response.device_id, verificationMethods: ["m.sas.v1"],
    cryptoCallbacks: {
      getSecretStorageKey: async ({ keys }) => {
        const encoded = recoveryKeys.get(response.user_id);
        const keyId = Object.keys(keys)[0];
        return encoded && keyId ? [keyId, decodeRecoveryKey(encoded)] : null;
      },
    },
  });
  await client.initRustCrypto({ useIndexedDB: false });
  started.push(client);
  await startSyncing(client);
  return client;
}

function waitFor(check, what, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const begun = Date.now();
    const poll = async () => {
      let value;
      try {
        value = await check();
      } catch (e) {
        return reject(e);
      }
      if (value) return resolve(value);
      if (Date.now() - begun > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 25);
    };
    poll();
  });
}

function once(emitter, event, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), timeoutMs);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

async function api(client, method, path, body) {
  const response = await fetch(server.url + path, {
    method, headers: { Authorization: `Bearer ${client.getAccessToken()}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

// The events of `roomId` as `client` sees them that were encrypted on the wire and decrypted to a text body.
function decryptedBodies(client, roomId) {
  const room = client.getRoom(roomId);
  if (!room) return [];
  return room.getLiveTimeline().getEvents()
    .filter((e) => e.isEncrypted() && !e.isDecryptionFailure() && e.getType() === "m.room.message")
    .map((e) => e.getContent().body);
}

function hasDecrypted(client, roomId, bodies) {
  return waitFor(() => {
    const seen = decryptedBodies(client, roomId);
    return bodies.every((b) => seen.includes(b));
  }, `${client.getUserId()}/${client.getDeviceId()} to decrypt ${JSON.stringify(bodies)}`);
}

// A user-interactive-auth callback for /keys/device_signing/upload: first without auth, then with the
// account password if the server asks. `log` records what happened.
function passwordAuth(client, log) {
  return async (makeRequest) => {
    try {
      const result = await makeRequest(null);
      log.push("no auth needed");
      return result;
    } catch (e) {
      if (e.httpStatus !== 401 || !e.data?.flows) throw e;
      log.push(e.data);
      const name = client.getUserId().slice(1).split(":")[0];
      return await makeRequest({
        type: "m.login.password", identifier: { type: "m.id.user", user: client.getUserId() },
        password: password(name), session: e.data.session,
      });
    }
  };
}

async function encryptedRoom(name) {
  const { alice, bob } = clients;
  const { room_id: roomId } = await alice.createRoom({ preset: "private_chat", is_direct: true, invite: [bob.getUserId()], name });
  await waitFor(() => bob.getRoom(roomId)?.getMyMembership() === "invite", "bob's invite");
  await bob.joinRoom(roomId);
  await waitFor(() => alice.getRoom(roomId)?.getMember(bob.getUserId())?.membership === "join", "bob's join");
  for (const client of [alice, bob]) {
    await waitFor(() => client.getCrypto().isEncryptionEnabledInRoom(roomId), "the room to be encrypted");
  }
  return roomId;
}

async function send(client, roomId, body) {
  const { event_id: eventId } = await client.sendMessage(roomId, { msgtype: "m.text", body });
  return eventId;
}

before(async () => {
  server = await startServer();
  const token = server.registrationToken();
  for (const name of ["alice", "bob", "carol"]) await register(server.url, name, password(name), token);
  clients.alice = await login("alice");
  clients.bob = await login("bob");
});

after(async () => {
  for (const client of started) client.stopClient();
  await server.stop();
});

test("alice and bob exchange messages in an encrypted room and decrypt each other's", async () => {
  const { alice, bob } = clients;
  const roomId = await encryptedRoom("e2ee chat");
  const encryption = alice.getRoom(roomId).currentState.getStateEvents("m.room.encryption", "");
  assert.equal(encryption?.getContent().algorithm, "m.megolm.v1.aes-sha2");

  await send(alice, roomId, "hello bob, secretly");
  await hasDecrypted(bob, roomId, ["hello bob, secretly"]);
  await send(bob, roomId, "hello alice, secretly");
  await hasDecrypted(alice, roomId, ["hello alice, secretly"]);

  const event = bob.getRoom(roomId).getLiveTimeline().getEvents().find((e) => e.getContent().body === "hello bob, secretly");
  assert.equal(event.getWireType(), "m.room.encrypted");
  assert.equal(event.getWireContent().algorithm, "m.megolm.v1.aes-sha2");
  assert.equal(event.getSender(), alice.getUserId());

  // The server holds only ciphertext.
  const history = await api(bob, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`);
  assert.equal(history.status, 200);
  const messages = history.body.chunk.filter((e) => e.type === "m.room.encrypted");
  assert.equal(messages.length, 2);
  for (const e of messages) {
    assert.equal(e.content.algorithm, "m.megolm.v1.aes-sha2");
    assert.equal(typeof e.content.ciphertext, "string");
    assert.ok(!JSON.stringify(e).includes("secretly"));
  }
  clients.firstRoom = roomId;
});

test("bob's second device decrypts messages sent after it joined", async () => {
  const { alice, bob } = clients;
  const roomId = clients.firstRoom;
  const from = alice.store.getSyncToken();
  const bob2 = await login("bob");
  clients.bob2 = bob2;
  assert.notEqual(bob2.getDeviceId(), bob.getDeviceId());

  // alice learns of the new device (device_lists.changed, then /keys/query) before she encrypts for it.
  await waitFor(async () => {
    const devices = (await alice.getCrypto().getUserDeviceInfo([bob.getUserId()])).get(bob.getUserId());
    return devices?.has(bob2.getDeviceId());
  }, "alice to see bob's second device");
  const changes = await api(alice, "GET",
    `/_matrix/client/v3/keys/changes?from=${encodeURIComponent(from)}&to=${encodeURIComponent(alice.store.getSyncToken())}`);
  assert.equal(changes.status, 200);
  assert.ok(changes.body.changed.includes(bob.getUserId()), JSON.stringify(changes.body));

  await send(alice, roomId, "for both of bob's devices");
  await hasDecrypted(bob2, roomId, ["for both of bob's devices"]);
  await hasDecrypted(bob, roomId, ["for both of bob's devices"]);
  // And the new device's own messages reach alice and bob's first device.
  await send(bob2, roomId, "from bob's second device");
  await hasDecrypted(alice, roomId, ["from bob's second device"]);
  await hasDecrypted(bob, roomId, ["from bob's second device"]);
});

test("replacing cross-signing keys needs password UIA; the first upload does not", async () => {
  const carol = await login("carol");
  const crypto = carol.getCrypto();
  const first = [];
  await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordAuth(carol, first) });
  assert.deepEqual(first, ["no auth needed"]);
  assert.ok(await crypto.isCrossSigningReady());
  const oldMaster = await crypto.getCrossSigningKeyId();

  // A replacement with a wrong password is refused...
  const refused = crypto.bootstrapCrossSigning({
    setupNewCrossSigning: true,
    authUploadDeviceSigningKeys: async (makeRequest) => {
      const challenge = await makeRequest(null).catch((e) => e);
      assert.equal(challenge.httpStatus, 401);
      return makeRequest({
        type: "m.login.password", identifier: { type: "m.id.user", user: carol.getUserId() },
        password: "not the password", session: challenge.data.session,
      });
    },
  });
  await assert.rejects(refused, (e) => e.httpStatus === 401 && e.data?.errcode === "M_FORBIDDEN");
  const keys = await api(carol, "POST", "/_matrix/client/v3/keys/query", { device_keys: { [carol.getUserId()]: [] } });
  assert.deepEqual(Object.keys(keys.body.master_keys[carol.getUserId()].keys), [`ed25519:${oldMaster}`]);

  // ...and one with the password succeeds.
  const second = [];
  await crypto.bootstrapCrossSigning({ setupNewCrossSigning: true, authUploadDeviceSigningKeys: passwordAuth(carol, second) });
  assert.equal(second.length, 1);
  assert.ok(second[0].flows.some((flow) => flow.stages.includes("m.login.password")), JSON.stringify(second[0]));
  assert.equal(typeof second[0].session, "string");
  const newMaster = await crypto.getCrossSigningKeyId();
  assert.notEqual(newMaster, oldMaster);
  const replaced = await api(carol, "POST", "/_matrix/client/v3/keys/query", { device_keys: { [carol.getUserId()]: [] } });
  assert.deepEqual(Object.keys(replaced.body.master_keys[carol.getUserId()].keys), [`ed25519:${newMaster}`]);

  // /sync reports the device's one-time key count and its unused fallback key (carol is in no room,
  // so this extra sync takes no to-device message from her client).
  const sync = await api(carol, "GET", "/_matrix/client/v3/sync?timeout=0");
  assert.equal(sync.status, 200);
  assert.ok(sync.body.device_one_time_keys_count?.signed_curve25519 > 0, JSON.stringify(sync.body.device_one_time_keys_count));
  assert.deepEqual(sync.body.device_unused_fallback_key_types, ["signed_curve25519"]);
  carol.stopClient();
});

test("cross-signing: bob verifies alice, and his other device trusts her too", async () => {
  const { alice, bob, bob2 } = clients;
  const aliceId = alice.getUserId();
  const bobId = bob.getUserId();
  for (const client of [alice, bob]) {
    const log = [];
    await client.getCrypto().bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordAuth(client, log) });
    assert.deepEqual(log, ["no auth needed"], "the first cross-signing upload needs no UIA");
    assert.ok(await client.getCrypto().isCrossSigningReady());
  }

  // bob's second device gets the cross-signing keys from secret storage with bob's recovery key.
  const bobRecovery = await bob.getCrypto().createRecoveryKeyFromPassphrase();
  recoveryKeys.set(bobId, bobRecovery.encodedPrivateKey);
  await bob.getCrypto().bootstrapSecretStorage({ createSecretStorageKey: async () => bobRecovery });
  await waitFor(() => bob2.getAccountData("m.cross_signing.master") && bob2.getAccountData("m.secret_storage.default_key"),
    "secret storage to reach bob's second device");
  await waitFor(() => bob2.getCrypto().userHasCrossSigningKeys(), "bob's second device to see bob's cross-signing keys");
  await bob2.getCrypto().bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordAuth(bob2, []) });
  assert.ok(await bob2.getCrypto().isCrossSigningReady());
  // The device signature bob's second device uploaded reaches alice.
  await waitFor(async () => (await alice.getCrypto().getDeviceVerificationStatus(bobId, bob2.getDeviceId()))?.signedByOwner,
    "alice to see bob's second device signed by bob");

  // Each side knows the other's cross-signing identity before verifying.
  await waitFor(() => bob.getCrypto().userHasCrossSigningKeys(aliceId), "bob to see alice's cross-signing keys");
  await waitFor(() => alice.getCrypto().userHasCrossSigningKeys(bobId), "alice to see bob's cross-signing keys");
  assert.equal((await bob.getCrypto().getUserVerificationStatus(aliceId)).isCrossSigningVerified(), false);

  // SAS verification over to-device messages between bob's first device and alice's device.
  const received = once(alice, CryptoEvent.VerificationRequestReceived);
  const bobRequest = await bob.getCrypto().requestDeviceVerification(aliceId, alice.getDeviceId());
  const [aliceRequest] = await received;
  assert.equal(aliceRequest.otherUserId, bobId);
  await aliceRequest.accept();
  await waitFor(() => bobRequest.phase === VerificationPhase.Ready, "the request to be ready");
  const bobVerifier = await bobRequest.startVerification("m.sas.v1");
  await waitFor(() => aliceRequest.verifier, "alice's verifier");
  const aliceVerifier = aliceRequest.verifier;
  const shown = [once(bobVerifier, VerifierEvent.ShowSas), once(aliceVerifier, VerifierEvent.ShowSas)];
  const verified = [bobVerifier.verify(), aliceVerifier.verify()];
  const [[bobSas], [aliceSas]] = await Promise.all(shown);
  assert.deepEqual(bobSas.sas.decimal, aliceSas.sas.decimal);
  assert.deepEqual(bobSas.sas.emoji, aliceSas.sas.emoji);
  await Promise.all([bobSas.confirm(), aliceSas.confirm()]);
  await Promise.all(verified);
  await waitFor(() => bobRequest.phase === VerificationPhase.Done && aliceRequest.phase === VerificationPhase.Done,
    "both requests to be done");

  await waitFor(async () => (await bob.getCrypto().getUserVerificationStatus(aliceId)).isCrossSigningVerified(),
    "bob to trust alice");
  await waitFor(async () => (await alice.getCrypto().getUserVerificationStatus(bobId)).isCrossSigningVerified(),
    "alice to trust bob");

  // bob's signature of alice's master key is on the server, visible to bob.
  const bobUsk = await bob.getCrypto().getCrossSigningKeyId("user_signing");
  const query = await api(bob2, "POST", "/_matrix/client/v3/keys/query", { device_keys: { [aliceId]: [] } });
  assert.equal(query.status, 200);
  assert.ok(query.body.master_keys[aliceId].signatures?.[bobId]?.[`ed25519:${bobUsk}`],
    `bob's signature on alice's master key: ${JSON.stringify(query.body.master_keys[aliceId])}`);

  // bob's second device, told that alice's keys changed, trusts her through bob's user-signing key.
  await waitFor(async () => (await bob2.getCrypto().getUserVerificationStatus(aliceId)).isCrossSigningVerified(),
    "bob's second device to trust alice");
  const aliceDevice = await bob2.getCrypto().getDeviceVerificationStatus(aliceId, alice.getDeviceId());
  assert.ok(aliceDevice.crossSigningVerified);
});

test("key backup: a fresh device restores keys from the backup and decrypts earlier messages", async () => {
  const { alice, bob } = clients;
  const aliceId = alice.getUserId();
  const crypto = alice.getCrypto();
  const recovery = await crypto.createRecoveryKeyFromPassphrase();
  recoveryKeys.set(aliceId, recovery.encodedPrivateKey);
  await crypto.bootstrapSecretStorage({ createSecretStorageKey: async () => recovery, setupNewKeyBackup: true });
  const version = await waitFor(() => crypto.getActiveSessionBackupVersion(), "the key backup to be active");
  const info = await api(alice, "GET", "/_matrix/client/v3/room_keys/version");
  assert.equal(info.status, 200);
  assert.equal(info.body.version, version);
  assert.equal(info.body.algorithm, "m.megolm_backup.v1.curve25519-aes-sha2");

  const roomId = await encryptedRoom("e2ee backup");
  const bodies = ["backed up one", "backed up two", "backed up three"];
  for (const body of bodies) await send(alice, roomId, body);
  await hasDecrypted(bob, roomId, bodies);
  const sessionId = bob.getRoom(roomId).getLiveTimeline().getEvents()
    .find((e) => e.getContent().body === bodies[0]).getWireContent().session_id;
  const path = `/_matrix/client/v3/room_keys/keys/${encodeURIComponent(roomId)}/${encodeURIComponent(sessionId)}`;
  // The SDK uploads new keys to the backup after a random delay of up to 10 s.
  await waitFor(async () => (await api(alice, "GET", `${path}?version=${version}`)).status === 200,
    "alice's megolm session to be in the backup", 30000);
  const stored = await api(alice, "GET", `${path}?version=${version}`);
  assert.equal(typeof stored.body.session_data.ciphertext, "string");
  assert.equal(typeof stored.body.first_message_index, "number");

  // A device that did not exist when the messages were sent cannot decrypt them until it restores the backup.
  const fresh = await login("alice");
  await waitFor(() => fresh.getRoom(roomId)?.getLiveTimeline().getEvents()
    .filter((e) => e.isEncrypted()).length >= bodies.length, "the fresh device to see the messages");
  assert.deepEqual(decryptedBodies(fresh, roomId), []);
  await waitFor(() => fresh.getAccountData("m.megolm_backup.v1"), "the backup key in secret storage");
  await fresh.getCrypto().loadSessionBackupPrivateKeyFromSecretStorage();
  const restored = await fresh.getCrypto().restoreKeyBackup();
  assert.ok(restored.total >= 1, JSON.stringify(restored));
  await hasDecrypted(fresh, roomId, bodies);
  // The backup holds every session alice had when it was made, bob's too.
  await hasDecrypted(fresh, clients.firstRoom, ["hello bob, secretly", "hello alice, secretly"]);
});

describe("across two servers", () => {
  let hs1, hs2, alice, bob;
  let roomId;

  before(async () => {
    [hs1, hs2] = await startFederatedServers();
    await register(hs1.url, "alice", password("alice"), hs1.registrationToken());
    await register(hs2.url, "bob", password("bob"), hs2.registrationToken());
    alice = await login("alice", hs1);
    bob = await login("bob", hs2);
  });

  after(async () => {
    for (const client of [alice, bob]) client?.stopClient();
    await Promise.all([hs1, hs2].filter(Boolean).map((s) => s.stop()));
  });

  test("users of two servers decrypt each other's messages", async () => {
    // Joined by alias (invites do not cross servers yet), encrypted from the start.
    ({ room_id: roomId } = await alice.createRoom({
      preset: "public_chat", room_alias_name: "secret",
      initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
    }));
    await bob.joinRoom("#secret:hs1.test");
    await waitFor(() => alice.getRoom(roomId)?.getMember(bob.getUserId())?.membership === "join", "bob's join");
    for (const client of [alice, bob])
      await waitFor(() => client.getCrypto().isEncryptionEnabledInRoom(roomId), "the room to be encrypted");

    await send(alice, roomId, "across servers, secretly");
    await hasDecrypted(bob, roomId, ["across servers, secretly"]);
    await send(bob, roomId, "back again, secretly");
    await hasDecrypted(alice, roomId, ["back again, secretly"]);
  });

  test("a second device added later on the other server decrypts what is sent after", async () => {
    const bob2 = await login("bob", hs2);
    try {
      // alice's server hears of the new device (m.device_list_update), her client asks again.
      await waitFor(async () => {
        const devices = (await alice.getCrypto().getUserDeviceInfo([bob.getUserId()])).get(bob.getUserId());
        return devices?.has(bob2.getDeviceId());
      }, "alice to see bob's second device");
      await send(alice, roomId, "for both devices on hs2");
      await hasDecrypted(bob2, roomId, ["for both devices on hs2"]);
      await hasDecrypted(bob, roomId, ["for both devices on hs2"]);
      await send(bob2, roomId, "from the second device");
      await hasDecrypted(alice, roomId, ["from the second device"]);
    } finally {
      bob2.stopClient();
    }
  });
});
