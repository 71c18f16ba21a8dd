"""End-to-end: room upgrades, the room directory and Synapse-compatible shared-secret
registration, over plain HTTP."""
import hashlib
import hmac
import json
import unittest
import urllib.parse

import harness

V3 = "/_matrix/client/v3"


class RoomsAndAdmin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(extra={"shared_secret": '"s3cret-for-tests"'}).start()
        cls.url = cls.server.url
        cls.token = harness.register(cls.url, "carol", "pw-carol-long", cls.server.registration_token())["access_token"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def call(self, method, path, body=None, token=True):
        return harness.request(self.url, method, path, body, self.token if token else None)

    def test_upgrade_tombstones_the_old_room(self):
        status, room = self.call("POST", V3 + "/createRoom", {"room_version": "11", "name": "old name"})
        self.assertEqual(status, 200, room)
        old = room["room_id"]
        status, body = self.call("PUT", f"{V3}/pushrules/global/room/{urllib.parse.quote(old)}", {"actions": ["dont_notify"]})
        self.assertEqual(status, 200, body)
        status, body = self.call("POST", f"{V3}/rooms/{urllib.parse.quote(old)}/upgrade", {"new_version": "12"})
        self.assertEqual(status, 200, body)
        new = body["replacement_room"]
        status, rule = self.call("GET", f"{V3}/pushrules/global/room/{urllib.parse.quote(new)}")
        self.assertEqual((status, rule.get("actions")), (200, ["dont_notify"]))
        status, tombstone = self.call("GET", f"{V3}/rooms/{urllib.parse.quote(old)}/state/m.room.tombstone")
        self.assertEqual(tombstone["replacement_room"], new)
        status, create = self.call("GET", f"{V3}/rooms/{urllib.parse.quote(new)}/state/m.room.create")
        self.assertEqual((create["room_version"], create["predecessor"]["room_id"]), ("12", old))
        status, name = self.call("GET", f"{V3}/rooms/{urllib.parse.quote(new)}/state/m.room.name")
        self.assertEqual(name["name"], "old name")
        status, levels = self.call("GET", f"{V3}/rooms/{urllib.parse.quote(old)}/state/m.room.power_levels")
        self.assertGreaterEqual(levels["events_default"], 50)
        status, guests = self.call("GET", f"{V3}/rooms/{urllib.parse.quote(new)}/state/m.room.guest_access")
        self.assertEqual((status, guests), (200, {"guest_access": "can_join"}))  # the private_chat preset's
        status, body = self.call("POST", f"{V3}/rooms/{urllib.parse.quote(old)}/upgrade", {"new_version": "13"})
        self.assertEqual((status, body["errcode"]), (400, "M_UNSUPPORTED_ROOM_VERSION"))

    def test_an_upgrade_before_v12_names_the_tombstone_and_keeps_the_levels(self):
        dave = harness.register(self.url, "dave-upgrader", "pw-dave-long", self.server.registration_token())
        status, me = self.call("GET", V3 + "/account/whoami")
        status, room = self.call("POST", V3 + "/createRoom", {
            "room_version": "10", "preset": "public_chat",
            "power_level_content_override": {"events": {"m.room.tombstone": 50}, "state_default": 50,
                                             "users": {me["user_id"]: 100, dave["user_id"]: 50}}})
        self.assertEqual(status, 200, room)
        old = room["room_id"]
        status, body = harness.request(self.url, "POST", f"{V3}/rooms/{urllib.parse.quote(old)}/join", {},
                                       dave["access_token"])
        self.assertEqual(status, 200, body)
        status, old_levels = self.call("GET", f"{V3}/rooms/{urllib.parse.quote(old)}/state/m.room.power_levels")
        def tags(room):
            return f"{V3}/user/{urllib.parse.quote(dave['user_id'])}/rooms/{urllib.parse.quote(room)}/tags"
        status, _ = harness.request(self.url, "PUT", tags(old) + "/u.work", {"order": 1}, dave["access_token"])
        self.assertEqual(status, 200)
        # A moderator upgrades: they send the new room's state at 100, then the old levels come back.
        status, body = harness.request(self.url, "POST", f"{V3}/rooms/{urllib.parse.quote(old)}/upgrade",
                                       {"new_version": "11"}, dave["access_token"])
        self.assertEqual(status, 200, body)
        new = body["replacement_room"]
        status, tombstone = harness.request(self.url, "GET", f"{V3}/rooms/{urllib.parse.quote(old)}/state/"
                                            "m.room.tombstone?format=event", None, dave["access_token"])
        self.assertEqual(status, 200, tombstone)
        status, create = harness.request(self.url, "GET", f"{V3}/rooms/{urllib.parse.quote(new)}/state/m.room.create",
                                         None, dave["access_token"])
        self.assertEqual(create["predecessor"], {"room_id": old, "event_id": tombstone["event_id"]})
        status, levels = harness.request(self.url, "GET", f"{V3}/rooms/{urllib.parse.quote(new)}/state/"
                                         "m.room.power_levels", None, dave["access_token"])
        self.assertEqual(levels["users"], old_levels["users"])
        status, body = harness.request(self.url, "GET", tags(new), None, dave["access_token"])
        self.assertEqual((status, body["tags"]), (200, {"u.work": {"order": 1}}))  # the upgrader's tags follow

    def test_an_upgraded_room_states_its_guest_access(self):
        # A public_chat room has no m.room.guest_access (guests are forbidden by default); its
        # replacement says so explicitly.
        status, room = self.call("POST", V3 + "/createRoom", {"preset": "public_chat"})
        old = room["room_id"]
        status, body = self.call("GET", f"{V3}/rooms/{urllib.parse.quote(old)}/state/m.room.guest_access")
        self.assertEqual(status, 404, body)
        status, body = self.call("POST", f"{V3}/rooms/{urllib.parse.quote(old)}/upgrade", {"new_version": "12"})
        self.assertEqual(status, 200, body)
        new = body["replacement_room"]
        status, guests = self.call("GET", f"{V3}/rooms/{urllib.parse.quote(new)}/state/m.room.guest_access")
        self.assertEqual((status, guests), (200, {"guest_access": "forbidden"}))

    def test_public_room_directory_needs_login_by_default(self):
        status, room = self.call("POST", V3 + "/createRoom", {"visibility": "public", "name": "Tea Party",
                                                               "room_alias_name": "tea"})
        self.assertEqual(status, 200, room)
        status, body = self.call("GET", V3 + "/publicRooms", token=False)
        self.assertEqual((status, body["errcode"]), (401, "M_MISSING_TOKEN"))
        status, body = self.call("GET", V3 + "/publicRooms")
        self.assertIn(room["room_id"], [r["room_id"] for r in body["chunk"]])
        status, body = self.call("POST", V3 + "/publicRooms", {"filter": {"generic_search_term": "tea"}})
        self.assertEqual([r["canonical_alias"] for r in body["chunk"]], ["#tea:localhost"])
        status, body = self.call("POST", V3 + "/publicRooms", {"filter": {"generic_search_term": "coffee"}})
        self.assertEqual(body["chunk"], [])
        status, body = self.call("GET", V3 + "/directory/room/" + urllib.parse.quote("#tea:localhost"))
        self.assertEqual(body["room_id"], room["room_id"])
        # Deleting the alias takes it out of the room's canonical alias too.
        status, body = self.call("DELETE", V3 + "/directory/room/" + urllib.parse.quote("#tea:localhost"))
        self.assertEqual(status, 200, body)
        status, canonical = self.call("GET", f"{V3}/rooms/{urllib.parse.quote(room['room_id'])}/state/m.room.canonical_alias")
        self.assertNotIn("alias", canonical)

    def test_discovery_and_an_anonymous_directory_when_configured(self):
        # Off by default: no well-known answer, no directory without a login (above).
        status, body = self.call("GET", "/.well-known/matrix/client", token=False)
        self.assertEqual((status, body["errcode"]), (404, "M_NOT_FOUND"))
        server = harness.Server(extra={"public_baseurl": '"https://matrix.example.org"',
                                       "public_rooms_without_auth": "true"}).start()
        try:
            status, body = harness.request(server.url, "GET", "/.well-known/matrix/client")
            self.assertEqual((status, body), (200, {"m.homeserver": {"base_url": "https://matrix.example.org"}}))
            status, body = harness.request(server.url, "GET", V3 + "/publicRooms")
            self.assertEqual((status, body["chunk"]), (200, []))
        finally:
            server.stop()

    def test_reports_are_kept_for_admins(self):
        status, room = self.call("POST", V3 + "/createRoom", {})
        path = f"{V3}/rooms/{urllib.parse.quote(room['room_id'])}"
        status, sent = self.call("PUT", path + "/send/m.room.message/r1", {"msgtype": "m.text", "body": "spam"})
        status, body = self.call("POST", f"{path}/report/{urllib.parse.quote(sent['event_id'])}",
                                 {"reason": "it is spam", "score": -100})
        self.assertEqual(status, 200, body)
        reports = [json.loads(line) for line in self.server.cli("reports", "list").splitlines()]
        self.assertIn((sent["event_id"], "it is spam", -100, "@carol:localhost"),
                      [(r.get("event_id"), r["reason"], r.get("score"), r["reporter"]) for r in reports])

    def test_user_directory_only_shows_people_sharing_a_room(self):
        other = harness.register(self.url, "frank", "pw-frank-long", self.server.registration_token())
        harness.register(self.url, "francine", "pw-francine-long", self.server.registration_token())
        status, room = self.call("POST", V3 + "/createRoom", {"invite": ["@frank:localhost"]})
        harness.request(self.url, "POST", f"{V3}/join/{urllib.parse.quote(room['room_id'])}", {}, other["access_token"])
        status, body = self.call("POST", V3 + "/user_directory/search", {"search_term": "fran"})
        self.assertEqual(status, 200, body)
        self.assertEqual([r["user_id"] for r in body["results"]], ["@frank:localhost"])
        self.assertFalse(body["limited"])

    def test_devices_password_and_deactivation_need_the_password(self):
        url = self.url
        harness.register(url, "gina", "pw-gina-long", self.server.registration_token())

        def login(password):
            return harness.request(url, "POST", V3 + "/login", {"type": "m.login.password", "password": password,
                                                                 "identifier": {"type": "m.id.user", "user": "gina"}})
        first, second = login("pw-gina-long")[1], login("pw-gina-long")[1]
        me = lambda token: harness.request(url, "GET", V3 + "/account/whoami", token=token)[0]
        path = f"{V3}/devices/{second['device_id']}"
        status, challenge = harness.request(url, "DELETE", path, {}, first["access_token"])
        self.assertEqual((status, challenge["flows"]), (401, [{"stages": ["m.login.password"]}]))
        auth = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "gina"},
                "session": challenge["session"]}
        status, body = harness.request(url, "DELETE", path, {"auth": {**auth, "password": "pw-gina-long"}, "other": 1},
                                       first["access_token"])
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))  # the operation changed mid-session
        status, body = harness.request(url, "DELETE", path, {"auth": {**auth, "password": "wrong"}}, first["access_token"])
        self.assertEqual((status, body["errcode"]), (401, "M_FORBIDDEN"))
        status, body = harness.request(url, "DELETE", path, {"auth": {**auth, "password": "pw-gina-long"}},
                                       first["access_token"])
        self.assertEqual(status, 200, body)
        self.assertEqual((me(second["access_token"]), me(first["access_token"])), (401, 200))

        status, body = harness.request(url, "POST", V3 + "/account/password", {
            "new_password": "pw-gina-newer", "auth": {**auth, "session": "s1", "password": "pw-gina-long"}},
            first["access_token"])
        self.assertEqual(status, 200, body)
        self.assertEqual(login("pw-gina-long")[0], 403)
        self.assertEqual(login("pw-gina-newer")[0], 200)

        status, body = harness.request(url, "POST", V3 + "/account/deactivate", {
            "auth": {**auth, "session": "s2", "password": "pw-gina-newer"}}, first["access_token"])
        self.assertEqual((status, body.get("id_server_unbind_result")), (200, "success"))
        status, body = login("pw-gina-newer")   # the hash is erased: like an unknown user
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))
        self.assertEqual(me(first["access_token"]), 401)

    def test_members_at_a_point_in_time(self):
        hank = harness.register(self.url, "hank", "pw-hank-long", self.server.registration_token())
        status, room = self.call("POST", V3 + "/createRoom", {"invite": ["@hank:localhost"]})
        path = f"{V3}/rooms/{urllib.parse.quote(room['room_id'])}"
        token = self.call("GET", V3 + "/sync?timeout=0")[1]["next_batch"]
        harness.request(self.url, "POST", path + "/join", {}, hank["access_token"])
        members = lambda query: {e["state_key"]: e["content"]["membership"] for e in self.call("GET", path + "/members" + query)[1]["chunk"]}
        self.assertEqual(members(""), {"@carol:localhost": "join", "@hank:localhost": "join"})
        self.assertEqual(members("?at=" + token), {"@carol:localhost": "join", "@hank:localhost": "invite"})
        self.assertEqual(members("?at=" + token + "&membership=join"), {"@carol:localhost": "join"})
        self.assertEqual(self.call("GET", path + "/members?at=nonsense")[0], 400)

    def test_profiles_are_private_by_default(self):
        ivy = harness.register(self.url, "ivy", "pw-ivy-long", self.server.registration_token())
        profile = f"{V3}/profile/@ivy:localhost/displayname"
        self.assertEqual(harness.request(self.url, "GET", profile)[1]["errcode"], "M_MISSING_TOKEN")
        status, body = self.call("GET", profile)
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))   # no shared room
        self.assertEqual(harness.request(self.url, "GET", profile, token=ivy["access_token"])[1]["displayname"], "ivy")
        status, room = self.call("POST", V3 + "/createRoom", {"invite": ["@ivy:localhost"]})
        self.assertEqual(self.call("GET", profile)[1], {"displayname": "ivy"})

    def test_shared_secret_registration(self):
        path = "/_synapse/admin/v1/register"
        status, body = harness.request(self.url, "GET", path)
        nonce = body["nonce"]
        message = b"\x00".join([nonce.encode(), b"dave", b"pw-dave-long", b"admin"])
        mac = hmac.new(b"s3cret-for-tests", message, hashlib.sha1).hexdigest()
        status, body = harness.request(self.url, "POST", path, {"nonce": nonce, "username": "dave",
                                                                 "password": "pw-dave-long", "admin": True, "mac": mac})
        self.assertEqual((status, body.get("user_id")), (200, "@dave:localhost"), body)
        # A nonce is good once; a wrong MAC is refused.
        status, body = harness.request(self.url, "POST", path, {"nonce": nonce, "username": "eve",
                                                                 "password": "x", "admin": False, "mac": mac})
        self.assertEqual(status, 400)
        status, body = harness.request(self.url, "GET", path)
        status, body = harness.request(self.url, "POST", path, {"nonce": body["nonce"], "username": "eve",
                                                                 "password": "x", "admin": False, "mac": "00" * 20})
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))


if __name__ == "__main__":
    unittest.main()
