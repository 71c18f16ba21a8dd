"""Server keys and authenticated requests between two real servers: each publishes its key
document, fetches the other's keys from the other itself when a signed request comes, refuses
requests that are unsigned or wrongly signed, and keeps verifying after a key rotation (the old
key published as old). Remote profiles go over federation, under both servers' privacy rules."""
import json
import ssl
import time
import unittest

import federation
import harness
from test_federation_transport import get_over_tls

QUERY = "/_matrix/federation/v1/query/profile?user_id="


def tls_request(server, name, ca, path, headers=None):
    """GET `path` from `server`'s federation listener (certificate checked as `name`)."""
    import http.client
    import socket
    import urllib.parse
    parsed = urllib.parse.urlparse(server.federation_url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as raw:
        with ssl.create_default_context(cafile=ca).wrap_socket(raw, server_hostname=name) as tls:
            connection = http.client.HTTPConnection(name)
            connection.sock = tls
            connection.request("GET", path, headers={"Host": name, **(headers or {})})
            response = connection.getresponse()
            return response.status, json.loads(response.read())


class OpenProfiles(unittest.TestCase):
    """Both privacy switches off, so that profiles can be looked up without a shared room; hs1 is
    a key notary."""

    @classmethod
    def setUpClass(cls):
        cls.servers, cls.ca = federation.federated_servers(
            extra={"profile_lookup_requires_shared_room": "false", "profile_requires_shared_room": "false"},
            per_server={"hs1.test": {"serve_key_notary": "true"}})
        cls.hs1, cls.hs2 = cls.servers
        cls.alice = harness.User(cls.hs1, "alice", cls.hs1.registration_token())
        cls.bob = harness.User(cls.hs2, "bob", cls.hs2.registration_token())
        cls.alice.ok("PUT", f"/profile/{harness.quote(cls.alice.user_id)}/displayname", {"displayname": "Alice A"})
        cls.bob.ok("PUT", f"/profile/{harness.quote(cls.bob.user_id)}/displayname", {"displayname": "Bob B"})

    @classmethod
    def tearDownClass(cls):
        federation.stop_all(cls.servers)

    def test_the_key_document_names_the_server_and_its_key(self):
        status, body = get_over_tls(self.hs1.federation_url, "/_matrix/key/v2/server",
                                    ssl.create_default_context(cafile=self.ca), "hs1.test")
        self.assertEqual(status, 200)
        self.assertEqual(body["server_name"], "hs1.test")
        (key_id, key), = body["verify_keys"].items()
        self.assertTrue(key_id.startswith("ed25519:"))
        self.assertEqual(len(key["key"]), 43)  # 32 bytes, unpadded base64
        self.assertIn(key_id, body["signatures"]["hs1.test"])
        self.assertGreater(body["valid_until_ts"], time.time() * 1000 + 3600 * 1000)
        self.assertEqual(body["old_verify_keys"], {})

    def test_a_notary_hands_on_the_servers_own_document_countersigned(self):
        status, body = harness.request(self.hs1.url, "POST", "/_matrix/key/v2/query",
                                       {"server_keys": {"hs2.test": {}, "hs1.test": {}}})
        self.assertEqual(status, 200, body)
        documents = {d["server_name"]: d for d in body["server_keys"]}
        self.assertEqual(set(documents), {"hs1.test", "hs2.test"})
        self.assertEqual(set(documents["hs2.test"]["signatures"]), {"hs1.test", "hs2.test"})
        status, body = harness.request(self.hs1.url, "GET", "/_matrix/key/v2/query/hs2.test")
        self.assertEqual((status, body["server_keys"][0]["server_name"]), (200, "hs2.test"))
        # A server that is no notary (the default) says so.
        status, body = harness.request(self.hs2.url, "POST", "/_matrix/key/v2/query", {"server_keys": {"hs1.test": {}}})
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))

    def test_profiles_of_the_other_servers_users_come_over_federation(self):
        self.assertEqual(self.alice.ok("GET", f"/profile/{harness.quote(self.bob.user_id)}"), {"displayname": "Bob B"})
        self.assertEqual(self.bob.ok("GET", f"/profile/{harness.quote(self.alice.user_id)}/displayname"),
                         {"displayname": "Alice A"})
        status, body = self.alice.call("GET", f"/profile/{harness.quote('@nobody:hs2.test')}")
        self.assertEqual((status, body["errcode"]), (404, "M_NOT_FOUND"))

    def test_unsigned_and_wrongly_signed_requests_are_refused(self):
        path = QUERY + harness.quote(self.alice.user_id)
        for headers in ({}, {"Authorization": "Bearer abc"}, {"Authorization": "X-Matrix origin=hs2.test"},
                        {"Authorization": 'X-Matrix origin="hs2.test",destination="hs1.test",key="ed25519:nope",'
                                          'sig="AAAA"'},
                        {"Authorization": 'X-Matrix origin="hs2.test",destination="hs9.test",key="ed25519:a",'
                                          'sig="AAAA"'}):
            status, body = tls_request(self.hs1, "hs1.test", self.ca, path, headers)
            self.assertEqual((status, body["errcode"]), (401, "M_UNAUTHORIZED"), headers)
        # The server keeps answering signed requests.
        self.assertEqual(self.bob.ok("GET", f"/profile/{harness.quote(self.alice.user_id)}/displayname"),
                         {"displayname": "Alice A"})

    def test_requests_signed_after_a_key_rotation_still_verify(self):
        # hs1 learns hs2's current key, then hs2 rotates and restarts.
        carol = harness.User(self.hs1, "carol", self.hs1.registration_token())
        self.bob.ok("GET", f"/profile/{harness.quote(carol.user_id)}")
        _, before = get_over_tls(self.hs2.federation_url, "/_matrix/key/v2/server",
                                 ssl.create_default_context(cafile=self.ca), "hs2.test")
        (old_id, old_key), = before["verify_keys"].items()
        self.hs2.stop()
        self.hs2.cli("signing-key", "rotate")
        self.hs2.start()
        status, after = get_over_tls(self.hs2.federation_url, "/_matrix/key/v2/server",
                                     ssl.create_default_context(cafile=self.ca), "hs2.test")
        self.assertEqual(status, 200)
        (new_id, _), = after["verify_keys"].items()
        self.assertNotEqual(new_id, old_id)
        self.assertEqual(after["old_verify_keys"][old_id]["key"], old_key["key"])
        self.assertLessEqual(after["old_verify_keys"][old_id]["expired_ts"], time.time() * 1000)
        # hs2 now signs with the new key: hs1 fetches it and accepts the request.
        dave = harness.User(self.hs1, "dave", self.hs1.registration_token())
        dave.ok("PUT", f"/profile/{harness.quote(dave.user_id)}/displayname", {"displayname": "Dave D"})
        self.bob.url = self.hs2.url
        self.assertEqual(self.bob.ok("GET", f"/profile/{harness.quote(dave.user_id)}"), {"displayname": "Dave D"})


