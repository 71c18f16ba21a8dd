// Two myelin servers federating on loopback (TLS from a CA the test makes), driven by
// matrix-js-sdk: joins by alias and by room ID in both directions, messages in the same order
// on both servers, state, redactions, profile changes, typing and receipts, and power levels
// and bans enforced across servers, invites across servers accepted and rejected, and history
// from before a remote user joined back-filled into /messages (within history visibility).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

import { startFederatedServers, syncingUser, waitFor } from "./harness.mjs";

logger.setLevel("warn");

let hs1, hs2;
const started = [];

const user = (server, name) => syncingUser(server, name, started);

// The room's live timeline on `client`: [type, sender, body or state key] of each event.
function timeline(client, roomId) {
  const room = client.getRoom(roomId);
  return room ? room.getLiveTimeline().getEvents() : [];
}

function messages(client, roomId) {
  return timeline(client, roomId)
    .filter((e) => e.getType() === "m.room.message")
    .map((e) => e.getId());
}

// Resolves once `client` has an event in the room for which `match` holds.
function seen(client, roomId, match, timeoutMs = 15000) {
  return waitFor(() => timeline(client, roomId).find(match), timeoutMs);
}

let alice, bob;

before(async () => {
  // Plaintext rooms: these clients run without crypto.
  [hs1, hs2] = await startFederatedServers(["hs1.test", "hs2.test"], { encryption_by_default: "off" });
  alice = await user(hs1, "alice");
  bob = await user(hs2, "bob");
});

after(async () => {
  for (const client of started) client.stopClient();
  await Promise.all([hs1, hs2].filter(Boolean).map((server) => server.stop()));
});

let lobby;

test("a user of another server joins by alias and both see the same messages in the same order", async () => {
  ({ room_id: lobby } = await alice.createRoom({ preset: "public_chat", room_alias_name: "lobby", name: "Lobby" }));
  const joined = await bob.joinRoom("#lobby:hs1.test");
  assert.equal(joined.roomId, lobby);
  await seen(alice, lobby, (e) => e.getType() === "m.room.member" && e.getStateKey() === bob.getUserId());
  await waitFor(() => bob.getRoom(lobby)?.name === "Lobby");

  for (let i = 0; i < 3; i++) {
    for (const [from, to] of [[alice, bob], [bob, alice]]) {
      const body = `${from === alice ? "a" : "b"}${i}`;
      const { event_id: id } = await from.sendTextMessage(lobby, body);
      await seen(to, lobby, (e) => e.getId() === id);
    }
  }
  assert.equal(messages(alice, lobby).length, 6);
  assert.deepEqual(messages(bob, lobby), messages(alice, lobby));
});

test("state, redactions and profile changes cross in both directions", async () => {
  await alice.setRoomTopic(lobby, "Talk here");
  await waitFor(() => bob.getRoom(lobby)?.currentState.getStateEvents("m.room.topic", "")?.getContent().topic ===
    "Talk here");

  const { event_id: mine } = await bob.sendTextMessage(lobby, "oops");
  await seen(alice, lobby, (e) => e.getId() === mine);
  await bob.redactEvent(lobby, mine);
  await waitFor(() => alice.getRoom(lobby).findEventById(mine)?.isRedacted());

  await bob.setDisplayName("Bob from hs2");
  await waitFor(() => alice.getRoom(lobby).getMember(bob.getUserId())?.name === "Bob from hs2");
});

test("typing and read receipts reach the other server", async () => {
  await alice.sendTyping(lobby, true, 20000);
  await waitFor(() => bob.getRoom(lobby)?.getMember(alice.getUserId())?.typing);
  await alice.sendTyping(lobby, false);
  await waitFor(() => bob.getRoom(lobby)?.getMember(alice.getUserId())?.typing === false);

  const { event_id: id } = await alice.sendTextMessage(lobby, "read me");
  const event = await seen(bob, lobby, (e) => e.getId() === id);
  await bob.sendReadReceipt(event);
  await waitFor(() => alice.getRoom(lobby).getUsersReadUpTo(alice.getRoom(lobby).findEventById(id))
    .includes(bob.getUserId()));
});

test("a user joins a room of the other server by room ID through a via server", async () => {
  const { room_id: roomId } = await bob.createRoom({ preset: "public_chat", name: "Bob's place" });
  await alice.joinRoom(roomId, { viaServers: ["hs2.test"] });
  await seen(bob, roomId, (e) => e.getType() === "m.room.member" && e.getStateKey() === alice.getUserId());
  const { event_id: id } = await alice.sendTextMessage(roomId, "hello from hs1");
  await seen(bob, roomId, (e) => e.getId() === id);
});

