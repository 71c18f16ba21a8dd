"""End-to-end: what one device or user can make the server keep is bounded (limits.* in the
config): a to-device inbox keeps its newest messages, one-time keys per device and algorithm
and the algorithms themselves are capped, account-data values and entries too. Small inbox and
entry bounds are configured here so that the test stays quick; the others are the defaults."""
import unittest
import urllib.parse

import harness

V3 = "/_matrix/client/v3"
INBOX = 5
ENTRIES = 4


def q(text):
    return urllib.parse.quote(text, safe="")


class Client:
    def __init__(self, server, name, token):
        body = harness.register(server.url, name, f"pw-{name}-long", token)
        self.url, self.user_id, self.token = server.url, body["user_id"], body["access_token"]
        self.device = body["device_id"]

    def call(self, method, path, body=None):
        return harness.request(self.url, method, V3 + path, body, self.token)


class StorageBounds(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(extra={"to_device_inbox_messages": str(INBOX),
                                           "account_data_entries": str(ENTRIES)}).start()
        cls.token = cls.server.registration_token()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def client(self, name):
        return Client(self.server, name, self.token)

    def expect(self, client, status, errcode, method, path, body=None):
        got_status, got = client.call(method, path, body)
        self.assertEqual((got_status, (got or {}).get("errcode")), (status, errcode), got)
        return got

    def test_a_device_that_never_syncs_keeps_only_its_newest_messages(self):
        sender, lost_phone = self.client("sender"), self.client("lostphone")
        for n in range(INBOX + 3):
            # Every request is accepted: the sender learns nothing about the recipient's devices.
            self.expect(sender, 200, None, "PUT", f"/sendToDevice/m.test/txn{n}",
                        {"messages": {lost_phone.user_id: {lost_phone.device: {"n": n}}}})
        status, body = lost_phone.call("GET", "/sync?timeout=0")
        self.assertEqual(status, 200, body)
        self.assertEqual([e["content"]["n"] for e in body["to_device"]["events"]], list(range(3, INBOX + 3)))

    def test_one_time_keys_are_bounded_per_algorithm_and_in_algorithms(self):
        device = self.client("keyholder")
        keys = {f"curve25519:K{i:04d}": f"key{i}" for i in range(100)}
        status, body = device.call("POST", "/keys/upload", {"one_time_keys": keys})
        self.assertEqual((status, body["one_time_key_counts"]["curve25519"]), (200, 100), body)
        # Uploading the same keys again is no new key.
        status, body = device.call("POST", "/keys/upload", {"one_time_keys": dict(list(keys.items())[:10])})
        self.assertEqual(status, 200, body)
        self.expect(device, 403, "M_FORBIDDEN", "POST", "/keys/upload", {"one_time_keys": {"curve25519:K0100": "k"}})
        # A huge upload is refused whole, before its signatures are even looked at.
        flood = {f"signed_curve25519:F{i:05d}": {"key": "k", "signatures": {}} for i in range(10000)}
        self.expect(device, 403, "M_FORBIDDEN", "POST", "/keys/upload", {"one_time_keys": flood})
        # Invented algorithm names: only identifier-shaped ones, and only a few of them.
        self.expect(device, 400, "M_BAD_JSON", "POST", "/keys/upload", {"one_time_keys": {"Curve 25519!:K1": "k"}})
        self.expect(device, 403, "M_FORBIDDEN", "POST", "/keys/upload",
                    {"one_time_keys": {f"org.example.alg{i}:K1": "k" for i in range(4)}})
        status, body = device.call("POST", "/keys/upload", {"one_time_keys": {}})
        self.assertEqual(body["one_time_key_counts"], {"curve25519": 100, "signed_curve25519": 0})
        self.expect(device, 403, "M_FORBIDDEN", "POST", "/keys/upload",
                    {"fallback_keys": {f"org.example.alg{i}:K1": "k" for i in range(5)}})

    def test_account_data_values_and_entries_are_bounded(self):
        user = self.client("hoarder")
        path = f"/user/{q(user.user_id)}/account_data"
        self.expect(user, 413, "M_TOO_LARGE", "PUT", f"{path}/org.example.big", {"blob": "x" * 65536})
        self.expect(user, 200, None, "PUT", f"{path}/org.example.fits", {"blob": "x" * 60000})
        for n in range(1, ENTRIES):
            self.expect(user, 200, None, "PUT", f"{path}/org.example.n{n}", {"n": n})
        self.expect(user, 403, "M_FORBIDDEN", "PUT", f"{path}/org.example.one_too_many", {"n": 0})
        room = user.call("POST", "/createRoom", {})[1]["room_id"]
        self.expect(user, 403, "M_FORBIDDEN", "PUT", f"/user/{q(user.user_id)}/rooms/{q(room)}/tags/u.work", {})
        # Replacing an entry is fine; emptying one makes room for another.
        self.expect(user, 200, None, "PUT", f"{path}/org.example.n1", {"n": 11})
        self.expect(user, 200, None, "PUT", f"{path}/org.example.n1", {})
        self.expect(user, 200, None, "PUT", f"/user/{q(user.user_id)}/rooms/{q(room)}/tags/u.work", {})
        # A read marker is the server's own entry and never refused.
        status, body = user.call("GET", f"/rooms/{q(room)}/messages?dir=b&limit=1")
        event_id = body["chunk"][0]["event_id"]
        self.expect(user, 200, None, "POST", f"/rooms/{q(room)}/read_markers", {"m.fully_read": event_id})


if __name__ == "__main__":
    unittest.main()