class PrivateProfilesByDefault(unittest.TestCase):
    """hs1 keeps its defaults; hs2 lets its users look anyone up, so the question reaches hs1."""

    @classmethod
    def setUpClass(cls):
        cls.servers, cls.ca = federation.federated_servers(
            per_server={"hs2.test": {"profile_lookup_requires_shared_room": "false"}})
        cls.hs1, cls.hs2 = cls.servers
        cls.alice = harness.User(cls.hs1, "alice", cls.hs1.registration_token())
        cls.bob = harness.User(cls.hs2, "bob", cls.hs2.registration_token())
        cls.alice.ok("PUT", f"/profile/{harness.quote(cls.alice.user_id)}/displayname", {"displayname": "Alice A"})

    @classmethod
    def tearDownClass(cls):
        federation.stop_all(cls.servers)

    def test_no_shared_room_no_profile_and_no_hint_that_the_user_exists(self):
        for user_id in (self.alice.user_id, "@nobody:hs1.test"):
            status, body = self.bob.call("GET", f"/profile/{harness.quote(user_id)}")
            self.assertEqual((status, body["errcode"]), (404, "M_NOT_FOUND"), user_id)
        # hs1's own users are held to its client-side rule before anything is asked.
        status, body = self.alice.call("GET", f"/profile/{harness.quote(self.bob.user_id)}")
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))

    def test_a_server_with_federation_off_refuses_server_requests(self):
        server = harness.Server().start()
        try:
            status, body = harness.request(server.url, "GET", QUERY + harness.quote("@a:localhost"))
            self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
