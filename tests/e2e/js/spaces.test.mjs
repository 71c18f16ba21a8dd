// End-to-end with matrix-js-sdk: a space's hierarchy as the SDK asks for it
// (client.getRoomHierarchy), and ignoring a user (client.setIgnoredUsers): the ignored user's
// message never reaches the ignorer's timeline, while their state events still do.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

import { register, startServer, startSyncing, waitFor } from "./harness.mjs";

logger.setLevel("warn");

let server;
const clients = {};

async function login(name) {
  const client = sdk.createClient({ baseUrl: server.url });
  const response = await client.loginRequest({
    type: "m.login.password", identifier: { type: "m.id.user", user: name }, password: `pw-${name}-long`,
  });
  const logged = sdk.createClient({
    baseUrl: server.url, accessToken: response.access_token, userId: response.user_id, deviceId: response.device_id,
  });
  await startSyncing(logged);
  return logged;
}

before(async () => {
  server = await startServer({ encryption_by_default: "off" });
  const token = server.registrationToken();
  for (const name of ["alice", "bob"]) await register(server.url, name, `pw-${name}-long`, token);
  clients.alice = await login("alice");
  clients.bob = await login("bob");
});

after(async () => {
  for (const client of Object.values(clients)) client.stopClient();
  await server.stop();
});

test("getRoomHierarchy lists what a non-member may see of a space", async () => {
  const { alice, bob } = clients;
  const { room_id: space } = await alice.createRoom({
    name: "js space", preset: "public_chat", creation_content: { type: "m.space" },
  });
  const { room_id: open } = await alice.createRoom({ name: "open", preset: "public_chat" });
  const { room_id: members } = await alice.createRoom({
    name: "members only", preset: "private_chat",
    initial_state: [{
      type: "m.room.join_rules", state_key: "",
      content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: space }] },
    }],
  });
  for (const child of [open, members])
    await alice.sendStateEvent(space, "m.space.child", { via: ["localhost"] }, child);

  const names = (response) => response.rooms.map((room) => room.name);
  assert.deepEqual(names(await bob.getRoomHierarchy(space)), ["js space", "open"]);
  await bob.joinRoom(space);
  const hierarchy = await bob.getRoomHierarchy(space, 10, 5);
  assert.deepEqual(names(hierarchy), ["js space", "open", "members only"]);
  assert.equal(hierarchy.rooms[0].children_state.length, 2);
  assert.equal(hierarchy.rooms[0].room_type, "m.space");
  assert.equal(hierarchy.next_batch, undefined);
  const summary = await bob.getRoomSummary(space);
  assert.equal(summary.room_type, "m.space");
  assert.equal(summary.membership, "join");
});

test("an ignored user's message never reaches the ignorer", async () => {
  const { alice, bob } = clients;
  const { room_id: roomId } = await alice.createRoom({ preset: "public_chat", name: "ignoring" });
  await bob.joinRoom(roomId);
  await waitFor(() => alice.getRoom(roomId)?.getMember(bob.getUserId())?.membership === "join");
  const seen = [];
  alice.on(sdk.RoomEvent.Timeline, (event, room) => {
    if (room?.roomId === roomId && event.getType() === "m.room.message") seen.push(event.getContent().body);
  });
  await bob.sendMessage(roomId, { msgtype: "m.text", body: "before" });
  await waitFor(() => seen.includes("before"));

  await alice.setIgnoredUsers([bob.getUserId()]);
  await waitFor(() => alice.isUserIgnored(bob.getUserId()));
  await bob.sendMessage(roomId, { msgtype: "m.text", body: "hidden" });
  // A state event of his (his new display name, in his membership) still arrives, after the
  // message: once it is there, the message would have been too.
  await bob.setDisplayName("Bobby");
  await waitFor(() => alice.getRoom(roomId)?.getMember(bob.getUserId())?.name === "Bobby");
  assert.deepEqual(seen, ["before"]);

  await alice.setIgnoredUsers([]);
  await waitFor(() => !alice.isUserIgnored(bob.getUserId()));
  await bob.sendMessage(roomId, { msgtype: "m.text", body: "after" });
  await waitFor(() => seen.includes("after"));
  assert.deepEqual(seen, ["before", "after"]);
});
