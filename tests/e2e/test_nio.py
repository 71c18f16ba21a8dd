"""End-to-end: two matrix-nio clients (Debian's python3-matrix-nio, r0 paths) chat on myelin."""
import asyncio
import time
import unittest

from nio import (AsyncClient, AsyncClientConfig, JoinError, MessageDirection, RoomMessagesResponse,
                 RoomMessageText, RoomPreset, RoomPutStateError, RoomSendResponse, SyncResponse)

import harness

CONFIG = AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False)
LOTS = {"room": {"timeline": {"limit": 500}}}


class NioChat(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        token = cls.server.registration_token()
        for name in ("alice", "bob"):
            harness.register(cls.server.url, name, "pw-" + name + "-long", token)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    async def asyncSetUp(self):
        self.alice = AsyncClient(self.server.url, "@alice:localhost", config=CONFIG)
        self.bob = AsyncClient(self.server.url, "@bob:localhost", config=CONFIG)
        self.assertTrue((await self.alice.login("pw-alice-long", device_name="test")).access_token)
        self.assertTrue((await self.bob.login("pw-bob-long", device_name="test")).access_token)

    async def asyncTearDown(self):
        await self.alice.close()
        await self.bob.close()

    async def shared_room(self, **kwargs):
        created = await self.alice.room_create(invite=["@bob:localhost"], **kwargs)
        room_id = created.room_id
        self.assertFalse(isinstance(await self.bob.join(room_id), JoinError))
        return room_id

    async def sync(self, client, since, **kwargs):
        response = await client.sync(since=since, **kwargs)
        self.assertIsInstance(response, SyncResponse, response)
        return response

    @staticmethod
    def bodies(response, room_id):
        room = response.rooms.join.get(room_id)
        return [e.body for e in room.timeline.events if isinstance(e, RoomMessageText)] if room else []

    async def test_hundred_messages_sync_longpoll_and_backpagination(self):
        room_id = await self.shared_room(name="hundred")
        start = {c: (await self.sync(c, None)).next_batch for c in (self.alice, self.bob)}
        sent = []
        for i in range(100):
            sender = self.alice if i % 2 == 0 else self.bob
            body = f"message {i} from {sender.user_id}"
            self.assertIsInstance(await sender.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body}), RoomSendResponse)
            sent.append(body)

        # Incremental sync: each side sees all 100, in order.
        for client in (self.alice, self.bob):
            response = await self.sync(client, start[client], sync_filter=LOTS)
            self.assertEqual(self.bodies(response, room_id), sent)
            start[client] = response.next_batch

        # Long-poll: a waiting sync wakes as soon as the other side sends.
        for waiter, sender in ((self.bob, self.alice), (self.alice, self.bob)):
            start[waiter] = (await self.sync(waiter, start[waiter], sync_filter=LOTS)).next_batch
            began = time.monotonic()
            pending = asyncio.ensure_future(self.sync(waiter, start[waiter], timeout=20000, sync_filter=LOTS))
            await asyncio.sleep(0.3)
            self.assertFalse(pending.done(), "sync returned before anything happened")
            await sender.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "wake up"})
            response = await asyncio.wait_for(pending, 10)
            self.assertLess(time.monotonic() - began, 5)
            self.assertEqual(self.bodies(response, room_id), ["wake up"])
            start[waiter] = response.next_batch
        sent += ["wake up", "wake up"]

        # Back-pagination from the end returns every message, newest first.
        token, seen = (await self.sync(self.bob, start[self.bob], sync_filter=LOTS)).next_batch, []
        while True:
            page = await self.bob.room_messages(room_id, token, direction=MessageDirection.back, limit=30)
            self.assertIsInstance(page, RoomMessagesResponse, page)
            seen += [e.body for e in page.chunk if isinstance(e, RoomMessageText)]
            if not page.end or not page.chunk:
                break
            token = page.end
        self.assertEqual(list(reversed(seen)), sent)

    async def test_power_level_denial_kick_ban_and_rejoin_refused(self):
        room_id = await self.shared_room(preset=None)
        denied = await self.bob.room_put_state(room_id, "m.room.power_levels", {"users": {"@bob:localhost": 100}})
        self.assertIsInstance(denied, RoomPutStateError)
        self.assertEqual(denied.status_code, "M_FORBIDDEN")

        await self.alice.room_kick(room_id, "@bob:localhost", reason="bye")
        self.assertTrue(isinstance(await self.bob.join(room_id), JoinError))  # invite-only: no way back
        await self.alice.room_invite(room_id, "@bob:localhost")
        self.assertFalse(isinstance(await self.bob.join(room_id), JoinError))

        await self.alice.room_ban(room_id, "@bob:localhost", reason="really bye")
        refused = await self.bob.join(room_id)
        self.assertIsInstance(refused, JoinError)
        self.assertEqual(refused.status_code, "M_FORBIDDEN")
        status, member = harness.request(self.server.url, "GET",
                                         f"/_matrix/client/v3/rooms/{room_id}/state/m.room.member/@bob:localhost",
                                         token=self.alice.access_token)
        self.assertEqual((status, member["membership"], member["reason"]), (200, "ban", "really bye"))

    async def test_profile_name_topic_typing_receipts(self):
        room_id = await self.shared_room(name="before")
        since = (await self.sync(self.bob, None)).next_batch
        await self.alice.set_displayname("Alice Liddell")
        await self.alice.room_put_state(room_id, "m.room.name", {"name": "after"})
        await self.alice.room_put_state(room_id, "m.room.topic", {"topic": "tea"})
        sent = await self.alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "hi"})
        await self.alice.room_typing(room_id, True, timeout=30000)
        await self.alice.room_read_markers(room_id, sent.event_id, sent.event_id)

        response = await self.sync(self.bob, since)
        room = self.bob.rooms[room_id]
        self.assertEqual(room.name, "after")
        self.assertEqual(room.topic, "tea")
        self.assertEqual(room.user_name("@alice:localhost"), "Alice Liddell")
        ephemeral = response.rooms.join[room_id].ephemeral
        typing = [e for e in ephemeral if type(e).__name__ == "TypingNoticeEvent"]
        self.assertTrue(typing and "@alice:localhost" in typing[-1].users)
        receipts = [e for e in ephemeral if type(e).__name__ == "ReceiptEvent"]
        self.assertTrue(any(r.event_id == sent.event_id and r.user_id == "@alice:localhost"
                            for e in receipts for r in e.receipts))

    async def test_history_visibility_joined_hides_earlier_messages(self):
        created = await self.alice.room_create(initial_state=[
            {"type": "m.room.history_visibility", "state_key": "", "content": {"history_visibility": "joined"}}])
        room_id = created.room_id
        await self.alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "before bob"})
        await self.alice.room_invite(room_id, "@bob:localhost")
        self.assertFalse(isinstance(await self.bob.join(room_id), JoinError))
        await self.alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "after bob"})
        sync = await self.sync(self.bob, None, sync_filter=LOTS)
        self.assertEqual(self.bodies(sync, room_id), ["after bob"])
        page = await self.bob.room_messages(room_id, sync.next_batch, direction=MessageDirection.back, limit=100)
        self.assertEqual([e.body for e in page.chunk if isinstance(e, RoomMessageText)], ["after bob"])

    async def test_unread_counts_follow_push_rules(self):
        room_id = await self.shared_room(name="counts")
        for body in ("one", "two"):
            await self.alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})
        await self.alice.room_send(room_id, "m.room.message", {"msgtype": "m.notice", "body": "bot noise"})
        await self.alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "hey bob",
                                                               "m.mentions": {"user_ids": ["@bob:localhost"]}})
        counts = (await self.sync(self.bob, None)).rooms.join[room_id].unread_notifications
        self.assertEqual((counts.notification_count, counts.highlight_count), (3, 1))

    async def test_gappy_lazy_sync_carries_member_changes_from_the_gap(self):
        room_id = await self.shared_room(name="gap", preset=RoomPreset.public_chat)
        lazy = {"room": {"state": {"lazy_load_members": True}, "timeline": {"limit": 5}}}
        since = (await self.sync(self.bob, None, sync_filter=lazy)).next_batch
        carol = harness.register(self.server.url, "carol", "pw-carol-long", self.server.registration_token())
        path = f"/_matrix/client/v3/rooms/{room_id}"
        harness.request(self.server.url, "POST", path + "/join", {}, carol["access_token"])
        harness.request(self.server.url, "POST", path + "/leave", {}, carol["access_token"])
        for i in range(10):
            await self.alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": f"filler {i}"})
        room = (await self.sync(self.bob, since, sync_filter=lazy)).rooms.join[room_id]
        self.assertTrue(room.timeline.limited)
        members = {e.state_key: e.membership for e in room.state if type(e).__name__ == "RoomMemberEvent"}
        self.assertEqual(members.get("@carol:localhost"), "leave")

    async def test_lazy_loading_leaves_out_members_already_sent(self):
        room_id = await self.shared_room(name="redundant")
        lazy = {"room": {"state": {"lazy_load_members": True}, "timeline": {"limit": 10}}}
        since = (await self.sync(self.bob, None, sync_filter=lazy)).next_batch
        seen = []
        for body in ("first", "second"):
            await self.alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})
            response = await self.sync(self.bob, since, sync_filter=lazy)
            since = response.next_batch
            seen.append([e.state_key for e in response.rooms.join[room_id].state if type(e).__name__ == "RoomMemberEvent"])
        # Alice's member event came with the initial sync; it is not sent again.
        self.assertEqual(seen, [[], []])
        redundant = {"room": {"state": {"lazy_load_members": True, "include_redundant_members": True}}}
        await self.alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "third"})
        response = await self.sync(self.bob, since, sync_filter=redundant)
        self.assertIn("@alice:localhost", [e.state_key for e in response.rooms.join[room_id].state
                                           if type(e).__name__ == "RoomMemberEvent"])

    async def test_lazy_loading_members(self):
        room_id = await self.shared_room(name="lazy")
        await self.alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "only alice talks"})
        lazy = {"room": {"state": {"lazy_load_members": True}, "timeline": {"limit": 1}}}
        response = await self.sync(self.bob, None, sync_filter=lazy, full_state=True)
        members = [e for e in response.rooms.join[room_id].state if type(e).__name__ == "RoomMemberEvent"]
        self.assertEqual({m.state_key for m in members}, {"@alice:localhost", "@bob:localhost"})
        full = await self.sync(self.bob, None, full_state=True, sync_filter={"room": {"timeline": {"limit": 1}}})
        all_members = [e for e in full.rooms.join[room_id].state if type(e).__name__ == "RoomMemberEvent"]
        self.assertEqual(len(all_members), 2)


if __name__ == "__main__":
    unittest.main()
