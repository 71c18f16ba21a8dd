// End-to-end: two matrix-js-sdk clients chat on myelin through the SDK's own sync loop.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

import { register, startServer, startSyncing, waitFor } from "./harness.mjs";

logger.setLevel("warn");

let server;
const clients = {};
const started = [];

async function login(name) {
  const client = sdk.createClient({ baseUrl: server.url });
  const response = await client.loginRequest({
    type: "m.login.password", identifier: { type: "m.id.user", user: name }, password: `pw-${name}-long`,
  });
  const logged = sdk.createClient({
    baseUrl: server.url, accessToken: response.access_token, userId: response.user_id, deviceId: response.device_id,
  });
  started.push(logged);
  await startSyncing(logged);
  return logged;
}

// Resolves with the first event for which `match` is true, seen live on `client`'s timelines.
function nextEvent(client, match, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out waiting for an event")), timeoutMs);
    const listener = (event, room, toStartOfTimeline) => {
      if (toStartOfTimeline || !match(event)) return;
      clearTimeout(timer);
      client.off(sdk.RoomEvent.Timeline, listener);
      resolve(event);
    };
    client.on(sdk.RoomEvent.Timeline, listener);
  });
}

before(async () => {
  // These clients run without crypto, which refuses encrypted rooms: plaintext private rooms.
  server = await startServer({ encryption_by_default: "off" });
  const token = server.registrationToken();
  for (const name of ["alice", "bob"]) await register(server.url, name, `pw-${name}-long`, token);
  clients.alice = await login("alice");
  clients.bob = await login("bob");
});

after(async () => {
  for (const client of started) client.stopClient();
  await server.stop();
});

async function sharedRoom(options = {}) {
  const { alice, bob } = clients;
  const invited = nextEvent(bob, (e) => e.getType() === "m.room.member" && e.getStateKey() === bob.getUserId());
  const { room_id: roomId } = await alice.createRoom({ invite: [bob.getUserId()], ...options });
  await waitFor(() => bob.getRoom(roomId)?.getMyMembership() === "invite").catch(() => invited);
  await bob.joinRoom(roomId);
  await waitFor(() => alice.getRoom(roomId)?.getMember(bob.getUserId())?.membership === "join");
  return roomId;
}

test("100 messages arrive live on both sides and back-paginate in order", async () => {
  const { alice, bob } = clients;
  const roomId = await sharedRoom({ name: "js hundred" });
  const sent = [];
  const received = { alice: [], bob: [] };
  for (const [name, client] of Object.entries(clients)) {
    client.on(sdk.RoomEvent.Timeline, (event, room, toStart) => {
      // Only the other side's messages: our own appear first as local echoes.
      if (!toStart && room?.roomId === roomId && event.getType() === "m.room.message" &&
          event.getSender() !== client.getUserId()) received[name].push(event.getContent().body);
    });
  }
  for (let i = 0; i < 100; i++) {
    const sender = i % 2 ? bob : alice;
    const body = `js message ${i}`;
    await sender.sendMessage(roomId, { msgtype: "m.text", body });
    sent.push(body);
  }
  await waitFor(() => received.alice.length >= 50 && received.bob.length >= 50, 20000);
  assert.deepEqual(received.alice, sent.filter((_, i) => i % 2 === 1));
  assert.deepEqual(received.bob, sent.filter((_, i) => i % 2 === 0));

  // A fresh client back-paginates the whole history.
  const history = await fetch(
    `${server.url}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1000`,
    { headers: { Authorization: `Bearer ${bob.getAccessToken()}` } },
  ).then((r) => r.json());
  const bodies = history.chunk.filter((e) => e.type === "m.room.message").map((e) => e.content.body).reverse();
  assert.deepEqual(bodies, sent);

  // A fresh client (a new device, no local echoes) scrolls back through the whole history.
  const fresh = await login("bob");
  const room = fresh.getRoom(roomId);
  const messages = () => room.getLiveTimeline().getEvents().filter((e) => e.getType() === "m.room.message");
  while (messages().length < 100 && room.getLiveTimeline().getPaginationToken(sdk.EventTimeline.BACKWARDS)) {
    await fresh.scrollback(room, 30);
  }
  assert.deepEqual(messages().map((e) => e.getContent().body), sent);
  fresh.stopClient();
});

test("power levels, kick, ban and refused rejoin", async () => {
  const { alice, bob } = clients;
  const roomId = await sharedRoom();
  await assert.rejects(bob.setPowerLevel(roomId, bob.getUserId(), 100), (e) => e.errcode === "M_FORBIDDEN");
  await alice.kick(roomId, bob.getUserId(), "bye");
  await waitFor(() => bob.getRoom(roomId)?.getMyMembership() === "leave");
  await assert.rejects(bob.joinRoom(roomId), (e) => e.errcode === "M_FORBIDDEN");
  await alice.invite(roomId, bob.getUserId());
  await waitFor(() => bob.getRoom(roomId)?.getMyMembership() === "invite");
  await bob.joinRoom(roomId);
  await alice.ban(roomId, bob.getUserId(), "really bye");
  await waitFor(() => bob.getRoom(roomId)?.getMyMembership() === "ban");
  await assert.rejects(bob.joinRoom(roomId), (e) => e.errcode === "M_FORBIDDEN");
  await waitFor(() => alice.getRoom(roomId)?.getMember(bob.getUserId())?.membership === "ban");
});

test("profile, name, topic, typing and receipts reach the other side", async () => {
  const { alice, bob } = clients;
  const roomId = await sharedRoom({ name: "before" });
  await alice.setDisplayName("Alice Liddell");
  await alice.setRoomName(roomId, "after");
  await alice.setRoomTopic(roomId, "tea");
  const room = () => bob.getRoom(roomId);
  await waitFor(() => room()?.name === "after");
  await waitFor(() => room().currentState.getStateEvents("m.room.topic", "")?.getContent().topic === "tea");
  await waitFor(() => room().getMember(alice.getUserId())?.name === "Alice Liddell");

  const typing = new Promise((resolve) => bob.on(sdk.RoomMemberEvent.Typing, (event, member) => {
    if (member.userId === alice.getUserId() && member.typing) resolve();
  }));
  await alice.sendTyping(roomId, true, 30000);
  await typing;

  const { event_id: eventId } = await bob.sendMessage(roomId, { msgtype: "m.text", body: "read me" });
  const event = await waitFor(() => alice.getRoom(roomId)?.findEventById(eventId));
  await alice.sendReadReceipt(event);
  await waitFor(() => room().getReceiptsForEvent(room().findEventById(eventId) ?? event)
    .some((r) => r.userId === alice.getUserId()));
});

test("lazy-loaded members: only senders are loaded until asked", async () => {
  const { alice, bob } = clients;
  const roomId = await sharedRoom({ name: "lazy js" });
  await alice.sendMessage(roomId, { msgtype: "m.text", body: "hello lazy" });
  const filter = encodeURIComponent(JSON.stringify({ room: { state: { lazy_load_members: true }, timeline: { limit: 1 } } }));
  const sync = await fetch(`${server.url}/_matrix/client/v3/sync?filter=${filter}`, {
    headers: { Authorization: `Bearer ${bob.getAccessToken()}` },
  }).then((r) => r.json());
  const members = sync.rooms.join[roomId].state.events.filter((e) => e.type === "m.room.member").map((e) => e.state_key);
  assert.deepEqual(members.sort(), [alice.getUserId(), bob.getUserId()].sort());
  const all = await bob.members(roomId);
  assert.equal(all.chunk.length, 2);
});
