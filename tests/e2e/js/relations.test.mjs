// End-to-end: edits and threads with matrix-js-sdk — an edit bundled as the latest version in
// /sync and shown edited by the SDK, a thread of 3 replies listed by /threads with its summary,
// and an SDK client with threadSupport that sees the thread apart from the main timeline.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

import { register, startServer, startSyncing, waitFor } from "./harness.mjs";

logger.setLevel("warn");

let server;
const accounts = {};
const started = [];

function client(name, options = {}) {
  const { access_token: accessToken, user_id: userId, device_id: deviceId } = accounts[name];
  const made = sdk.createClient({ baseUrl: server.url, accessToken, userId, deviceId, ...options });
  started.push(made);
  return made;
}

async function rawSync(name, filter) {
  const query = new URLSearchParams({ timeout: "0", filter: JSON.stringify(filter) });
  const response = await fetch(`${server.url}/_matrix/client/v3/sync?${query}`, {
    headers: { Authorization: `Bearer ${accounts[name].access_token}` },
  });
  assert.equal(response.status, 200);
  return response.json();
}

before(async () => {
  server = await startServer({ encryption_by_default: "off" });
  const token = server.registrationToken();
  for (const name of ["alice", "bob"]) accounts[name] = await register(server.url, name, `pw-${name}-long`, token);
});

after(async () => {
  for (const made of started) made.stopClient();
  await server.stop();
});

async function sharedRoom(alice, bob) {
  const { room_id: roomId } = await alice.createRoom({ invite: [bob.getUserId()] });
  await bob.joinRoom(roomId);
  return roomId;
}

test("an edit is bundled as the latest version in sync and the SDK shows it edited", async () => {
  const alice = client("alice");
  const bob = client("bob");
  const roomId = await sharedRoom(alice, bob);
  const { event_id: original } = await alice.sendTextMessage(roomId, "helo wrld");
  const edit = (body) => ({
    msgtype: "m.text", body: `* ${body}`, "m.new_content": { msgtype: "m.text", body },
    "m.relates_to": { rel_type: "m.replace", event_id: original },
  });
  await alice.sendEvent(roomId, "m.room.message", edit("hello wrld"));
  const { event_id: latest } = await alice.sendEvent(roomId, "m.room.message", edit("hello world"));

  // A fresh sync: the original comes with its most recent replacement bundled, content intact.
  const sync = await rawSync("bob", { room: { timeline: { limit: 20 } } });
  const served = sync.rooms.join[roomId].timeline.events.find((e) => e.event_id === original);
  assert.equal(served.content.body, "helo wrld");
  const replacement = served.unsigned["m.relations"]["m.replace"];
  assert.equal(replacement.event_id, latest);
  assert.equal(replacement.content["m.new_content"].body, "hello world");

  // The SDK applies the edit: bob's client shows the latest version.
  await startSyncing(bob);
  const shown = await waitFor(() => bob.getRoom(roomId)?.findEventById(original));
  await waitFor(() => shown.getContent().body === "hello world");
  assert.equal(shown.replacingEventId(), latest);
});

test("a thread of 3 replies is listed by /threads with its summary and seen by a threaded SDK client", async () => {
  const alice = client("alice");
  const bob = client("bob");
  const roomId = await sharedRoom(alice, bob);
  const { event_id: root } = await alice.sendTextMessage(roomId, "shall we talk threads?");
  const replies = [];
  for (const body of ["yes", "in a thread", "like this"]) {
    const content = { msgtype: "m.text", body, "m.relates_to": { rel_type: "m.thread", event_id: root } };
    replies.push((await bob.sendEvent(roomId, "m.room.message", content)).event_id);
  }
  await alice.sendTextMessage(roomId, "back in the main timeline");

  const listed = await alice.createThreadListMessagesRequest(roomId, null, 20, sdk.Direction.Backward,
                                                              sdk.ThreadFilterType.All);
  assert.deepEqual(listed.chunk.map((e) => e.event_id), [root]);
  const summary = listed.chunk[0].unsigned["m.relations"]["m.thread"];
  assert.equal(summary.count, 3);
  assert.equal(summary.latest_event.event_id, replies[2]);
  assert.equal(summary.latest_event.content.body, "like this");
  assert.equal(summary.current_user_participated, true);  // alice sent the root
  const mine = await alice.createThreadListMessagesRequest(roomId, null, 20, sdk.Direction.Backward,
                                                            sdk.ThreadFilterType.My);
  assert.deepEqual(mine.chunk.map((e) => e.event_id), [root]);

  // With threadSupport the SDK builds the thread from the server's aggregation and /relations,
  // and keeps the replies out of the main timeline.
  await startSyncing(alice, { threadSupport: true });
  const room = await waitFor(() => alice.getRoom(roomId));
  const thread = await waitFor(() => room.getThread(root));
  await waitFor(() => thread.initialEventsFetched && thread.length === 3);
  assert.equal(thread.replyToEvent?.getId(), replies[2]);
  await waitFor(() => replies.every((id) => thread.findEventById(id)));
  const main = room.getLiveTimeline().getEvents().map((e) => e.getId());
  assert.ok(main.includes(root));
  for (const id of replies) assert.ok(!main.includes(id), "a reply is in the main timeline");
});
