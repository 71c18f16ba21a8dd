"""End-to-end: history visibility is applied as it was at each event (client-server-api "Room
History Visibility"), through /messages, /context, /event, /sync, the room and the global
initialSync and the event stream."""
import itertools
import json
import threading
import time
import unittest
import urllib.parse

import harness

V3 = "/_matrix/client/v3"


class HistoryVisibility(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        cls.url = cls.server.url
        cls.tokens, cls.ids = {}, {}
        for name in ("alice", "bob", "carol", "dave", "erin"):
            account = harness.register(cls.url, name, "pw-" + name + "-long", cls.server.registration_token())
            cls.tokens[name], cls.ids[name] = account["access_token"], account["user_id"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def call(self, who, method, path, body=None):
        return harness.request(self.url, method, path, body, self.tokens[who])

    def room_path(self, room, rest):
        return f"{V3}/rooms/{urllib.parse.quote(room)}{rest}"

    txn = itertools.count()

    def send(self, who, room, text):
        status, body = self.call(who, "PUT", self.room_path(room, f"/send/m.room.message/t{next(self.txn)}"),
                                 {"msgtype": "m.text", "body": text})
        self.assertEqual(status, 200, body)
        return body["event_id"]

    def set_visibility(self, room, value):
        status, body = self.call("alice", "PUT", self.room_path(room, "/state/m.room.history_visibility"),
                                 {"history_visibility": value})
        self.assertEqual(status, 200, body)

    def room(self, first, second):
        """A public room where alice sends one message under `first` and one under `second`."""
        status, body = self.call("alice", "POST", V3 + "/createRoom", {"preset": "public_chat"})
        self.assertEqual(status, 200, body)
        room = body["room_id"]
        self.set_visibility(room, first)
        under_first = self.send("alice", room, "under-" + first)
        self.set_visibility(room, second)
        under_second = self.send("alice", room, "under-" + second)
        return room, under_first, under_second

    def join(self, who, room):
        status, body = self.call(who, "POST", self.room_path(room, "/join"), {})
        self.assertEqual(status, 200, body)

    def seen(self, who, room, event_id):
        """Which of /messages, /context, /event and an initial /sync show the event."""
        shown = set()
        status, body = self.call(who, "GET", self.room_path(room, "/messages?dir=b&limit=50"))
        self.assertEqual(status, 200, body)
        if event_id in [e["event_id"] for e in body["chunk"]]:
            shown.add("messages")
        status, body = self.call(who, "GET", self.room_path(room, "/event/" + urllib.parse.quote(event_id)))
        self.assertIn(status, (200, 404), body)
        if status == 200:
            shown.add("event")
        status, body = self.call(who, "GET", self.room_path(room, "/context/" + urllib.parse.quote(event_id)))
        self.assertIn(status, (200, 404), body)
        if status == 200:
            shown.add("context")
        # Around a later event the message may show among the events before it.
        status, body = self.call(who, "GET", self.room_path(room, "/messages?dir=b&limit=1"))
        latest = body["chunk"][0]["event_id"]
        status, body = self.call(who, "GET", self.room_path(room, f"/context/{urllib.parse.quote(latest)}?limit=50"))
        self.assertEqual(status, 200, body)
        if event_id in [e["event_id"] for e in body["events_before"]]:
            shown.add("context_before")
        sync_filter = urllib.parse.quote(json.dumps({"room": {"timeline": {"limit": 50}}}))
        status, body = self.call(who, "GET", f"{V3}/sync?filter={sync_filter}")
        self.assertEqual(status, 200, body)
        timeline = body["rooms"]["join"][room]["timeline"]["events"]
        if event_id in [e["event_id"] for e in timeline]:
            shown.add("sync")
        return shown

    ALL = {"messages", "event", "context", "context_before", "sync"}

    def test_joined_then_shared_keeps_the_joined_history_private(self):
        room, under_joined, under_shared = self.room("joined", "shared")
        self.join("bob", room)
        self.assertEqual(self.seen("bob", room, under_joined), set())
        self.assertEqual(self.seen("bob", room, under_shared), self.ALL)

    def test_shared_then_joined_keeps_the_shared_history_shared(self):
        room, under_shared, under_joined = self.room("shared", "joined")
        self.join("carol", room)
        self.assertEqual(self.seen("carol", room, under_shared), self.ALL)
        self.assertEqual(self.seen("carol", room, under_joined), set())

    def test_incremental_sync_after_a_join_applies_the_rules(self):
        room, under_joined, under_shared = self.room("joined", "shared")
        status, body = self.call("bob", "GET", V3 + "/sync")
        since = body["next_batch"]
        self.join("bob", room)
        status, body = self.call("bob", "GET", f"{V3}/sync?since={since}")
        self.assertEqual(status, 200, body)
        timeline = [e["event_id"] for e in body["rooms"]["join"][room]["timeline"]["events"]]
        self.assertIn(under_shared, timeline)
        self.assertNotIn(under_joined, timeline)

    def test_sync_in_the_federation_format_gives_the_pdus(self):
        room, _, under_shared = self.room("shared", "shared")
        sync_filter = urllib.parse.quote(json.dumps({"event_format": "federation", "room": {"timeline": {"limit": 1}}}))
        status, body = self.call("alice", "GET", f"{V3}/sync?filter={sync_filter}")
        self.assertEqual(status, 200, body)
        [event] = body["rooms"]["join"][room]["timeline"]["events"]
        self.assertEqual((event["event_id"], event["content"]["body"]), (under_shared, "under-shared"))
        for field in ("auth_events", "prev_events", "depth", "hashes", "signatures", "origin_server_ts"):
            self.assertIn(field, event)

    def test_sync_after_a_rejoin_carries_the_current_state_missed(self):
        room, under_joined, _ = self.room("joined", "joined")
        self.join("bob", room)
        status, body = self.call("bob", "GET", V3 + "/sync")
        since = body["next_batch"]
        status, body = self.call("bob", "POST", self.room_path(room, "/leave"), {})
        self.assertEqual(status, 200, body)
        self.join("carol", room)
        missed = self.send("alice", room, "while-bob-was-away")
        self.join("bob", room)
        status, body = self.call("bob", "GET", f"{V3}/sync?since={since}")
        timeline = body["rooms"]["join"][room]["timeline"]["events"]
        ids = [e["event_id"] for e in timeline]
        self.assertNotIn(missed, ids)
        self.assertTrue(any(e["type"] == "m.room.member" and e["state_key"].startswith("@carol:") for e in timeline))

    def test_room_initial_sync_and_event_stream_apply_the_rules(self):
        # The event stream is read from just before this room's first event, so that other
        # tests' rooms sharing the server neither crowd it out nor show in it.
        status, body = self.call("bob", "GET", V3 + "/sync")
        self.assertEqual(status, 200, body)
        before_room = body["next_batch"]
        room, under_joined, under_shared = self.room("joined", "shared")
        self.join("bob", room)
        status, body = self.call("bob", "GET", self.room_path(room, "/initialSync"))
        self.assertEqual(status, 200, body)
        chunk = [e["event_id"] for e in body["messages"]["chunk"]]
        self.assertIn(under_shared, chunk)
        self.assertNotIn(under_joined, chunk)
        self.assertEqual(body["membership"], "join")
        status, body = self.call("carol", "GET", self.room_path(room, "/initialSync"))
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))
        # The event stream from before the room's first event on.
        status, body = self.call("bob", "GET", f"{V3}/events?from={before_room}&timeout=0")
        self.assertEqual(status, 200, body)
        stream = [e["event_id"] for e in body["chunk"]]
        self.assertIn(under_shared, stream)
        self.assertNotIn(under_joined, stream)
        status, body = self.call("bob", "GET", f"{V3}/events?from={body['end']}&timeout=0")
        self.assertEqual((status, body["chunk"]), (200, []))

    def test_global_initial_sync_lists_rooms_as_the_user_may_see_them(self):
        frank = harness.register(self.url, "frank", "pw-frank-long", self.server.registration_token())
        self.tokens["frank"], self.ids["frank"] = frank["access_token"], frank["user_id"]
        status, body = self.call("frank", "POST", V3 + "/createRoom", {"preset": "private_chat", "name": "own"})
        own = body["room_id"]
        for n in range(3):
            self.send("frank", own, f"own-{n}")
        status, body = self.call("frank", "PUT", f"{V3}/user/{urllib.parse.quote(self.ids['frank'])}/account_data/org.example.a",
                                 {"a": 1})
        self.assertEqual(status, 200, body)
        invited = self.private_room("invites-frank")
        self.member_change("alice", invited, "invite", "frank")
        status, body = self.call("alice", "POST", V3 + "/createRoom", {"preset": "public_chat"})
        left = body["room_id"]
        self.join("frank", left)
        before_leave = self.send("alice", left, "before-frank-left")
        status, body = self.call("frank", "POST", self.room_path(left, "/leave"), {})
        after_leave = self.send("alice", left, "after-frank-left")

        status, body = self.call("frank", "GET", V3 + "/initialSync?limit=2")
        self.assertEqual(status, 200, body)
        rooms = {room["room_id"]: room for room in body["rooms"]}
        self.assertEqual(set(rooms), {own, invited})
        self.assertEqual(rooms[own]["membership"], "join")
        self.assertEqual([e["content"]["body"] for e in rooms[own]["messages"]["chunk"]], ["own-1", "own-2"])
        self.assertIn("m.room.name", [e["type"] for e in rooms[own]["state"]])
        self.assertEqual(rooms[invited]["membership"], "invite")
        self.assertEqual((rooms[invited]["invite"]["state_key"], rooms[invited]["invite"]["content"]["membership"]),
                         (self.ids["frank"], "invite"))
        self.assertNotIn("messages", rooms[invited])
        self.assertIn({"type": "org.example.a", "content": {"a": 1}}, body["account_data"])
        self.assertEqual(body["presence"], [])  # presence is off by default
        # The end token goes on with the event stream.
        self.send("frank", own, "after-the-snapshot")
        status, stream = self.call("frank", "GET", f"{V3}/events?from={body['end']}&timeout=0")
        self.assertEqual([e["content"].get("body") for e in stream["chunk"]], ["after-the-snapshot"])

        status, body = self.call("frank", "GET", V3 + "/initialSync?archived=true&limit=0")
        rooms = {room["room_id"]: room for room in body["rooms"]}
        self.assertEqual(set(rooms), {own, invited, left})
        self.assertEqual(rooms[own]["messages"]["chunk"], [])
        self.assertEqual(rooms[left]["membership"], "leave")
        status, body = self.call("frank", "GET", V3 + "/initialSync?archived=true&limit=10")
        chunk = [e["event_id"] for e in {r["room_id"]: r for r in body["rooms"]}[left]["messages"]["chunk"]]
        self.assertIn(before_leave, chunk)
        self.assertNotIn(after_leave, chunk)
        status, body = self.call("frank", "GET", V3 + "/initialSync?archived=maybe")
        self.assertEqual((status, body["errcode"]), (400, "M_INVALID_PARAM"))

    def private_room(self, name):
        """A private room of alice's ("shared" history, invite only) with a name."""
        status, body = self.call("alice", "POST", V3 + "/createRoom", {"preset": "private_chat", "name": name})
        self.assertEqual(status, 200, body)
        return body["room_id"]

    def member_change(self, who, room, action, target):
        status, body = self.call(who, "POST", self.room_path(room, "/" + action), {"user_id": self.ids[target]})
        self.assertEqual(status, 200, body)

    def since(self, who):
        status, body = self.call(who, "GET", V3 + "/sync?timeout=0")
        self.assertEqual(status, 200, body)
        return body["next_batch"]

    def left_state(self, who, room, since, **params):
        query = urllib.parse.urlencode({"since": since, "timeout": 0, **params})
        status, body = self.call(who, "GET", f"{V3}/sync?{query}")
        self.assertEqual(status, 200, body)
        left = body["rooms"]["leave"][room]
        return left.get("state_after", left.get("state"))["events"]

    def test_sync_leave_of_a_stranger_banned_carries_only_their_own_membership(self):
        since = self.since("dave")
        room = self.private_room("banned-from-here")
        self.member_change("alice", room, "ban", "dave")
        for params in ({}, {"use_state_after": "true"}):
            state = self.left_state("dave", room, since, **params)
            self.assertEqual([(e["type"], e["state_key"]) for e in state], [("m.room.member", self.ids["dave"])])
            self.assertEqual(state[0]["content"]["membership"], "ban")

    def test_sync_leave_after_a_rejected_reinvite_stops_at_the_first_leave(self):
        room = self.private_room("reinvited")
        self.member_change("alice", room, "invite", "erin")
        self.join("erin", room)
        status, body = self.call("erin", "POST", self.room_path(room, "/leave"), {})
        self.assertEqual(status, 200, body)
        since = self.since("erin")
        status, body = self.call("alice", "PUT", self.room_path(room, "/state/m.room.topic"), {"topic": "after-erin-left"})
        self.assertEqual(status, 200, body)
        self.member_change("alice", room, "invite", "erin")
        status, body = self.call("erin", "POST", self.room_path(room, "/leave"), {})
        self.assertEqual(status, 200, body)
        for params in ({}, {"use_state_after": "true"}):
            query = urllib.parse.urlencode({"since": since, "timeout": 0, **params})
            status, body = self.call("erin", "GET", f"{V3}/sync?{query}")
            left = body["rooms"]["leave"][room]
            state = left.get("state_after", left.get("state"))["events"]
            self.assertNotIn("m.room.topic", [e["type"] for e in state])
            # The refusal of the second invite closes the timeline; "state" (up to the
            # timeline) holds no other, state_after (after it) holds it.
            seen = state if params else state + left["timeline"]["events"]
            own = [e for e in seen if e["type"] == "m.room.member" and e["state_key"] == self.ids["erin"]]
            self.assertEqual([e["content"]["membership"] for e in own], ["leave"])

    def test_sync_leave_of_a_refused_invite_ends_with_the_refusal(self):
        # Under shared history an invitee may read nothing, yet their refusal closes the
        # timeline of the left room (clients drop the room by it), and the state stays bare.
        since = self.since("erin")
        room = self.private_room("refused")
        self.member_change("alice", room, "invite", "erin")
        status, body = self.call("erin", "POST", self.room_path(room, "/leave"), {})
        self.assertEqual(status, 200, body)
        query = urllib.parse.urlencode({"since": since, "timeout": 0})
        status, body = self.call("erin", "GET", f"{V3}/sync?{query}")
        left = body["rooms"]["leave"][room]
        events = left["timeline"]["events"]
        self.assertEqual([(e["type"], e["state_key"], e["content"]["membership"]) for e in events],
                         [("m.room.member", self.ids["erin"], "leave")])
        self.assertNotIn(self.ids["erin"], [e["state_key"] for e in left["state"]["events"]])
        self.assertNotIn("m.room.name", [e["type"] for e in left["state"]["events"]])

    def test_room_state_of_a_reinvited_former_member_stops_at_their_leave(self):
        room = self.private_room("state-reinvited")
        self.member_change("alice", room, "invite", "erin")
        self.join("erin", room)
        status, body = self.call("erin", "POST", self.room_path(room, "/leave"), {})
        self.assertEqual(status, 200, body)
        status, body = self.call("alice", "PUT", self.room_path(room, "/state/m.room.topic"), {"topic": "after-erin-left"})
        self.assertEqual(status, 200, body)
        self.member_change("alice", room, "invite", "erin")
        status, body = self.call("erin", "GET", self.room_path(room, "/state"))
        self.assertEqual(status, 200, body)
        self.assertNotIn("m.room.topic", [e["type"] for e in body])
        self.assertIn("m.room.name", [e["type"] for e in body])
        status, body = self.call("erin", "GET", self.room_path(room, "/state/m.room.topic"))
        self.assertEqual(status, 404, body)

    def test_lazy_loaded_members_of_a_former_member_stop_at_their_leave(self):
        room = self.private_room("lazy-former")
        self.member_change("alice", room, "invite", "dave")
        self.join("dave", room)
        self.send("alice", room, "while-dave-was-here")
        status, body = self.call("dave", "POST", self.room_path(room, "/leave"), {})
        self.assertEqual(status, 200, body)
        status, body = self.call("alice", "PUT", self.room_path(room, "/state/m.room.member/" + urllib.parse.quote(self.ids["alice"])),
                                 {"membership": "join", "displayname": "renamed-after-dave-left"})
        self.assertEqual(status, 200, body)
        lazy = urllib.parse.quote(json.dumps({"lazy_load_members": True}))
        status, body = self.call("dave", "GET", self.room_path(room, f"/messages?dir=b&limit=50&filter={lazy}"))
        self.assertEqual(status, 200, body)
        names = [e["content"].get("displayname") for e in body["state"] if e["state_key"] == self.ids["alice"]]
        self.assertTrue(names, body["state"])
        self.assertNotIn("renamed-after-dave-left", names)

    def test_room_state_after_a_world_readable_period_is_the_state_at_its_end(self):
        room = self.private_room("was-world-readable")
        self.set_visibility(room, "world_readable")
        self.set_visibility(room, "joined")
        status, body = self.call("alice", "PUT", self.room_path(room, "/state/m.room.topic"), {"topic": "later"})
        self.assertEqual(status, 200, body)
        status, body = self.call("dave", "GET", self.room_path(room, "/state"))
        self.assertEqual(status, 200, body)
        types = [e["type"] for e in body]
        self.assertIn("m.room.name", types)
        self.assertNotIn("m.room.topic", types)
        status, body = self.call("dave", "GET", self.room_path(room, "/state/m.room.name"))
        self.assertEqual((status, body.get("name")), (200, "was-world-readable"))
        status, body = self.call("carol", "GET", self.room_path(self.private_room("never-readable"), "/state"))
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"))

    def test_event_stream_of_a_peeked_room_wakes_on_a_new_event(self):
        status, body = self.call("alice", "POST", V3 + "/createRoom", {"preset": "public_chat"})
        self.assertEqual(status, 200, body)
        room = body["room_id"]
        self.set_visibility(room, "world_readable")
        path = f"{V3}/events?room_id={urllib.parse.quote(room)}"
        status, body = self.call("dave", "GET", path + "&timeout=0")
        self.assertEqual(status, 200, body)
        answer = {}

        def poll():
            started = time.monotonic()
            answer["status"], answer["body"] = self.call("dave", "GET", f"{path}&from={body['end']}&timeout=10000")
            answer["seconds"] = time.monotonic() - started

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.5)   # the request is waiting by now
        sent = self.send("alice", room, "to-the-peeker")
        poller.join(20)
        self.assertEqual(answer["status"], 200, answer["body"])
        self.assertIn(sent, [e["event_id"] for e in answer["body"]["chunk"]])
        self.assertLess(answer["seconds"], 5)

    def test_event_stream_carries_receipts_and_account_data_after_the_events(self):
        status, body = self.call("alice", "POST", V3 + "/createRoom", {"preset": "public_chat"})
        self.assertEqual(status, 200, body)
        room = body["room_id"]
        sent = self.send("alice", room, "read-me")
        status, body = self.call("alice", "GET", V3 + "/events?timeout=0")
        self.assertEqual(status, 200, body)
        start = body["end"]
        status, _ = self.call("alice", "POST", self.room_path(room, "/receipt/m.read/" + urllib.parse.quote(sent)), {})
        self.assertEqual(status, 200)
        status, _ = self.call("alice", "PUT", f"{V3}/user/{self.ids['alice']}/rooms/{urllib.parse.quote(room)}"
                                              "/tags/u.work", {"order": 0.5})
        self.assertEqual(status, 200)
        status, _ = self.call("alice", "PUT", f"{V3}/user/{self.ids['alice']}/account_data/org.example.setting",
                              {"on": True})
        self.assertEqual(status, 200)
        status, body = self.call("alice", "GET", f"{V3}/events?from={start}&timeout=0")
        self.assertEqual(status, 200, body)
        by_type = {event["type"]: event for event in body["chunk"]}
        receipt = by_type["m.receipt"]
        self.assertEqual(receipt["room_id"], room)
        self.assertIn(self.ids["alice"], receipt["content"][sent]["m.read"])
        self.assertEqual((by_type["m.tag"]["room_id"], by_type["m.tag"]["content"]["tags"]),
                         (room, {"u.work": {"order": 0.5}}))
        self.assertEqual(by_type["org.example.setting"]["content"], {"on": True})
        self.assertNotIn("room_id", by_type["org.example.setting"])
        # Once read, the window is empty: nothing comes twice.
        status, again = self.call("alice", "GET", f"{V3}/events?from={body['end']}&timeout=0")
        self.assertEqual((status, again["chunk"]), (200, []))

    def test_messages_forwards_to_the_present_gives_where_to_wait(self):
        status, body = self.call("alice", "POST", V3 + "/createRoom", {"preset": "public_chat"})
        self.assertEqual(status, 200, body)
        room = body["room_id"]
        status, body = self.call("alice", "GET", V3 + "/events?timeout=0")
        now = body["end"]
        sent = self.send("alice", room, "forwards")
        status, body = self.call("alice", "GET", self.room_path(room, f"/messages?dir=f&from={now}"))
        self.assertEqual(status, 200, body)
        self.assertEqual([e["event_id"] for e in body["chunk"]], [sent])
        self.assertIn("end", body)  # later events come from there
        later = self.send("alice", room, "later")
        status, body = self.call("alice", "GET", self.room_path(room, f"/messages?dir=f&from={body['end']}"))
        self.assertEqual([e["event_id"] for e in body["chunk"]], [later])
        # Backwards to the room's creation: no further events, so no end (as the spec says).
        status, body = self.call("alice", "GET", self.room_path(room, "/messages?dir=b&limit=100"))
        self.assertEqual(status, 200, body)
        self.assertNotIn("end", body)


if __name__ == "__main__":
    unittest.main()
