"""End-to-end: guest accounts (client-server-api "Guest Access"), off by default."""
import http.client
import json
import unittest
import urllib.parse

import harness

V3 = "/_matrix/client/v3"
q = harness.quote


class GuestAccess(unittest.TestCase):
    def test_off_by_default(self):
        server = harness.Server().start()
        try:
            status, body = harness.request(server.url, "POST", V3 + "/register?kind=guest", {})
            self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))
        finally:
            server.stop()

    def test_guests_read_and_join_only_where_allowed(self):
        server = harness.Server(extra={"guest_access": "true"}).start()
        try:
            url = server.url
            alice = harness.register(url, "alice", "pw-alice-long", server.registration_token())["access_token"]
            status, guest = harness.request(url, "POST", V3 + "/register?kind=guest", {})
            self.assertEqual(status, 200, guest)
            token = guest["access_token"]
            status, body = harness.request(url, "POST", V3 + "/createRoom", {}, token)
            self.assertEqual((status, body["errcode"]), (403, "M_GUEST_ACCESS_FORBIDDEN"))
            status, body = harness.request(url, "POST", V3 + "/createRoom", {"preset": "public_chat"}, alice)
            room = urllib.parse.quote(body["room_id"])
            status, body = harness.request(url, "POST", f"{V3}/rooms/{room}/join", {}, token)
            self.assertEqual((status, body["errcode"]), (403, "M_GUEST_ACCESS_FORBIDDEN"))
            status, body = harness.request(url, "PUT", f"{V3}/rooms/{room}/state/m.room.guest_access",
                                           {"guest_access": "can_join"}, alice)
            self.assertEqual(status, 200, body)
            status, body = harness.request(url, "POST", f"{V3}/rooms/{room}/join", {}, token)
            self.assertEqual(status, 200, body)
            status, body = harness.request(url, "PUT", f"{V3}/rooms/{room}/send/m.room.message/g1",
                                           {"msgtype": "m.text", "body": "hi"}, token)
            self.assertEqual(status, 200, body)
            status, body = harness.request(url, "GET", f"{V3}/rooms/{room}/messages?dir=b", None, token)
            self.assertEqual(status, 200, body)
            status, body = harness.request(url, "GET", V3 + "/account/whoami", None, token)
            self.assertEqual((status, body["user_id"]), (200, guest["user_id"]))
            # Closing the room to guests makes the guests in it leave.
            status, body = harness.request(url, "PUT", f"{V3}/rooms/{room}/state/m.room.guest_access",
                                           {"guest_access": "forbidden"}, alice)
            self.assertEqual(status, 200, body)
            member = urllib.parse.quote(guest["user_id"])
            status, body = harness.request(url, "GET", f"{V3}/rooms/{room}/state/m.room.member/{member}", None, alice)
            self.assertEqual((status, body.get("membership")), (200, "leave"))
        finally:
            server.stop()


