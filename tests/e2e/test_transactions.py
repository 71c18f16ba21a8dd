"""End-to-end: transaction IDs (client-server-api "Transaction identifiers"). A request is a
retransmission only when it comes from the same device, to the same endpoint (the path, with
its room ID and event type), with the same transaction ID; anything else is a new request and
must be carried out."""
import unittest

import harness

V3 = "/_matrix/client/v3"
R0 = "/_matrix/client/r0"


q = harness.quote


class Client(harness.User):
    def __init__(self, server, name, token):
        super().__init__(server, name, token)
        self.since = None

    def to_device_events(self):
        path = "/sync?timeout=0" + ("&since=" + self.since if self.since else "")
        body = self.ok("GET", path)
        self.since = body["next_batch"]
        return body.get("to_device", {}).get("events", [])


class Transactions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        token = cls.server.registration_token()
        cls.alice = Client(cls.server, "alice", token)
        cls.bob = Client(cls.server, "bob", token)
        cls.bob.to_device_events()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def room(self):
        return self.alice.ok("POST", "/createRoom", {"preset": "public_chat"})["room_id"]

    def send(self, room, txn, body, event_type="m.room.message", prefix=V3):
        return self.alice.ok("PUT", f"/rooms/{q(room)}/send/{q(event_type)}/{q(txn)}", body, prefix)["event_id"]

    def content(self, room, event_id):
        return self.alice.ok("GET", f"/rooms/{q(room)}/event/{q(event_id)}")["content"]

    def test_the_same_id_in_two_rooms_sends_two_events(self):
        first, second = self.room(), self.room()
        one = self.send(first, "shared-txn", {"msgtype": "m.text", "body": "to the first room"})
        two = self.send(second, "shared-txn", {"msgtype": "m.text", "body": "to the second room"})
        self.assertNotEqual(one, two)
        self.assertEqual(self.content(first, one)["body"], "to the first room")
        self.assertEqual(self.content(second, two)["body"], "to the second room")
        # Another event type in the same room is another endpoint too.
        reaction = self.send(first, "shared-txn", {"m.relates_to": {"rel_type": "m.annotation", "event_id": one,
                                                                     "key": "+"}}, "m.reaction")
        self.assertNotEqual(reaction, one)
        self.assertEqual(self.content(first, reaction)["m.relates_to"]["key"], "+")

    def test_a_redaction_with_an_earlier_sends_id_redacts(self):
        room = self.room()
        secret = self.send(room, "txn-1", {"msgtype": "m.text", "body": "my password is hunter2"})
        redaction = self.alice.ok("PUT", f"/rooms/{q(room)}/redact/{q(secret)}/txn-1", {"reason": "oops"})["event_id"]
        self.assertNotEqual(redaction, secret)
        self.assertEqual(self.content(room, secret), {})
        self.assertEqual(self.content(room, redaction).get("reason"), "oops")

    def test_a_retransmission_returns_the_first_event(self):
        room = self.room()
        first = self.send(room, "retry-me", {"msgtype": "m.text", "body": "once"})
        self.assertEqual(self.send(room, "retry-me", {"msgtype": "m.text", "body": "once"}), first)
        # r0 is the same endpoint as v3, and an escaped spelling is the same path.
        self.assertEqual(self.send(room, "retry-me", {"msgtype": "m.text", "body": "once"}, prefix=R0), first)
        status, body = harness.request(self.alice.url, "PUT",
                                       f"{V3}/rooms/{q(room)}/send/m%2Eroom%2Emessage/retry%2Dme",
                                       {"msgtype": "m.text", "body": "once"}, self.alice.token)
        self.assertEqual((status, body["event_id"]), (200, first))
        messages = self.alice.ok("GET", f"/rooms/{q(room)}/messages?dir=b&limit=50")["chunk"]
        self.assertEqual([e["event_id"] for e in messages if e["type"] == "m.room.message"], [first])
        # A redaction retried is one redaction.
        redaction = self.alice.ok("PUT", f"/rooms/{q(room)}/redact/{q(first)}/retry-red", {})["event_id"]
        self.assertEqual(self.alice.ok("PUT", f"/rooms/{q(room)}/redact/{q(first)}/retry-red", {})["event_id"], redaction)

    def test_to_device_transactions_are_scoped_to_the_event_type(self):
        def send(event_type, txn, n):
            path = f"/sendToDevice/{q(event_type)}/{q(txn)}"
            self.assertEqual(self.alice.ok("PUT", path, {"messages": {self.bob.user_id: {"*": {"n": n}}}}), {})
        send("m.test.one", "td-txn", 1)
        send("m.test.one", "td-txn", 1)        # a retransmission: delivered once
        send("m.test.two", "td-txn", 2)        # another endpoint: delivered
        self.send(self.room(), "td-txn", {"msgtype": "m.text", "body": "and a room message"})
        send("m.test.three", "td-txn", 3)
        events = harness.wait_until(lambda: self.bob.to_device_events() or None)
        self.assertEqual([(e["type"], e["content"]["n"]) for e in events],
                         [("m.test.one", 1), ("m.test.two", 2), ("m.test.three", 3)])


if __name__ == "__main__":
    unittest.main()
