"""What real clients need from the server beyond the happy path, over plain HTTP: invites and
knocks that carry enough stripped state to name the room (Element names a DM after the inviter),
login that does not reveal deactivation, and what older clients (nheko, Quaternion) send:
oversized thumbnail requests, empty pagination tokens and the TURN endpoint."""
import base64
import hashlib
import hmac
import json
import struct
import time
import unittest
import zlib

import harness

V3 = "/_matrix/client/v3"
V1_MEDIA = "/_matrix/client/v1/media"
STRIPPED_KEYS = {"type", "state_key", "sender", "content"}


def png(width, height):
    """A valid RGB PNG of width x height (a grey gradient), without metadata chunks."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = bytes(x * 255 // max(1, width - 1) for x in range(width) for _ in range(3))
    rows = (b"\0" + row) * height
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def image_size(data):
    """(width, height) of a PNG or JPEG (from its first start-of-frame segment)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">II", data[16:24])
    assert data[:2] == b"\xff\xd8", data[:16]
    at = 2
    while at + 9 < len(data):
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        at += 2 + length
    raise AssertionError("no start of frame")


class User(harness.User):
    def sync(self):
        status, body = self.call("GET", "/sync?timeout=0")
        assert status == 200, body
        return body


def room_path(room_id, rest=""):
    return f"/rooms/{harness.quote(room_id)}{rest}"