class GuestsLeave(unittest.TestCase):
    """Guests in a room (joined or invited) leave once the room stops letting them join, and
    guests may use the routes the module lists."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(extra={"guest_access": "true"}).start()
        cls.alice = harness.User(cls.server, "alice", cls.server.registration_token())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def guest(self):
        status, body = harness.request(self.server.url, "POST", V3 + "/register?kind=guest", {})
        self.assertEqual(status, 200, body)
        return body

    def guest_call(self, guest, method, path, body=None, prefix=V3, raw=None):
        return harness.request(self.server.url, method, prefix + path, body, guest["access_token"], raw=raw)

    def open_room(self):
        room = self.alice.ok("POST", "/createRoom", {"preset": "public_chat"})["room_id"]
        event_id = self.alice.ok("PUT", f"/rooms/{q(room)}/state/m.room.guest_access",
                                 {"guest_access": "can_join"})["event_id"]
        return room, event_id

    def membership(self, room, user_id):
        status, body = self.alice.call("GET", f"/rooms/{q(room)}/state/m.room.member/{q(user_id)}")
        self.assertEqual(status, 200, body)
        return body["membership"]

    def test_redacting_guest_access_makes_guests_leave(self):
        room, access = self.open_room()
        joined, invited = self.guest(), self.guest()
        self.assertEqual(self.guest_call(joined, "POST", f"/rooms/{q(room)}/join", {})[0], 200)
        self.alice.ok("POST", f"/rooms/{q(room)}/invite", {"user_id": invited["user_id"]})
        # The redacted event has no content: guests may no longer join.
        self.alice.ok("PUT", f"/rooms/{q(room)}/redact/{q(access)}/r1", {})
        self.assertEqual(self.membership(room, joined["user_id"]), "leave")
        self.assertEqual(self.membership(room, invited["user_id"]), "leave")
        status, body = self.guest_call(joined, "POST", f"/rooms/{q(room)}/join", {})
        self.assertEqual((status, body["errcode"]), (403, "M_GUEST_ACCESS_FORBIDDEN"))

    def test_closing_the_room_makes_invited_guests_leave_and_is_answered_once(self):
        room, _ = self.open_room()
        invited = self.guest()
        self.alice.ok("POST", f"/rooms/{q(room)}/invite", {"user_id": invited["user_id"]})
        host, port = urllib.parse.urlsplit(self.server.url).netloc.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            headers = {"Authorization": "Bearer " + self.alice.token, "Content-Type": "application/json"}
            conn.request("PUT", f"{V3}/rooms/{q(room)}/state/m.room.guest_access",
                         json.dumps({"guest_access": "forbidden"}), headers)
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            self.assertIn("event_id", json.loads(response.read()))
            # The guests have left before the answer, and the connection carries no second one.
            conn.request("GET", V3 + "/account/whoami", headers=headers)
            response = conn.getresponse()
            self.assertEqual((response.status, json.loads(response.read())["user_id"]), (200, self.alice.user_id))
        finally:
            conn.close()
        self.assertEqual(self.membership(room, invited["user_id"]), "leave")

    def test_a_refused_guest_access_change_leaves_the_guests(self):
        room, _ = self.open_room()
        guest, bob = self.guest(), harness.User(self.server, "bob", self.server.registration_token())
        self.assertEqual(self.guest_call(guest, "POST", f"/rooms/{q(room)}/join", {})[0], 200)
        bob.ok("POST", f"/rooms/{q(room)}/join", {})
        status, body = bob.call("PUT", f"/rooms/{q(room)}/state/m.room.guest_access", {"guest_access": "forbidden"})
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))
        self.assertEqual(self.membership(room, guest["user_id"]), "join")

    def test_a_guest_upgrades_to_a_full_account_of_the_same_id(self):
        room, _ = self.open_room()
        guest = self.guest()
        self.assertEqual(self.guest_call(guest, "POST", f"/rooms/{q(room)}/join", {})[0], 200)
        localpart = guest["user_id"][1:].split(":")[0]
        url, token = self.server.url, self.server.registration_token()

        def register(body):
            status, challenge = harness.request(url, "POST", V3 + "/register", body)
            self.assertEqual(status, 401, challenge)
            return harness.request(url, "POST", V3 + "/register", {**body, "auth": {
                "type": "m.login.registration_token", "token": token, "session": challenge["session"]}})
        # Only with the guest's own localpart, and only a guest's token.
        status, body = harness.request(url, "POST", V3 + "/register", {
            "username": "someone-else", "password": "pw-upgraded-long", "guest_access_token": guest["access_token"]})
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))
        status, body = harness.request(url, "POST", V3 + "/register", {
            "username": "alice", "password": "pw-upgraded-long", "guest_access_token": self.alice.token})
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))
        status, body = register({"username": localpart, "password": "pw-upgraded-long",
                                 "guest_access_token": guest["access_token"]})
        self.assertEqual((status, body.get("user_id")), (200, guest["user_id"]), body)
        # A full account now: it logs in with its password, creates rooms, and is still in the room.
        status, login = harness.request(url, "POST", V3 + "/login", {
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": localpart},
            "password": "pw-upgraded-long"})
        self.assertEqual(status, 200, login)
        status, body = harness.request(url, "POST", V3 + "/createRoom", {}, login["access_token"])
        self.assertEqual(status, 200, body)
        self.assertEqual(self.membership(room, guest["user_id"]), "join")

    def test_guests_download_media_and_set_only_their_display_name(self):
        guest = self.guest()
        status, body = harness.request(self.server.url, "POST", "/_matrix/media/v3/upload?filename=a.txt", None,
                                       self.alice.token, raw=b"hello guests",
                                       headers={"Content-Type": "text/plain"})
        self.assertEqual(status, 200, body)
        server_name, media_id = body["content_uri"][len("mxc://"):].split("/")
        media = f"/_matrix/client/v1/media"
        status, body = self.guest_call(guest, "GET", f"/download/{server_name}/{media_id}", prefix=media)
        self.assertEqual((status, body), (200, b"hello guests"))
        status, body = self.guest_call(guest, "GET", f"/download/{server_name}/{media_id}/a.txt", prefix=media)
        self.assertEqual((status, body), (200, b"hello guests"))
        # Not an image, so no thumbnail, but the guest is let in.
        status, body = self.guest_call(guest, "GET", f"/thumbnail/{server_name}/{media_id}?width=32&height=32",
                                       prefix=media)
        self.assertNotEqual((body or {}).get("errcode") if isinstance(body, dict) else None,
                            "M_GUEST_ACCESS_FORBIDDEN", (status, body))
        profile = f"/profile/{q(guest['user_id'])}"
        status, body = self.guest_call(guest, "PUT", profile + "/displayname", {"displayname": "Visitor"})
        self.assertEqual(status, 200, body)
        status, body = self.guest_call(guest, "GET", profile + "/displayname")
        self.assertEqual((status, body), (200, {"displayname": "Visitor"}))
        status, body = self.guest_call(guest, "DELETE", profile + "/displayname")
        self.assertEqual(status, 200, body)
        for method, body in (("PUT", {"avatar_url": "mxc://localhost/x"}), ("DELETE", None)):
            status, body = self.guest_call(guest, method, profile + "/avatar_url", body)
            self.assertEqual((status, body["errcode"]), (403, "M_GUEST_ACCESS_FORBIDDEN"), method)

    def test_guests_are_answered_as_themselves_where_a_token_is_optional(self):
        guest = self.guest()
        room, _ = self.open_room()
        for path, prefix in ((f"/profile/{q(guest['user_id'])}", V3), ("/publicRooms", V3),
                             (f"/room_summary/{q(room)}", "/_matrix/client/v1")):
            status, body = self.guest_call(guest, "GET", path, prefix=prefix)
            self.assertEqual(status, 200, (path, body))


if __name__ == "__main__":
    unittest.main()
