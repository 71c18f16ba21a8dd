"""End-to-end: the room cache at its smallest bound (rooms.cache_state_events: 1), so that every
room read from the store drops every other room nobody is using. Sends, joins, leaves, kicks,
state changes, typing, long-polling syncs, history and an upgrade must all behave as with every
room cached: a dropped room is read again from the store as it was."""
import itertools
import threading
import unittest

import harness

V3 = "/_matrix/client/v3"
q = harness.quote
txn_ids = itertools.count()


class RoomCacheAtItsSmallestBound(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(extra={"cache_state_events": "1"}).start()
        token = cls.server.registration_token()
        cls.alice, cls.bob, cls.carol = (harness.User(cls.server, name, token) for name in ("alice", "bob", "carol"))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def room(self, name, members=()):
        room = self.alice.ok("POST", "/createRoom", {"preset": "public_chat", "name": name})["room_id"]
        for member in members:
            member.ok("POST", f"/join/{q(room)}", {})
        return room

    def send(self, user, room, body):
        return user.ok("PUT", f"/rooms/{q(room)}/send/m.room.message/t{next(txn_ids)}",
                       {"msgtype": "m.text", "body": body})["event_id"]

    def joined(self, user, room):
        return set(user.ok("GET", f"/rooms/{q(room)}/joined_members")["joined"])

    def test_rooms_read_again_keep_their_members_state_and_history(self):
        rooms = [self.room(f"room {i}", (self.bob, self.carol)) for i in range(4)]
        for round_ in range(3):
            for i, room in enumerate(rooms):
                self.send(self.alice if i % 2 else self.bob, room, f"message {round_} in {i}")
        for i, room in enumerate(rooms):
            self.assertEqual(self.joined(self.carol, room), {self.alice.user_id, self.bob.user_id, self.carol.user_id})
            self.assertEqual(self.carol.ok("GET", f"/rooms/{q(room)}/state/m.room.name")["name"], f"room {i}")
            chunk = self.carol.ok("GET", f"/rooms/{q(room)}/messages?dir=b&limit=3")["chunk"]
            self.assertEqual([event["content"]["body"] for event in chunk],
                             [f"message {r} in {i}" for r in (2, 1, 0)])
        # Membership changes land in the room as the store has it.
        self.bob.ok("POST", f"/rooms/{q(rooms[0])}/leave", {})
        self.alice.ok("POST", f"/rooms/{q(rooms[1])}/kick", {"user_id": self.carol.user_id})
        self.alice.ok("PUT", f"/rooms/{q(rooms[2])}/state/m.room.name", {"name": "renamed"})
        for room in rooms:
            self.send(self.alice, room, "after the changes")
        self.assertEqual(self.joined(self.alice, rooms[0]), {self.alice.user_id, self.carol.user_id})
        self.assertEqual(self.joined(self.alice, rooms[1]), {self.alice.user_id, self.bob.user_id})
        self.assertEqual(self.bob.ok("GET", f"/rooms/{q(rooms[2])}/state/m.room.name")["name"], "renamed")
        status, body = self.bob.call("PUT", f"/rooms/{q(rooms[0])}/send/m.room.message/gone", {"body": "gone"})
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))

    def long_poll(self, user, since, act):
        """The sync that `act` wakes (it runs once the sync is sent)."""
        got = {}
        waiter = threading.Thread(target=lambda: got.update(user.ok("GET", f"/sync?timeout=20000&since={since}")))
        waiter.start()
        act()
        waiter.join(30)
        return got

    def test_a_waiting_sync_wakes_for_a_room_read_again(self):
        room = self.room("waiting", (self.bob,))
        others = [self.room(f"alice alone {i}") for i in range(3)]
        since = self.bob.ok("GET", "/sync?timeout=0")["next_batch"]

        def send_after_the_room_is_dropped():
            for other in others:
                self.send(self.alice, other, "elsewhere")
            self.send(self.alice, room, "wake up")

        got = self.long_poll(self.bob, since, send_after_the_room_is_dropped)
        timeline = got["rooms"]["join"][room]["timeline"]["events"]
        self.assertEqual([event["content"].get("body") for event in timeline], ["wake up"])
        self.assertEqual(set(got["rooms"]["join"]), {room})

        def type_after_the_room_is_dropped():
            for other in others:
                self.send(self.alice, other, "elsewhere")
            self.alice.ok("PUT", f"/rooms/{q(room)}/typing/{q(self.alice.user_id)}", {"typing": True, "timeout": 30000})

        got = self.long_poll(self.bob, got["next_batch"], type_after_the_room_is_dropped)
        ephemeral = got["rooms"]["join"][room]["ephemeral"]["events"]
        self.assertEqual(ephemeral, [{"type": "m.typing", "content": {"user_ids": [self.alice.user_id]}}])

    def test_an_upgrade_while_other_rooms_come_and_go(self):
        old = self.room("to upgrade", (self.bob,))
        self.send(self.bob, old, "before")
        new = self.alice.ok("POST", f"/rooms/{q(old)}/upgrade", {"new_version": "12"})["replacement_room"]
        self.assertEqual(self.bob.ok("GET", f"/rooms/{q(old)}/state/m.room.tombstone")["replacement_room"], new)
        self.assertEqual(self.alice.ok("GET", f"/rooms/{q(new)}/state/m.room.name")["name"], "to upgrade")
        self.bob.ok("POST", f"/join/{q(new)}", {})
        self.send(self.bob, new, "after")
        self.assertEqual(self.joined(self.alice, new), {self.alice.user_id, self.bob.user_id})


if __name__ == "__main__":
    unittest.main()
