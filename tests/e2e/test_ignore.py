"""End-to-end: ignoring users (client-server-api "Ignoring Users"), over raw HTTP.

alice ignores bob: from her next sync on, bob's messages never reach her — not in incremental
or initial syncs, not in /messages, /context, the room initialSync or the event stream — while his state events
(his membership) still do, and his invites are not sent to her. Taking him off the list
brings his new messages back, not those sent meanwhile."""
import itertools
import json
import unittest
import urllib.parse

import harness

V3 = "/_matrix/client/v3"


class Ignoring(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        token = cls.server.registration_token(uses=3)
        cls.alice, cls.bob, cls.carol = (harness.User(cls.server, name, token) for name in ("alice", "bob", "carol"))
        cls.txn = itertools.count()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.ignore()  # nobody ignored at the start of each test

    def ignore(self, *users):
        self.alice.ok("PUT", f"/user/{harness.quote(self.alice.user_id)}/account_data/m.ignored_user_list",
                      {"ignored_users": {user.user_id: {} for user in users}})

    def send(self, who, room, body):
        return who.ok("PUT", f"/rooms/{harness.quote(room)}/send/m.room.message/t{next(self.txn)}",
                      {"msgtype": "m.text", "body": body})["event_id"]

    def sync(self, since=None, timeout=0):
        query = {"timeout": str(timeout)}
        if since:
            query["since"] = since
        return self.alice.ok("GET", "/sync?" + urllib.parse.urlencode(query))

    @staticmethod
    def bodies(events):
        return [event["content"].get("body") for event in events if event["type"] == "m.room.message"]

    def timeline(self, sync, room):
        return sync["rooms"]["join"].get(room, {}).get("timeline", {}).get("events", [])

    def shared_room(self):
        room = self.alice.ok("POST", "/createRoom", {"preset": "public_chat"})["room_id"]
        for who in (self.bob, self.carol):
            who.ok("POST", f"/rooms/{harness.quote(room)}/join", {})
        return room

    def test_an_ignored_users_messages_never_reach_the_ignorer(self):
        room = self.shared_room()
        self.send(self.bob, room, "bob before")
        first = self.sync()
        self.assertEqual(self.bodies(self.timeline(first, room)), ["bob before"])
        self.ignore(self.bob)
        self.send(self.bob, room, "bob ignored")
        carol_event = self.send(self.carol, room, "carol")
        self.send(self.bob, room, "bob ignored again")
        # The next sync: carol's message only, and the list itself as account data.
        later = self.sync(first["next_batch"])
        self.assertEqual(self.bodies(self.timeline(later, room)), ["carol"])
        lists = [event for event in later["account_data"]["events"] if event["type"] == "m.ignored_user_list"]
        self.assertEqual(lists[0]["content"], {"ignored_users": {self.bob.user_id: {}}})
        # An initial sync hides his earlier messages too; his membership (state) stays.
        initial = self.sync()
        events = self.timeline(initial, room) + initial["rooms"]["join"][room]["state"]["events"]
        self.assertEqual(self.bodies(events), ["carol"])
        self.assertTrue(any(e["type"] == "m.room.member" and e["state_key"] == self.bob.user_id for e in events))
        # /messages: no message of his, his membership still there.
        chunk = self.alice.ok("GET", f"/rooms/{harness.quote(room)}/messages?dir=b&limit=50")["chunk"]
        self.assertEqual(self.bodies(chunk), ["carol"])
        self.assertTrue(any(e["type"] == "m.room.member" and e["sender"] == self.bob.user_id for e in chunk))
        # /context around carol's message, and the room's initialSync.
        context = self.alice.ok("GET", f"/rooms/{harness.quote(room)}/context/{harness.quote(carol_event)}?limit=10")
        self.assertEqual(self.bodies(context["events_before"] + context["events_after"]), [])
        snapshot = self.alice.ok("GET", f"/rooms/{harness.quote(room)}/initialSync")
        self.assertEqual(self.bodies(snapshot["messages"]["chunk"]), ["carol"])
        # The deprecated event stream, from before it all.
        stream = self.alice.ok("GET", f"/events?from={first['next_batch'].split('_')[0]}&timeout=0")
        self.assertEqual(self.bodies(stream["chunk"]), ["carol"])
        # Others still see everything.
        chunk = self.carol.ok("GET", f"/rooms/{harness.quote(room)}/messages?dir=b&limit=50")["chunk"]
        self.assertEqual(len(self.bodies(chunk)), 4)

    def test_a_change_of_the_list_applies_at_the_next_sync(self):
        room = self.shared_room()
        position = self.sync()["next_batch"]
        self.ignore(self.bob)
        self.send(self.bob, room, "while ignored")
        after = self.sync(position)
        self.assertEqual(self.bodies(self.timeline(after, room)), [])
        self.ignore()
        self.send(self.bob, room, "after")
        again = self.sync(after["next_batch"])
        # His new message comes; the one sent while he was ignored does not come back.
        self.assertEqual(self.bodies(self.timeline(again, room)), ["after"])

    def test_a_waiting_sync_is_not_woken_by_an_ignored_user(self):
        room = self.shared_room()
        self.ignore(self.bob)
        position = self.sync()["next_batch"]
        self.send(self.bob, room, "quiet")
        waited = self.sync(position, timeout=300)
        self.assertEqual(waited["rooms"]["join"].get(room, {}).get("timeline", {}).get("events", []), [])

    def test_invites_from_ignored_users_are_not_sent(self):
        position = self.sync()["next_batch"]
        self.ignore(self.bob)
        from_bob = self.bob.ok("POST", "/createRoom", {"invite": [self.alice.user_id]})["room_id"]
        from_carol = self.carol.ok("POST", "/createRoom", {"invite": [self.alice.user_id]})["room_id"]
        for sync in (self.sync(position), self.sync()):
            invites = sync["rooms"]["invite"]
            self.assertIn(from_carol, invites)
            self.assertNotIn(from_bob, invites)

    def test_ignoring_oneself_hides_nothing(self):
        room = self.shared_room()
        self.ignore(self.alice)
        self.send(self.alice, room, "mine")
        chunk = self.alice.ok("GET", f"/rooms/{harness.quote(room)}/messages?dir=b&limit=50")["chunk"]
        self.assertEqual(self.bodies(chunk), ["mine"])

    def test_the_list_must_have_the_specs_shape(self):
        path = f"/user/{harness.quote(self.alice.user_id)}/account_data/m.ignored_user_list"
        for bad in ({"ignored_users": [self.bob.user_id]}, {"ignored_users": {"bob": {}}},
                    {"ignored_users": {self.bob.user_id: True}}, {"something": "else"}):
            status, body = self.alice.call("PUT", path, bad)
            self.assertEqual((status, body["errcode"]), (400, "M_BAD_JSON"), json.dumps(bad))
        self.assertEqual(self.alice.ok("GET", path), {"ignored_users": {}})


if __name__ == "__main__":
    unittest.main()
