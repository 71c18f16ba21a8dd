"""A room across two real servers: a user of one joins a room of the other over federation,
then each server's events reach the other through its sender's transactions and the other's
receiver (signatures, hashes, auth), and the other server reads the room back through the
federation read endpoints only when one of its users is in it."""
import time
import unittest
import urllib.parse

import federation
from test_e2ee_api import User


def quote(text):
    return urllib.parse.quote(text, safe="")


def eventually(check, seconds=15):
    """check() until it returns something true (or the time is up); returns its last value."""
    deadline = time.time() + seconds
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(0.1)


class RoomAcrossServers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers, _ = federation.federated_servers()
        cls.hs1, cls.hs2 = cls.servers
        cls.alice = User(cls.hs1, "alice", cls.hs1.registration_token())
        cls.bob = User(cls.hs2, "bob", cls.hs2.registration_token())

    @classmethod
    def tearDownClass(cls):
        federation.stop_all(cls.servers)

    def sees(self, user, room, event_id):
        status, body = user.call("GET", f"/rooms/{quote(room)}/event/{quote(event_id)}")
        return body if status == 200 else None

    def send(self, user, room, text, txn):
        status, body = user.call("PUT", f"/rooms/{quote(room)}/send/m.room.message/{txn}",
                                 {"msgtype": "m.text", "body": text})
        self.assertEqual(status, 200, body)
        return body["event_id"]

    def test_messages_reach_the_other_server_both_ways(self):
        status, body = self.alice.call("POST", "/createRoom", {"preset": "public_chat", "name": "Across"})
        self.assertEqual(status, 200, body)
        room = body["room_id"]
        status, body = self.bob.call("POST", f"/join/{quote(room)}?server_name=hs1.test", {})
        self.assertEqual(status, 200, body)

        hello = self.send(self.alice, room, "hello bob", "a1")
        seen = eventually(lambda: self.sees(self.bob, room, hello))
        self.assertTrue(seen, "hs2 never got alice's message")
        self.assertEqual(seen["content"]["body"], "hello bob")
        self.assertEqual(seen["sender"], self.alice.user_id)

        reply = self.send(self.bob, room, "hello alice", "b1")
        seen = eventually(lambda: self.sees(self.alice, room, reply))
        self.assertTrue(seen, "hs1 never got bob's reply")
        self.assertEqual(seen["content"]["body"], "hello alice")

        # Both servers list both members.
        for user in (self.alice, self.bob):
            status, body = user.call("GET", f"/rooms/{quote(room)}/joined_members")
            self.assertEqual(status, 200, body)
            self.assertEqual(set(body["joined"]), {self.alice.user_id, self.bob.user_id})

        # A state change from hs2's side reaches hs1's current state.
        status, body = self.bob.call("PUT", f"/rooms/{quote(room)}/state/m.room.member/{quote(self.bob.user_id)}",
                                     {"membership": "join", "displayname": "Bob B."})
        self.assertEqual(status, 200, body)

        def renamed():
            status, body = self.alice.call("GET", f"/rooms/{quote(room)}/state/m.room.member/{quote(self.bob.user_id)}")
            return status == 200 and body.get("displayname") == "Bob B."
        self.assertTrue(eventually(renamed), "hs1 never saw bob's new display name")


if __name__ == "__main__":
    unittest.main()
