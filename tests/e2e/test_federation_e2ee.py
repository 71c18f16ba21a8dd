"""End-to-end encryption keys across two real servers: keys/query and keys/claim for the other
server's users go to that server's federation keys API and come back whole, and device display
names never leave their server (PRIVACY); a server that cannot be reached is named in
`failures`."""
import unittest

import federation
import harness
from test_e2ee_api import User


class KeysAcrossServers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Device names visible to local users, to show that they still do not cross servers.
        cls.servers, _ = federation.federated_servers(extra={"device_names_visible": "true"})
        cls.hs1, cls.hs2 = cls.servers
        cls.alice = User(cls.hs1, "alice", cls.hs1.registration_token())
        cls.bob = User(cls.hs2, "bob", cls.hs2.registration_token())
        status, body = cls.bob.call("POST", "/keys/upload",
                                    {"device_keys": cls.bob.device_keys(), "one_time_keys": cls.bob.one_time_keys(2)})
        assert status == 200, body
        status, body = cls.bob.call("PUT", f"/devices/{cls.bob.device}", {"display_name": "Bob's Pixel 7 (Android)"})
        assert status == 200, body

    @classmethod
    def tearDownClass(cls):
        federation.stop_all(cls.servers)

    def test_device_keys_of_a_remote_user_come_from_their_server_without_the_device_name(self):
        status, body = self.alice.call("POST", "/keys/query", {"device_keys": {self.bob.user_id: []}})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["failures"], {})
        key = body["device_keys"][self.bob.user_id][self.bob.device]
        self.assertEqual(key, self.bob.device_keys())  # exactly as uploaded, signature included
        self.assertNotIn("unsigned", key)
        # Bob's own server shows him the name.
        status, own = self.bob.call("POST", "/keys/query", {"device_keys": {self.bob.user_id: []}})
        self.assertEqual(own["device_keys"][self.bob.user_id][self.bob.device]["unsigned"]["device_display_name"],
                         "Bob's Pixel 7 (Android)")

    def test_one_time_keys_of_a_remote_device_are_claimed_once_each(self):
        claim = {"one_time_keys": {self.bob.user_id: {self.bob.device: "signed_curve25519"}}}
        seen = set()
        for _ in range(2):
            status, body = self.alice.call("POST", "/keys/claim", claim)
            self.assertEqual((status, body["failures"]), (200, {}), body)
            (key_id, key), = body["one_time_keys"][self.bob.user_id][self.bob.device].items()
            self.assertTrue(key_id.startswith("signed_curve25519:"))
            self.assertIn(self.bob.user_id, key["signatures"])
            seen.add(key_id)
        self.assertEqual(len(seen), 2)
        status, body = self.alice.call("POST", "/keys/claim", claim)
        self.assertEqual(body["one_time_keys"], {})  # none left, and no fallback key

    def test_an_unreachable_server_is_named_in_failures(self):
        status, body = self.alice.call("POST", "/keys/query", {"device_keys": {"@x:unreachable.test": []},
                                                               "timeout": 2000})
        self.assertEqual(status, 200, body)
        self.assertIn("unreachable.test", body["failures"])
        self.assertEqual(body["device_keys"], {})


if __name__ == "__main__":
    unittest.main()
