"""What real clients need from the server beyond the happy path, over plain HTTP: invites and
knocks that carry enough stripped state to name the room (Element names a DM after the inviter)
and login that does not reveal deactivation."""
import unittest
import urllib.parse

import harness

V3 = "/_matrix/client/v3"
STRIPPED_KEYS = {"type", "state_key", "sender", "content"}


class User:
    def __init__(self, server, name, token):
        self.server = server
        self.name = name
        self.password = f"pw-{name}-long"
        body = harness.register(server.url, name, self.password, token)
        self.user_id, self.token = body["user_id"], body["access_token"]

    def call(self, method, path, body=None):
        return harness.request(self.server.url, method, V3 + path, body, self.token)

    def sync(self):
        status, body = self.call("GET", "/sync?timeout=0")
        assert status == 200, body
        return body


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
        status, body = self.carol.call("POST", f"/knock/{urllib.parse.quote(room['room_id'])}", {"reason": "hi"})
        self.assertEqual(status, 200, body)
        events = self.carol.sync()["rooms"]["knock"][room["room_id"]]["knock_state"]["events"]
        by_key = {(e["type"], e["state_key"]): e for e in events}
        self.assertEqual(by_key[("m.room.join_rules", "")]["content"]["join_rule"], "knock")
        self.assertEqual(by_key[("m.room.name", "")]["content"]["name"], "knock here")
        self.assertIn(("m.room.create", ""), by_key)
        self.assertEqual(by_key[("m.room.member", self.carol.user_id)]["content"]["membership"], "knock")

    # Deactivation is not revealed to a caller who does not know the password (defect 6).
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

if __name__ == "__main__":
    unittest.main()
