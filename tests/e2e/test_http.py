"""The HTTP edges of the real server: a storage failure in a request's continuation is still
answered, long-polling syncs are answered on SIGTERM, one address cannot take every connection,
the request log (debug level only) leaves secrets out, and unusable config values are refused."""
import os
import signal
import socket
import sqlite3
import threading
import time
import unittest
import urllib.parse

import harness

V3 = "/_matrix/client/v3"


def collect_stdout(server):
    """The server logs to stdout: read it in the background (the pipe must not fill up)."""
    lines = []
    thread = threading.Thread(target=lambda: lines.extend(server.process.stdout), daemon=True)
    thread.start()
    return lines, thread


class StorageFailureInContinuations(unittest.TestCase):
    """Login, registration, password change and password UIA finish on the event loop after
    argon2id ran on a worker; a storage error there must still answer 500 M_UNKNOWN. The
    failure is forced by holding SQLite's write lock from another connection, so the server's
    first write in the continuation fails after its 5 s busy timeout (reads still work)."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(registration_open=True).start()
        cls.lines, _ = collect_stdout(cls.server)
        cls.url = cls.server.url
        cls.user = harness.register(cls.url, "carol", "pw-carol-long", cls.server.registration_token())
        # Sessions whose client-IP write is done, so admission writes nothing for a minute.
        cls.first, cls.second = cls.login(), cls.login()
        status, challenge = harness.request(cls.url, "POST", V3 + "/register", {"username": "dave", "password": "pw-dave-long"})
        assert status == 401, challenge
        cls.register_session = challenge["session"]
        cls.assertOk(harness.request(cls.url, "GET", V3 + "/account/whoami", token=cls.user["access_token"]))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    @staticmethod
    def assertOk(result):
        assert result[0] == 200, result

    @classmethod
    def login(cls):
        status, body = harness.request(cls.url, "POST", V3 + "/login", cls.login_body())
        assert status == 200, body
        cls.assertOk(harness.request(cls.url, "GET", V3 + "/account/whoami", token=body["access_token"]))
        return body

    @staticmethod
    def login_body():
        return {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "carol"},
                "password": "pw-carol-long"}

    def test_each_continuation_answers_500(self):
        auth = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "carol"},
                "password": "pw-carol-long"}
        lock = sqlite3.connect(os.path.join(self.server.dir, "myelin.db"), isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            cases = {
                "login": ("POST", V3 + "/login", self.login_body(), None),
                "registration": ("POST", V3 + "/register", {
                    "username": "dave", "password": "pw-dave-long",
                    "auth": {"type": "m.login.dummy", "session": self.register_session}}, None),
                "password change": ("POST", V3 + "/account/password", {
                    "new_password": "pw-carol-new", "logout_devices": False, "auth": auth}, self.first["access_token"]),
                "password UIA": ("DELETE", V3 + "/devices/" + urllib.parse.quote(self.second["device_id"]),
                                 {"auth": auth}, self.user["access_token"]),
            }
            for name, (method, path, body, token) in cases.items():
                with self.subTest(name):
                    if name == "password UIA":   # a first request opens the UIA session
                        status, challenge = harness.request(self.url, method, path, {}, token)
                        self.assertEqual(status, 401, challenge)
                        body["auth"] = dict(auth, session=challenge["session"])
                    try:
                        status, answer = harness.request(self.url, method, path, body, token, timeout=15)
                    except TimeoutError:
                        self.fail(name + " was never answered")
                    self.assertEqual((status, (answer or {}).get("errcode")), (500, "M_UNKNOWN"), name)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        # The server goes on serving once the disk is back.
        status, body = harness.request(self.url, "POST", V3 + "/login", self.login_body())
        self.assertEqual(status, 200, body)


class ShutdownAnswersLongPolls(unittest.TestCase):
    def test_sigterm_answers_a_waiting_sync(self):
        server = harness.Server().start()
        try:
            collect_stdout(server)
            user = harness.register(server.url, "erin", "pw-erin-long", server.registration_token())
            status, first = harness.request(server.url, "GET", V3 + "/sync", token=user["access_token"])
            self.assertEqual(status, 200)
            since = first["next_batch"]
            result = {}

            def long_poll():
                try:
                    result["answer"] = harness.request(
                        server.url, "GET", V3 + "/sync?timeout=30000&since=" + urllib.parse.quote(since),
                        token=user["access_token"], timeout=20)
                except Exception as error:  # noqa: BLE001 - reported below
                    result["error"] = error

            poll = threading.Thread(target=long_poll)
            poll.start()
            time.sleep(0.5)   # parked
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            poll.join(timeout=20)
            self.assertNotIn("error", result, result)
            status, body = result["answer"]
            self.assertEqual(status, 200, body)
            self.assertEqual(body["next_batch"], since)
            self.assertEqual(body["rooms"]["join"], {})
            self.assertLess(time.monotonic() - started, 3)   # answered, not waited out to the grace period
            self.assertEqual(server.process.wait(timeout=10), 0)
        finally:
            server.stop()


class ConnectionLimits(unittest.TestCase):
    def test_one_address_cannot_take_every_connection(self):
        server = harness.Server(extra={"max_connections_per_address": "2", "header_timeout_seconds": "1"}).start()
        try:
            collect_stdout(server)
            host, port = server.url.removeprefix("http://").rsplit(":", 1)

            def connect(source):
                return socket.create_connection((host, int(port)), timeout=5, source_address=(source, 0))

            def served(sock):
                try:
                    sock.sendall(b"GET /_matrix/client/versions HTTP/1.1\r\nHost: x\r\n\r\n")
                    return sock.recv(4096).startswith(b"HTTP/1.1 200")
                except OSError:   # reset: closed at accept
                    return False

            held = [connect("127.0.0.1") for _ in range(2)]
            self.assertTrue(all(served(sock) for sock in held))
            extra = connect("127.0.0.1")
            self.assertFalse(served(extra))   # closed at accept
            other = connect("127.0.0.2")
            self.assertTrue(served(other))
            # A connection that sends no request is closed after the header deadline.
            silent = connect("127.0.0.3")
            started = time.monotonic()
            self.assertEqual(silent.recv(1), b"")
            self.assertLess(time.monotonic() - started, 4)
            for sock in held + [extra, other, silent]:
                sock.close()
        finally:
            server.stop()


class RequestLog(unittest.TestCase):
    def run_requests(self, server):
        user = harness.register(server.url, "frank", "pw-frank-long", server.registration_token())
        token = user["access_token"]
        status, _ = harness.request(server.url, "GET", V3 + "/account/whoami?access_token=" + token)
        self.assertEqual(status, 200)
        harness.request(server.url, "GET", "/_matrix/client/v1/register/m.login.registration_token/validity?token=sekrit")
        harness.request(server.url, "GET", V3 + "/register/available?username=probed-name")
        harness.request(server.url, "GET", "/_matrix/client/v1/media/download/localhost/nosuchmedia/holiday-photo.jpg",
                        token=token)
        return user

    def test_debug_level_logs_requests_without_secrets(self):
        server = harness.Server(extra={"log_level": '"debug"'}).start()
        try:
            lines, reader = collect_stdout(server)
            user = self.run_requests(server)
        finally:
            server.stop()
        reader.join(timeout=10)
        text = b"".join(lines).decode()
        whoami = [line for line in text.splitlines() if "request GET /_matrix/client/v3/account/whoami" in line]
        self.assertEqual(len(whoami), 1, text)
        self.assertRegex(whoami[0], r"\?access_token=<redacted> 200 \d+ms @frank:localhost$")
        self.assertRegex(text, r"validity\?token=<redacted> 200 \d+ms -")
        self.assertRegex(text, r"request POST /_matrix/client/v3/register 200 \d+ms -")
        self.assertRegex(text, r"register/available\?username=<redacted> 200 \d+ms -")
        self.assertRegex(text, r"request GET /_matrix/client/v1/media/download/localhost/nosuchmedia/<redacted> 404 \d+ms @frank")
        self.assertNotIn("probed-name", text)
        self.assertNotIn("holiday-photo", text)
        self.assertNotIn(user["access_token"], text)
        self.assertNotIn("sekrit", text)
        self.assertNotIn("pw-frank-long", text)
        self.assertNotIn("127.0.0.1", text)

    def test_default_level_logs_no_requests(self):
        server = harness.Server().start()
        try:
            lines, reader = collect_stdout(server)
            self.run_requests(server)
        finally:
            server.stop()
        reader.join(timeout=10)
        text = b"".join(lines).decode()
        self.assertNotIn("request ", text)
        self.assertNotIn("whoami", text)


class ConfigValidation(unittest.TestCase):
    """Values the server cannot work with are refused at startup, with the reason."""

    def assert_refused(self, extra, message):
        server = harness.Server(extra=extra)
        try:
            with self.assertRaises(RuntimeError) as caught:
                server.start()
        finally:
            server.stop()
        self.assertIn(message, str(caught.exception))

    def test_header_timeout_out_of_range(self):
        for value in ("0", "3601", "99999999999999999"):
            self.assert_refused({"header_timeout_seconds": value}, "limits.header_timeout_seconds must be between 1 and 3600")

    def test_turn_uris_without_credentials(self):
        uris = '["turn:turn.example.org:3478"]'
        message = "voip.turn_uris needs voip.turn_shared_secret, or voip.turn_username and voip.turn_password"
        self.assert_refused({"turn_uris": uris}, message)
        self.assert_refused({"turn_uris": uris, "turn_username": '"alice"'}, message)
        server = harness.Server(extra={"turn_uris": uris, "turn_username": '"alice"', "turn_password": '"pw"'}).start()
        server.stop()


if __name__ == "__main__":
    unittest.main()
