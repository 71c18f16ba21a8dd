"""Hostile input: every malformed request gets the spec's status and errcode, and the server
keeps serving."""
import socket
import unittest
import urllib.parse

import harness

V3 = "/_matrix/client/v3"


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        cls.url = cls.server.url
        body = harness.register(cls.url, "mallory", "pw-mallory-long", cls.server.registration_token())
        cls.token = body["access_token"]
        status, room = harness.request(cls.url, "POST", V3 + "/createRoom", {}, cls.token)
        cls.room = room["room_id"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def expect(self, status, errcode, method, path, body=None, raw=None, token=True, headers=None):
        got_status, got = harness.request(self.url, method, path, body, self.token if token else None, raw=raw,
                                          headers=headers)
        self.assertEqual((got_status, (got or {}).get("errcode")), (status, errcode), got)
        return got

    def room_path(self, suffix):
        return f"{V3}/rooms/{urllib.parse.quote(self.room)}{suffix}"

    def test_malformed_json(self):
        for raw in (b"{not json", b"", b'{"a":1} trailing', b"\xff\xfe", b'{"a":"\xc3\x28"}', b"[" * 200 + b"]" * 200,
                    b'{"type":"m.login.password","type":"m.login.token"}',
                    b'{"type":"m.login.password","identifier":{"type":"m.id.user","user":"a","user":"b"}}'):
            if raw == b"":
                continue  # an empty body is an empty object
            self.expect(400, "M_NOT_JSON", "POST", V3 + "/login", raw=raw)

    def test_wrong_types(self):
        self.expect(400, "M_BAD_JSON", "POST", V3 + "/login",
                    {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": 5}, "password": "x"})
        self.expect(400, "M_BAD_JSON", "POST", V3 + "/login", raw=b"[1, 2]")
        self.expect(400, "M_BAD_JSON", "POST", V3 + "/createRoom", {"name": ["not", "a", "string"]})
        self.expect(400, "M_BAD_JSON", "PUT", self.room_path("/send/m.room.message/float1"), {"body": "x", "n": 1.5})
        self.expect(400, "M_BAD_JSON", "PUT", self.room_path("/send/m.room.message/big1"), {"body": "x", "n": 2**60})

    def test_oversized_bodies_and_events(self):
        self.expect(413, "M_TOO_LARGE", "PUT", self.room_path("/send/m.room.message/huge"),
                    raw=b'{"body":"' + b"a" * (2 << 20) + b'"}')
        self.expect(413, "M_TOO_LARGE", "PUT", self.room_path("/send/m.room.message/big-event"),
                    {"msgtype": "m.text", "body": "a" * 70000})
        self.expect(413, "M_TOO_LARGE", "PUT", self.room_path("/state/m.room.topic"), {"topic": "t" * 66000})

    def test_invalid_identifiers(self):
        self.expect(400, "M_INVALID_PARAM", "PUT", f"{V3}/rooms/not-a-room/send/m.room.message/t1", {"body": "x"})
        self.expect(400, "M_INVALID_PARAM", "GET", f"{V3}/profile/not-a-user")
        self.expect(400, "M_INVALID_PARAM", "GET", self.room_path("/event/no-dollar"))
        self.expect(400, "M_INVALID_PARAM", "POST", f"{V3}/join/%23no-server")
        self.expect(400, "M_INVALID_PARAM", "POST", self.room_path("/invite"), {"user_id": "bogus"})
        self.expect(403, "M_FORBIDDEN", "PUT", f"{V3}/rooms/!unknown:localhost/send/m.room.message/t2", {"body": "x"})

    def test_unknown_endpoints_and_methods(self):
        self.expect(404, "M_UNRECOGNIZED", "GET", V3 + "/no/such/endpoint")
        self.expect(404, "M_UNRECOGNIZED", "GET", "/_matrix/unknown")
        self.expect(405, "M_UNRECOGNIZED", "DELETE", V3 + "/login")
        self.expect(405, "M_UNRECOGNIZED", "POST", V3 + "/sync")

    def test_missing_and_invalid_tokens(self):
        self.expect(401, "M_MISSING_TOKEN", "GET", V3 + "/account/whoami", token=False)
        self.expect(401, "M_UNKNOWN_TOKEN", "GET", V3 + "/account/whoami", token=False,
                    headers={"Authorization": "Bearer myl_not-a-real-token"})
        self.expect(401, "M_UNKNOWN_TOKEN", "GET", V3 + "/account/whoami?access_token=nope", token=False)

    def test_oversized_uri_and_headers(self):
        self.expect(414, "M_TOO_LARGE", "GET", V3 + "/profile/" + "a" * 20000)
        self.expect(431, "M_TOO_LARGE", "GET", "/_matrix/client/versions", token=False, headers={"X-Big": "b" * 20000})
        # A request line under the limit but beyond the server's first read, with oversized headers.
        self.expect(431, "M_TOO_LARGE", "GET", V3 + "/profile/" + "a" * 2000, headers={"X-Big": "b" * 20000})

    def test_garbage_http_and_server_still_serves(self):
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        for garbage in (b"\x00\x01\x02 garbage\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
                        b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n\r\n"):
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                sock.sendall(garbage)
                self.assertRegex(sock.recv(4096), rb"^HTTP/1\.1 4\d\d")
        status, body = harness.request(self.url, "GET", "/_matrix/client/versions")
        self.assertEqual(status, 200)
        self.assertIn("versions", body)


class RateLimits(unittest.TestCase):
    def test_login_hammering_is_limited(self):
        server = harness.Server(rate_limits=True).start()
        try:
            limited = None
            for _ in range(50):
                status, body = harness.request(server.url, "POST", V3 + "/login", {
                    "type": "m.login.password", "identifier": {"type": "m.id.user", "user": "nobody"}, "password": "x"})
                if status == 429:
                    limited = body
                    break
                self.assertEqual(status, 403)
            self.assertIsNotNone(limited, "login was never rate limited")
            self.assertEqual(limited["errcode"], "M_LIMIT_EXCEEDED")
            self.assertGreater(limited["retry_after_ms"], 0)
            self.assertEqual(harness.request(server.url, "GET", "/_matrix/client/versions")[0], 200)
        finally:
            server.stop()

    def test_turn_credentials_are_limited(self):
        # Each answer costs an HMAC: a user asking in a loop is limited like other writes.
        server = harness.Server(rate_limits=True, extra={
            "turn_uris": '["turn:turn.example.org:3478"]', "turn_shared_secret": '"s3cret"'}).start()
        try:
            token = harness.register(server.url, "turner", "pw-turner-long", server.registration_token())["access_token"]
            statuses = [harness.request(server.url, "GET", V3 + "/voip/turnServer", token=token)[0] for _ in range(100)]
            self.assertEqual(statuses[0], 200)
            self.assertIn(429, statuses)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
