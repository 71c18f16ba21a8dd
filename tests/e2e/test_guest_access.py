"""End-to-end: guest accounts (client-server-api "Guest Access"), off by default."""
import unittest
import urllib.parse

import harness

V3 = "/_matrix/client/v3"


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


if __name__ == "__main__":
    unittest.main()
