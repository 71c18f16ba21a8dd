"""What each spec version that /versions advertises requires, request by request: v1.13's
/keys/claim order, v1.14's user reports (and /versions itself)."""
import json
import unittest
import urllib.parse

import harness
from test_e2ee_api import User

V3 = "/_matrix/client/v3"


class SpecVersionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        cls.alice = User(cls.server, "alice", cls.server.registration_token())
        cls.bob = User(cls.server, "bob", cls.server.registration_token())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def versions(self):
        status, body = harness.request(self.server.url, "GET", "/_matrix/client/versions")
        self.assertEqual(status, 200, body)
        return body["versions"]

    def test_v1_13_claims_hand_out_the_oldest_uploaded_key_first(self):
        self.assertIn("v1.13", self.versions())
        alice = self.alice
        key = alice.account.identity_keys["curve25519"]
        status, body = alice.call("POST", "/keys/upload", {"device_keys": alice.device_keys()})
        self.assertEqual(status, 200, body)
        # Key IDs in reverse order of upload: the lowest key ID is the newest key.
        for key_id in ("zzzz", "mmmm", "aaaa"):
            status, body = alice.call("POST", "/keys/upload",
                                      {"one_time_keys": {f"signed_curve25519:{key_id}": alice.signed_key(key)}})
            self.assertEqual(status, 200, body)
        claim = {"one_time_keys": {alice.user_id: {alice.device: "signed_curve25519"}}}
        claimed = [next(iter(self.bob.call("POST", "/keys/claim", claim)[1]["one_time_keys"][alice.user_id][alice.device]))
                   for _ in range(3)]
        self.assertEqual(claimed, ["signed_curve25519:zzzz", "signed_curve25519:mmmm", "signed_curve25519:aaaa"])


if __name__ == "__main__":
    unittest.main()