test("a user invited from another server sees the room's name, joins and talks", async () => {
  const { room_id: roomId } = await alice.createRoom({ preset: "private_chat", name: "Secret plans" });
  await alice.invite(roomId, bob.getUserId());
  await waitFor(() => bob.getRoom(roomId)?.getMyMembership() === "invite");
  await waitFor(() => bob.getRoom(roomId)?.name === "Secret plans");
  await bob.joinRoom(roomId);
  await seen(alice, roomId, (e) => e.getType() === "m.room.member" && e.getStateKey() === bob.getUserId() &&
    e.getContent().membership === "join");
  const { event_id: hello } = await bob.sendTextMessage(roomId, "hi alice");
  await seen(alice, roomId, (e) => e.getId() === hello);
  const { event_id: back } = await alice.sendTextMessage(roomId, "hi bob");
  await seen(bob, roomId, (e) => e.getId() === back);
});

test("an invite from another server is rejected", async () => {
  const carol = await user(hs2, "carol");
  const { room_id: roomId } = await alice.createRoom({ preset: "private_chat", name: "Not for carol" });
  await alice.invite(roomId, carol.getUserId());
  await waitFor(() => carol.getRoom(roomId)?.getMyMembership() === "invite");
  await carol.leave(roomId);
  await waitFor(() => alice.getRoom(roomId)?.getMember(carol.getUserId())?.membership === "leave");
  await waitFor(() => carol.getRoom(roomId)?.getMyMembership() !== "invite");
});

test("power levels and bans hold across servers", async () => {
  // bob has power level 0; public_chat needs 50 for state.
  await assert.rejects(bob.setRoomName(lobby, "Bob's now"), (error) => error.httpStatus === 403);
  await alice.ban(lobby, bob.getUserId(), "testing");
  await waitFor(() => bob.getRoom(lobby)?.getMyMembership() === "ban");
  await assert.rejects(bob.sendTextMessage(lobby, "still here?"), (error) => error.httpStatus === 403);
  assert.equal(alice.getRoom(lobby).getMember(bob.getUserId()).membership, "ban");
});

// Every m.room.message body /messages gives `client` paging back from now, newest first.
async function pagedBack(client, roomId) {
  const bodies = [];
  let from = null;
  for (let pages = 0; pages < 40; pages++) {
    const page = await client.createMessagesRequest(roomId, from, 10, sdk.Direction.Backward);
    for (const event of page.chunk) if (event.type === "m.room.message") bodies.push(event.content.body);
    if (!page.end) break;
    from = page.end;
  }
  return bodies;
}

async function roomWithHistory(name, visibility) {
  const { room_id: roomId } = await bob.createRoom({
    preset: "public_chat",
    name,
    initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: visibility } }],
  });
  for (let i = 0; i < 30; i++) await bob.sendTextMessage(roomId, `${name} ${i}`);
  await alice.joinRoom(roomId, { viaServers: ["hs2.test"] });
  await seen(bob, roomId, (e) => e.getType() === "m.room.member" && e.getStateKey() === alice.getUserId());
  return roomId;
}

test("history from before a remote user joined back-fills, in order, with shared visibility", async () => {
  const roomId = await roomWithHistory("shared", "shared");
  const expected = Array.from({ length: 30 }, (_, i) => `shared ${29 - i}`);
  assert.deepEqual(await pagedBack(alice, roomId), expected);
  // The SDK's own back-pagination walks the same history into its timeline, oldest first.
  const room = alice.getRoom(roomId);
  while (timeline(alice, roomId)[0]?.getType() !== "m.room.create") {
    const before = timeline(alice, roomId).length;
    await alice.scrollback(room, 20);
    if (timeline(alice, roomId).length === before) break;
  }
  const shown = timeline(alice, roomId).filter((e) => e.getType() === "m.room.message").map((e) => e.getContent().body);
  assert.deepEqual(shown, [...expected].reverse());
});

test("history from before a remote user joined stays hidden with joined visibility", async () => {
  const roomId = await roomWithHistory("joined", "joined");
  assert.deepEqual(await pagedBack(alice, roomId), []);
  const { event_id: id } = await bob.sendTextMessage(roomId, "joined after");
  await seen(alice, roomId, (e) => e.getId() === id);
  assert.deepEqual(await pagedBack(alice, roomId), ["joined after"]);
});