class ClientCompat(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        token = cls.server.registration_token()
        cls.alice, cls.bob, cls.carol = (User(cls.server, name, token) for name in ("alice", "bob", "carol"))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def login(self, user, password):
        return harness.request(self.server.url, "POST", V3 + "/login", {
            "type": "m.login.password", "password": password, "identifier": {"type": "m.id.user", "user": user}})

    # Stripped state of invites and knocks (issue 10, defect 5).
    def test_dm_invite_carries_the_inviter_and_the_room_description(self):
        status, body = self.alice.call("PUT", f"/profile/{self.alice.user_id}/displayname", {"displayname": "Alice L."})
        self.assertEqual(status, 200, body)
        status, room = self.alice.call("POST", "/createRoom", {
            "is_direct": True, "invite": [self.bob.user_id], "name": "tea", "topic": "about tea",
            "room_alias_name": "tea-time",
            "initial_state": [{"type": "m.room.avatar", "state_key": "", "content": {"url": "mxc://localhost/tea"}}]})
        self.assertEqual(status, 200, room)
        events = self.bob.sync()["rooms"]["invite"][room["room_id"]]["invite_state"]["events"]
        for event in events:
            self.assertEqual(set(event), STRIPPED_KEYS, event)
        by_key = {(e["type"], e["state_key"]): e for e in events}
        for kind in ("m.room.create", "m.room.join_rules", "m.room.name", "m.room.avatar", "m.room.topic",
                     "m.room.canonical_alias", "m.room.encryption"):
            self.assertIn((kind, ""), by_key, kind)
        own = by_key[("m.room.member", self.bob.user_id)]
        self.assertEqual((own["sender"], own["content"]["membership"]), (self.alice.user_id, "invite"))
        self.assertTrue(own["content"]["is_direct"])
        inviter = by_key[("m.room.member", self.alice.user_id)]
        self.assertEqual((inviter["content"]["membership"], inviter["content"]["displayname"]), ("join", "Alice L."))

    def test_knock_carries_the_room_description_and_the_knock(self):
        status, room = self.alice.call("POST", "/createRoom", {
            "name": "knock here", "initial_state": [
                {"type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "knock"}}]})
        self.assertEqual(status, 200, room)
        status, body = self.carol.call("POST", f"/knock/{harness.quote(room['room_id'])}", {"reason": "hi"})
        self.assertEqual(status, 200, body)
        events = self.carol.sync()["rooms"]["knock"][room["room_id"]]["knock_state"]["events"]
        by_key = {(e["type"], e["state_key"]): e for e in events}
        self.assertEqual(by_key[("m.room.join_rules", "")]["content"]["join_rule"], "knock")
        self.assertEqual(by_key[("m.room.name", "")]["content"]["name"], "knock here")
        self.assertIn(("m.room.create", ""), by_key)
        self.assertEqual(by_key[("m.room.member", self.carol.user_id)]["content"]["membership"], "knock")

    # Deactivation is not revealed to a caller who does not know the password (defect 6).
    # A room without a name is named after its heroes (sync "RoomSummary"): up to five other
    # members, joined or invited, whose member events come with a lazy-loaded sync even when
    # they did not speak; a name or alias that is empty counts as none.
    def test_an_unnamed_room_sends_its_heroes_and_their_members(self):
        lazy = harness.quote(json.dumps({"room": {"state": {"lazy_load_members": True}, "timeline": {"limit": 1}}}))
        room = self.alice.ok("POST", "/createRoom", {"invite": [self.bob.user_id, self.carol.user_id]})["room_id"]
        self.bob.ok("POST", room_path(room, "/join"), {})
        self.alice.ok("PUT", room_path(room, "/send/m.room.message/hero-1"), {"msgtype": "m.text", "body": "hi"})

        def joined(user):
            status, body = user.call("GET", f"/sync?timeout=0&filter={lazy}")
            self.assertEqual(status, 200, body)
            return body["rooms"]["join"][room]

        seen = joined(self.bob)
        self.assertEqual(seen["summary"]["m.heroes"], sorted([self.alice.user_id, self.carol.user_id]))
        members = {e["state_key"]: e["content"]["membership"] for e in seen["state"]["events"]
                   if e["type"] == "m.room.member"}
        self.assertEqual(members.get(self.carol.user_id), "invite", seen["state"]["events"])
        self.alice.ok("PUT", room_path(room, "/state/m.room.name"), {"name": ""})
        self.assertIn("m.heroes", joined(self.bob)["summary"])
        self.alice.ok("PUT", room_path(room, "/state/m.room.name"), {"name": "tea"})
        self.assertNotIn("m.heroes", joined(self.bob)["summary"])

    def test_a_room_left_by_everyone_else_is_named_after_those_who_left(self):
        room = self.alice.ok("POST", "/createRoom", {"invite": [self.bob.user_id]})["room_id"]
        self.bob.ok("POST", room_path(room, "/join"), {})
        self.bob.ok("POST", room_path(room, "/leave"), {})
        summary = self.alice.sync()["rooms"]["join"][room]["summary"]
        self.assertEqual(summary["m.heroes"], [self.bob.user_id])
        self.assertEqual((summary["m.joined_member_count"], summary["m.invited_member_count"]), (1, 0))

    def test_login_does_not_reveal_deactivation(self):
        dora = User(self.server, "dora", self.server.registration_token())
        status, challenge = dora.call("POST", "/account/deactivate", {})
        self.assertEqual(status, 401, challenge)
        status, body = dora.call("POST", "/account/deactivate", {"auth": {
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": "dora"},
            "password": dora.password, "session": challenge["session"]}})
        self.assertEqual(status, 200, body)
        unknown = self.login("nobody-here", "wrong password")
        self.assertEqual(unknown[0], 403)
        self.assertEqual(unknown[1]["errcode"], "M_FORBIDDEN")
        self.assertEqual(self.login("dora", "wrong password"), unknown)
        # Deactivation erased the password hash: the old password proves nothing any more.
        self.assertEqual(self.login("dora", dora.password), unknown)

    # What older clients send (defect 9).
    def test_thumbnail_with_a_huge_dimension_is_the_largest_standard_one(self):
        status, body = self.alice.call("POST", "/upload", raw=png(1200, 900), headers={"Content-Type": "image/png"},
                                       prefix="/_matrix/media/v3")
        self.assertEqual(status, 200, body)
        path = f"/thumbnail/{body['content_uri'].removeprefix('mxc://')}"
        for query in ("?width=30&height=65535", "?width=65535&height=65535&method=crop",
                      "?width=99999999999&height=1"):
            status, thumbnail = self.alice.call("GET", path + query, prefix=V1_MEDIA)
            self.assertEqual(status, 200, (query, thumbnail))
            self.assertEqual(image_size(thumbnail), (800, 600), query)
        small = png(20, 10)
        status, body = self.alice.call("POST", "/upload", raw=small, headers={"Content-Type": "image/png"},
                                       prefix="/_matrix/media/v3")
        status, original = self.alice.call("GET", f"/thumbnail/{body['content_uri'].removeprefix('mxc://')}"
                                           "?width=30&height=65535", prefix=V1_MEDIA)
        self.assertEqual((status, original), (200, small))
        status, error = self.alice.call("GET", path + "?width=0&height=65535", prefix=V1_MEDIA)
        self.assertEqual((status, error["errcode"]), (400, "M_INVALID_PARAM"))

    def test_empty_pagination_tokens_mean_absent(self):
        status, room = self.alice.call("POST", "/createRoom", {"preset": "public_chat"})
        self.assertEqual(status, 200, room)
        self.alice.call("PUT", room_path(room["room_id"], "/send/m.room.message/t1"), {"msgtype": "m.text", "body": "hi"})
        status, page = self.alice.call("GET", room_path(room["room_id"], "/messages?dir=b&from=&to=&limit=5"))
        self.assertEqual(status, 200, page)
        self.assertEqual(page["chunk"][0]["content"]["body"], "hi")
        status, body = self.alice.call("GET", "/sync?since=&timeout=0")
        self.assertEqual(status, 200, body)
        self.assertIn(room["room_id"], body["rooms"]["join"])
        status, body = self.alice.call("GET", "/publicRooms?since=")
        self.assertEqual(status, 200, body)
        status, body = self.alice.call("GET", room_path(room["room_id"], "/messages?dir=b&from=bogus"))
        self.assertEqual((status, body["errcode"]), (400, "M_INVALID_PARAM"))

    def test_turn_server_unconfigured_is_not_found(self):
        status, body = self.alice.call("GET", "/voip/turnServer")
        self.assertEqual((status, body["errcode"]), (404, "M_NOT_FOUND"))
        status, body = harness.request(self.server.url, "GET", V3 + "/voip/turnServer")
        self.assertEqual((status, body["errcode"]), (401, "M_MISSING_TOKEN"))


class TurnConfigured(unittest.TestCase):
    SECRET = "coturn-static-auth-secret"

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(extra={
            "turn_uris": '["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"]',
            "turn_shared_secret": f'"{cls.SECRET}"', "turn_user_lifetime": "600"}).start()
        cls.user = User(cls.server, "erin", cls.server.registration_token())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_time_limited_credentials_in_coturns_form(self):
        before = int(time.time())
        status, body = self.user.call("GET", "/voip/turnServer")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["uris"], ["turn:turn.example.org:3478?transport=udp",
                                        "turns:turn.example.org:5349?transport=tcp"])
        self.assertEqual(body["ttl"], 600)
        expiry, user_id = body["username"].split(":", 1)
        self.assertEqual(user_id, self.user.user_id)
        self.assertTrue(before + 600 <= int(expiry) <= int(time.time()) + 600, body)
        expected = base64.b64encode(hmac.new(self.SECRET.encode(), body["username"].encode(), hashlib.sha1).digest())
        self.assertEqual(body["password"], expected.decode())
        self.assertNotIn(self.SECRET, self.server.read_log())


if __name__ == "__main__":
    unittest.main()
