// Two myelin servers federating on loopback through links the test can cut, driven by
// matrix-js-sdk: a server stopped while the other's users talk gets every missed event within
// seconds of its restart, and after a partition in which both sides changed power levels and
// membership, both servers hold the same resolved state.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { logger } from "matrix-js-sdk/lib/logger.js";

import { startFederatedServers, syncingUser, waitFor } from "./harness.mjs";

logger.setLevel("silent");  // the SDK logs every failed sync while a server is down

let hs1, hs2;
const started = [];

const user = (server, name) => syncingUser(server, name, started);

// A client API call as `client`, outside its sync loop: the parsed answer of a 200.
async function call(client, path) {
  const response = await fetch(client.baseUrl + "/_matrix/client/v3" + path,
    { headers: { Authorization: `Bearer ${client.getAccessToken()}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

// The bodies of the newest messages of the room as `client`'s server has them, oldest first.
async function bodies(client, roomId) {
  const page = await call(client, `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`);
  return page.chunk.filter((e) => e.type === "m.room.message").map((e) => e.content.body).reverse();
}

// The room's current state on `client`'s server: "type|state_key" → event ID.
async function state(client, roomId) {
  const events = await call(client, `/rooms/${encodeURIComponent(roomId)}/state`);
  return Object.fromEntries(events.map((e) => [`${e.type}|${e.state_key}`, e.event_id]).sort());
}

function membership(client, roomId, userId) {
  return client.getRoom(roomId)?.getMember(userId)?.membership;
}

// Polls an async check until it holds; rejects after timeoutMs.
async function eventually(check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let alice, bob, carol, dave;

before(async () => {
  [hs1, hs2] = await startFederatedServers(["hs1.test", "hs2.test"], { encryption_by_default: "off" }, { links: true });
  alice = await user(hs1, "alice");
  carol = await user(hs1, "carol");
  bob = await user(hs2, "bob");
  dave = await user(hs2, "dave");
});

after(async () => {
  for (const client of started) client.stopClient();
  await Promise.all([hs1, hs2].filter(Boolean).map((server) => server.stop()));
});

test("a server stopped while the other's users talk gets every missed event soon after its restart", async () => {
  const { room_id: roomId } = await alice.createRoom({ preset: "public_chat", name: "Outage" });
  await bob.joinRoom(roomId, { viaServers: ["hs1.test"] });
  await waitFor(() => membership(alice, roomId, bob.getUserId()) === "join", 15000);

  await hs2.stop();
  const sent = [];
  for (let i = 0; i < 20; i++) {
    sent.push(`while hs2 was down ${i}`);
    await alice.sendTextMessage(roomId, sent.at(-1));
  }
  await alice.setRoomTopic(roomId, "changed while hs2 was down");
  // Long enough for hs1's retries to back off a few times (1 s, 2 s, 4 s …).
  await new Promise((resolve) => setTimeout(resolve, 5000));

  const restarted = Date.now();
  await hs2.restart();
  await eventually(async () => (await bodies(bob, roomId)).join() === sent.join());
  const seconds = (Date.now() - restarted) / 1000;
  console.log(`hs2 had the ${sent.length} missed messages ${seconds.toFixed(1)} s after its restart`);
  assert.ok(seconds < 20, `took ${seconds} s`);
  const topic = await call(bob, `/rooms/${encodeURIComponent(roomId)}/state/m.room.topic/`);
  assert.equal(topic.topic, "changed while hs2 was down");
  // bob's client, which kept retrying its sync while hs2 was down, catches up too.
  await waitFor(() => bob.getRoom(roomId)?.getLiveTimeline().getEvents()
    .some((e) => e.getContent().body === sent.at(-1)), 30000);
});

// Room version 10 resolves with state resolution v2, 12 with v2.1 (where alice, the creator, is
// above every power level).
for (const version of ["10", "12"])
test(`after a partition in which both sides changed power levels and membership, both hold the same state (v${version})`, async () => {
  const users = { [bob.getUserId()]: 50 };
  if (version !== "12") users[alice.getUserId()] = 100;
  const { room_id: roomId } = await alice.createRoom({
    preset: "public_chat",
    name: "Partition",
    room_version: version,
    power_level_content_override: { users, events: { "m.room.power_levels": 50 } },
  });
  await carol.joinRoom(roomId);
  await bob.joinRoom(roomId, { viaServers: ["hs1.test"] });
  await dave.joinRoom(roomId, { viaServers: ["hs1.test"] });
  const member = (client, userId) =>
    call(client, `/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(userId)}`);
  for (const client of [alice, bob]) {
    await eventually(async () => {
      for (const other of [carol, bob, dave]) {
        if ((await member(client, other.getUserId()).catch(() => ({}))).membership !== "join") return false;
      }
      return true;
    });
  }

  assert.deepEqual(await state(bob, roomId), await state(alice, roomId));

  hs2.cut();
  // hs1's side: alice takes bob's moderator level away and kicks dave.
  await alice.setPowerLevel(roomId, bob.getUserId(), 0);
  await alice.kick(roomId, dave.getUserId(), "partition");
  // hs2's side, meanwhile: bob (50 as far as hs2 knows) makes dave a moderator and bans carol.
  await bob.setPowerLevel(roomId, dave.getUserId(), 50);
  await bob.ban(roomId, carol.getUserId(), "partition");
  assert.notDeepEqual(await state(bob, roomId), await state(alice, roomId));
  hs2.heal();
  await alice.sendTextMessage(roomId, "healed, says hs1");
  await bob.sendTextMessage(roomId, "healed, says hs2");

  // State resolution puts alice's power level change first (she has the higher level); bob's
  // change and ban are then no longer allowed, and alice's kick stands.
  const healed = Date.now();
  await eventually(async () =>
    JSON.stringify(await state(alice, roomId)) === JSON.stringify(await state(bob, roomId)));
  console.log(`both servers held the same state ${((Date.now() - healed) / 1000).toFixed(1)} s after the partition`);
  for (const client of [alice, bob]) {
    const levels = await call(client, `/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`);
    assert.equal(levels.users[bob.getUserId()] ?? 0, 0);
    assert.equal(levels.users[dave.getUserId()] ?? 0, 0);
    assert.equal((await member(client, dave.getUserId())).membership, "leave");
    assert.equal((await member(client, carol.getUserId())).membership, "join");
  }
  // And the room goes on: both see each other's messages.
  await eventually(async () => (await bodies(alice, roomId)).includes("healed, says hs2"));
  await eventually(async () => (await bodies(bob, roomId)).includes("healed, says hs1"));
});
