"""End-to-end: matrix-nio clients (Debian's python3-matrix-nio) see the conversation features —
bundled edits and thread summaries on the events nio fetches, ignored users left out of nio's
sync, and an OpenID token from nio that the userinfo endpoint accepts. (nio 0.20 has no calls
for /relations, /threads, /search or /hierarchy; test_relations.py, test_search.py and
test_spaces.py drive those request by request, js/*.test.mjs through matrix-js-sdk.)"""
import json
import unittest

from nio import (AsyncClient, AsyncClientConfig, GetOpenIDTokenResponse, JoinError, RoomGetEventResponse,
                 RoomMessagesResponse, RoomMessageText, RoomSendResponse, SyncResponse)

import harness

CONFIG = AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False)


class NioConversations(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        token = cls.server.registration_token()
        for name in ("alice", "bob", "carol"):
            harness.register(cls.server.url, name, "pw-" + name + "-long", token)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    async def asyncSetUp(self):
        self.clients = {}
        for name in ("alice", "bob", "carol"):
            client = AsyncClient(self.server.url, f"@{name}:localhost", config=CONFIG)
            self.assertTrue((await client.login(f"pw-{name}-long", device_name="test")).access_token)
            self.clients[name] = client

    async def asyncTearDown(self):
        for client in self.clients.values():
            await client.close()

    async def room_of_all(self):
        alice = self.clients["alice"]
        room_id = (await alice.room_create(invite=["@bob:localhost", "@carol:localhost"])).room_id
        for name in ("bob", "carol"):
            self.assertFalse(isinstance(await self.clients[name].join(room_id), JoinError))
        return room_id

    async def send(self, name, room_id, content):
        sent = await self.clients[name].room_send(room_id, "m.room.message", content)
        self.assertIsInstance(sent, RoomSendResponse, sent)
        return sent.event_id

    async def test_an_edit_and_a_thread_are_bundled_on_the_events_nio_fetches(self):
        room_id = await self.room_of_all()
        root = await self.send("alice", room_id, {"msgtype": "m.text", "body": "lunch at noon?"})
        edit = await self.send("alice", room_id, {
            "msgtype": "m.text", "body": "* lunch at one?",
            "m.new_content": {"msgtype": "m.text", "body": "lunch at one?"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": root}})
        replies = [await self.send("bob", room_id, {
            "msgtype": "m.text", "body": f"reply {i}",
            "m.relates_to": {"rel_type": "m.thread", "event_id": root, "is_falling_back": True,
                             "m.in_reply_to": {"event_id": root}}}) for i in range(3)]

        fetched = await self.clients["carol"].room_get_event(room_id, root)
        self.assertIsInstance(fetched, RoomGetEventResponse, fetched)
        relations = fetched.event.source["unsigned"]["m.relations"]
        self.assertEqual(relations["m.replace"]["event_id"], edit)
        self.assertEqual(relations["m.replace"]["content"]["m.new_content"]["body"], "lunch at one?")
        thread = relations["m.thread"]
        self.assertEqual(thread["count"], 3)
        self.assertEqual(thread["latest_event"]["event_id"], replies[-1])
        self.assertFalse(thread["current_user_participated"])  # carol neither wrote the root nor replied
        # The original keeps its content: the client applies the edit.
        self.assertEqual(fetched.event.body, "lunch at noon?")

        # The same bundle on /messages, for a participant.
        page = await self.clients["bob"].room_messages(room_id, start="", limit=20)
        self.assertIsInstance(page, RoomMessagesResponse, page)
        root_event = next(e for e in page.chunk if e.event_id == root)
        bundled = root_event.source["unsigned"]["m.relations"]["m.thread"]
        self.assertEqual(bundled["count"], 3)
        self.assertTrue(bundled["current_user_participated"])

    async def test_an_ignored_user_never_reaches_nios_sync(self):
        room_id = await self.room_of_all()
        bob, carol = self.clients["bob"], self.clients["carol"]
        since = (await bob.sync(timeout=0)).next_batch
        # nio 0.20 has no call for the ignore list: its own request, with its session.
        answer = await bob.send("PUT", f"/_matrix/client/v3/user/{harness.quote(bob.user_id)}/account_data/m.ignored_user_list",
                                json.dumps({"ignored_users": {carol.user_id: {}}}),
                                {"Authorization": f"Bearer {bob.access_token}", "Content-Type": "application/json"})
        self.assertEqual(answer.status, 200)
        await self.send("carol", room_id, {"msgtype": "m.text", "body": "you cannot hear me"})
        await self.send("alice", room_id, {"msgtype": "m.text", "body": "but you hear me"})
        response = await bob.sync(since=since, timeout=0)
        self.assertIsInstance(response, SyncResponse, response)
        bodies = [e.body for e in response.rooms.join[room_id].timeline.events if isinstance(e, RoomMessageText)]
        self.assertEqual(bodies, ["but you hear me"])
        # Alice ignores nobody and hears both.
        alice_page = await self.clients["alice"].room_messages(room_id, start="", limit=5)
        self.assertEqual([e.body for e in alice_page.chunk if isinstance(e, RoomMessageText)][:2],
                         ["but you hear me", "you cannot hear me"])

    async def test_an_openid_token_from_nio_is_exchanged_for_the_user_id(self):
        alice = self.clients["alice"]
        token = await alice.get_openid_token(alice.user_id)
        self.assertIsInstance(token, GetOpenIDTokenResponse, token)
        self.assertEqual(token.matrix_server_name, "localhost")
        status, body = harness.request(self.server.url, "GET",
                                       f"/_matrix/federation/v1/openid/userinfo?access_token={token.access_token}")
        self.assertEqual((status, body), (200, {"sub": alice.user_id}))
        status, body = harness.request(self.server.url, "GET", "/_matrix/federation/v1/openid/userinfo?access_token=nope")
        self.assertEqual((status, body["errcode"]), (401, "M_UNKNOWN_TOKEN"))


if __name__ == "__main__":
    unittest.main()
