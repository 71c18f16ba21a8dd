// End-to-end: matrix-js-sdk's server-side search (searchRoomEvents with its event context and
// back-pagination), jump to date (timestampToEvent) and OpenID tokens (getOpenIdToken) on myelin.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

import { register, startServer, startSyncing } from "./harness.mjs";

logger.setLevel("warn");

let server, client, roomId;
const sent = [];

before(async () => {
  server = await startServer({ encryption_by_default: "off" });
  await register(server.url, "alice", "pw-alice-long", server.registrationToken());
  const login = await sdk.createClient({ baseUrl: server.url }).loginRequest({
    type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "pw-alice-long",
  });
  client = sdk.createClient({
    baseUrl: server.url, accessToken: login.access_token, userId: login.user_id, deviceId: login.device_id,
  });
  await startSyncing(client);
  ({ room_id: roomId } = await client.createRoom({ preset: "private_chat" }));
  for (const body of ["pomelo one", "unrelated", "pomelo two", "pomelo three"])
    sent.push((await client.sendTextMessage(roomId, body)).event_id);
});

after(async () => {
  client?.stopClient();
  await server?.stop();
});

test("searchRoomEvents finds the messages newest first, with context, and pages back", async () => {
  const found = await client.searchRoomEvents({ term: "pomelo", filter: { rooms: [roomId], limit: 2 } });
  assert.equal(found.count, 3);
  assert.deepEqual(found.highlights, ["pomelo"]);
  assert.deepEqual(found.results.map((r) => r.context.getEvent().getId()), [sent[3], sent[2]]);
  const context = found.results[1].context.getTimeline().map((e) => e.getId());
  assert.deepEqual(context, [sent[1], sent[2], sent[3]]);  // one before, the result, one after
  assert.ok(found.next_batch);
  const all = await client.backPaginateRoomEventsSearch(found);
  assert.deepEqual(all.results.map((r) => r.context.getEvent().getId()), [sent[3], sent[2], sent[0]]);
  assert.equal(all.next_batch, undefined);
});

test("timestampToEvent jumps to the nearest event either way", async () => {
  const third = await client.fetchRoomEvent(roomId, sent[2]);
  const forward = await client.timestampToEvent(roomId, third.origin_server_ts, sdk.Direction.Forward);
  assert.equal(forward.origin_server_ts >= third.origin_server_ts, true);
  const backward = await client.timestampToEvent(roomId, Date.now() + 60000, sdk.Direction.Backward);
  assert.equal(backward.event_id, sent[3]);
  await assert.rejects(client.timestampToEvent(roomId, Date.now() + 60000, sdk.Direction.Forward),
    (error) => error.errcode === "M_NOT_FOUND");
});

test("getOpenIdToken gives a token the userinfo endpoint exchanges for the user", async () => {
  const token = await client.getOpenIdToken();
  assert.equal(token.token_type, "Bearer");
  const response = await fetch(`${server.url}/_matrix/federation/v1/openid/userinfo?access_token=${
    encodeURIComponent(token.access_token)}`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { sub: client.getUserId() });
});
