"""What each spec version that /versions advertises requires, request by request: v1.13's
/keys/claim order, v1.14's user reports, v1.15's room summaries, v1.16's state_after in /sync,
profile fields and v12 creators (and /versions itself)."""
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

    def test_lazy_loading_is_advertised_to_r0_era_clients(self):
        # Element Web before 2024 syncs without lazy-loaded members (and asks to clear its cache
        # on every reload) unless /versions lists r0.5.0 or this flag.
        status, body = harness.request(self.server.url, "GET", "/_matrix/client/versions")
        self.assertEqual(status, 200, body)
        self.assertIs(body["unstable_features"].get("m.lazy_load_members"), True)

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

    def test_v1_14_users_can_be_reported_without_revealing_who_exists(self):
        self.assertIn("v1.14", self.versions())
        path = lambda user_id: f"/users/{urllib.parse.quote(user_id)}/report"
        status, body = self.alice.call("POST", path(self.bob.user_id), {"reason": "rude to me"})
        self.assertEqual((status, body), (200, {}))
        # An unknown user gets the same answer, and nothing is kept about them.
        status, body = self.alice.call("POST", path("@nobody:localhost"), {"reason": "who?"})
        self.assertEqual((status, body), (200, {}))
        status, body = self.alice.call("POST", path("@spammer:elsewhere.example"), {"reason": ""})
        self.assertEqual((status, body), (200, {}))
        reports = [json.loads(line) for line in self.server.cli("reports", "list").splitlines()]
        self.assertEqual([(r["user_id"], r["reason"], r["reporter"]) for r in reports if "user_id" in r],
                         [(self.bob.user_id, "rude to me", self.alice.user_id),
                          ("@spammer:elsewhere.example", "", self.alice.user_id)])
        self.assertTrue(all("room_id" not in r for r in reports if "user_id" in r))
        for body, errcode in (({}, "M_MISSING_PARAM"), ({"reason": 1}, "M_BAD_JSON")):
            status, answer = self.alice.call("POST", path(self.bob.user_id), body)
            self.assertEqual((status, answer["errcode"]), (400, errcode))
        status, answer = self.alice.call("POST", path("not-a-user"), {"reason": "x"})
        self.assertEqual((status, answer["errcode"]), (400, "M_INVALID_PARAM"))
        status, answer = harness.request(self.server.url, "POST", V3 + path(self.bob.user_id), {"reason": "x"})
        self.assertEqual((status, answer["errcode"]), (401, "M_MISSING_TOKEN"))

    def test_v1_15_room_summaries_show_only_rooms_the_caller_could_see(self):
        self.assertIn("v1.15", self.versions())
        carol = User(self.server, "carol", self.server.registration_token())
        summary = lambda target, user=None: harness.request(
            self.server.url, "GET", "/_matrix/client/v1/room_summary/" + urllib.parse.quote(target), None,
            user.token if user else None)
        status, public = self.alice.call("POST", "/createRoom", {
            "preset": "public_chat", "name": "Tea", "topic": "Oolong", "room_alias_name": "summary-tea"})
        status, private = self.alice.call("POST", "/createRoom", {
            "preset": "private_chat", "name": "Secret", "invite": [self.bob.user_id]})
        for target in (public["room_id"], "#summary-tea:localhost"):
            status, body = summary(target, carol)
            self.assertEqual(status, 200, body)
            self.assertEqual({k: body.get(k) for k in ("room_id", "name", "topic", "canonical_alias", "join_rule",
                                                      "num_joined_members", "world_readable", "guest_can_join",
                                                      "membership")},
                             {"room_id": public["room_id"], "name": "Tea", "topic": "Oolong",
                              "canonical_alias": "#summary-tea:localhost", "join_rule": "public",
                              "num_joined_members": 1, "world_readable": False, "guest_can_join": False,
                              "membership": "leave"})
            self.assertIn("room_version", body)
        # The spec lets anonymous callers see rooms anyone can join; they get no membership.
        status, body = summary(public["room_id"])
        self.assertEqual(status, 200, body)
        self.assertNotIn("membership", body)
        # A private room: its members (the invited too) see it, nobody else learns it exists.
        status, body = summary(private["room_id"], self.bob)
        self.assertEqual((status, body["name"], body["membership"], body["join_rule"]),
                         (200, "Secret", "invite", "invite"))
        status, body = summary(private["room_id"], self.alice)
        self.assertEqual((status, body["membership"]), (200, "join"))
        unknown = "!nosuchroom:localhost"
        for target, user in ((private["room_id"], carol), (private["room_id"], None), (unknown, carol),
                             ("#nosuchalias:localhost", carol)):
            status, body = summary(target, user)
            self.assertEqual((status, body["errcode"]), (404, "M_NOT_FOUND"), (target, user))
        # A restricted room: visible to members of the rooms its join rule allows.
        rule = {"join_rule": "restricted", "allow": [{"type": "m.room_membership", "room_id": public["room_id"]}]}
        status, restricted = self.alice.call("POST", "/createRoom", {
            "preset": "private_chat", "initial_state": [{"type": "m.room.join_rules", "state_key": "", "content": rule}]})
        self.assertEqual(summary(restricted["room_id"], carol)[0], 404)
        carol.call("POST", f"/join/{urllib.parse.quote(public['room_id'])}", {})
        status, body = summary(restricted["room_id"], carol)
        self.assertEqual((status, body.get("allowed_room_ids"), body.get("membership")),
                         (200, [public["room_id"]], "leave"))
        status, body = summary("neither", carol)
        self.assertEqual((status, body["errcode"]), (400, "M_INVALID_PARAM"))
        # v1.15 also adds the OAuth 2.0 API; a server without it answers M_UNRECOGNIZED.
        status, body = harness.request(self.server.url, "GET", "/_matrix/client/v1/auth_metadata")
        self.assertEqual((status, body["errcode"]), (404, "M_UNRECOGNIZED"))

    def test_v1_16_sync_gives_the_state_after_the_timeline_when_asked(self):
        alice, dave = self.alice, User(self.server, "dave", self.server.registration_token())
        status, room = alice.call("POST", "/createRoom", {"preset": "public_chat", "name": "Before"})
        room_id = room["room_id"]
        path = f"/rooms/{urllib.parse.quote(room_id)}"
        dave.call("POST", f"/join/{urllib.parse.quote(room_id)}", {})

        def sync(since=None, state_after=True):
            query = "?timeout=0" + ("&use_state_after=true" if state_after else "") + (f"&since={since}" if since else "")
            status, body = dave.call("GET", "/sync" + query)
            self.assertEqual(status, 200, body)
            return body

        def state_of(body, section="join"):
            entry = body["rooms"][section][room_id]
            self.assertNotIn("state", entry)
            return {(e["type"], e["state_key"]): e for e in entry["state_after"]["events"]}

        first = sync()
        state = state_of(first)
        self.assertEqual(state[("m.room.name", "")]["content"]["name"], "Before")
        self.assertIn(("m.room.member", dave.user_id), state)   # in the timeline too: still listed
        alice.call("PUT", path + "/state/m.room.name", {"name": "After"})
        alice.call("PUT", path + "/send/m.room.message/t1", {"msgtype": "m.text", "body": "hi"})
        # Incremental: the changes since the last sync, those in the timeline included.
        state = state_of(sync(first["next_batch"]))
        self.assertEqual(list(state), [("m.room.name", "")])
        self.assertEqual(state[("m.room.name", "")]["content"]["name"], "After")
        # Without the parameter: the state before the timeline, as before.
        plain = sync(first["next_batch"], state_after=False)["rooms"]["join"][room_id]
        self.assertNotIn("state_after", plain)
        self.assertEqual(plain["state"]["events"], [])
        # Nothing new in the timeline's state: an empty state_after, present all the same.
        mark = sync()["next_batch"]
        alice.call("PUT", path + "/send/m.room.message/t2", {"msgtype": "m.text", "body": "again"})
        self.assertEqual(state_of(sync(mark)), {})
        # A limited timeline: the gap's changes as well as the timeline's.
        mark2 = sync()["next_batch"]
        alice.call("PUT", path + "/state/m.room.topic", {"topic": "Gap"})
        alice.call("PUT", path + "/state/m.room.avatar", {"url": "mxc://localhost/abc"})
        for n in range(3):
            alice.call("PUT", path + f"/send/m.room.message/g{n}", {"msgtype": "m.text", "body": str(n)})
        limited_filter = urllib.parse.quote(json.dumps({"room": {"timeline": {"limit": 2}}}))
        status, body = dave.call("GET", f"/sync?timeout=0&use_state_after=true&since={mark2}&filter={limited_filter}")
        self.assertTrue(body["rooms"]["join"][room_id]["timeline"]["limited"])
        self.assertEqual(set(state_of(body)), {("m.room.topic", ""), ("m.room.avatar", "")})
        # A left room: the state after the leave, what changed since the last sync.
        alice.call("PUT", path + "/state/m.room.topic", {"topic": "Later"})
        dave.call("POST", path + "/leave", {})
        state = state_of(sync(mark), "leave")
        self.assertEqual(set(state), {("m.room.topic", ""), ("m.room.avatar", ""), ("m.room.member", dave.user_id)})
        self.assertEqual(state[("m.room.member", dave.user_id)]["content"]["membership"], "leave")

    def test_v1_16_profile_fields_are_advertised_and_can_be_deleted(self):
        self.assertIn("v1.16", self.versions())
        status, body = self.alice.call("GET", "/capabilities")
        capabilities = body["capabilities"]
        self.assertEqual(capabilities["m.profile_fields"], {"enabled": True, "allowed": ["displayname", "avatar_url"]})
        # The deprecated capabilities agree with it.
        self.assertEqual(capabilities["m.set_displayname"], {"enabled": True})
        self.assertEqual(capabilities["m.set_avatar_url"], {"enabled": True})
        field = f"/profile/{urllib.parse.quote(self.alice.user_id)}/displayname"
        self.assertEqual(self.alice.call("PUT", field, {"displayname": "Alice"})[0], 200)
        self.assertEqual(self.alice.call("DELETE", field), (200, {}))
        self.assertEqual(self.alice.call("GET", field)[1]["errcode"], "M_NOT_FOUND")
        self.assertEqual(self.alice.call("DELETE", field), (200, {}))   # already gone: still fine
        for path, status, errcode in ((f"/profile/{urllib.parse.quote(self.bob.user_id)}/displayname", 403, "M_FORBIDDEN"),
                                      (f"/profile/{urllib.parse.quote(self.alice.user_id)}/m.tz", 403, "M_FORBIDDEN"),
                                      (f"/profile/{urllib.parse.quote(self.alice.user_id)}/Bad", 400, "M_INVALID_PARAM")):
            answer = self.alice.call("DELETE", path)
            self.assertEqual((answer[0], answer[1]["errcode"]), (status, errcode), path)

    def test_v1_16_upgrades_to_v12_take_additional_creators(self):
        alice, bob = self.alice, self.bob
        status, room = alice.call("POST", "/createRoom", {"room_version": "11", "preset": "public_chat"})
        old = room["room_id"]
        bob.call("POST", f"/join/{urllib.parse.quote(old)}", {})
        levels_path = f"/rooms/{urllib.parse.quote(old)}/state/m.room.power_levels"
        status, levels = alice.call("GET", levels_path)
        levels["users"][bob.user_id] = 50
        self.assertEqual(alice.call("PUT", levels_path, levels)[0], 200)
        upgrade = f"/rooms/{urllib.parse.quote(old)}/upgrade"
        for body, errcode in (({"new_version": "12", "additional_creators": "@x:y"}, "M_BAD_JSON"),
                              ({"new_version": "12", "additional_creators": ["nobody"]}, "M_INVALID_PARAM")):
            status, answer = alice.call("POST", upgrade, body)
            self.assertEqual((status, answer["errcode"]), (400, errcode))
        status, body = alice.call("POST", upgrade, {"new_version": "12", "additional_creators": [bob.user_id]})
        self.assertEqual(status, 200, body)
        new = urllib.parse.quote(body["replacement_room"])
        status, create = alice.call("GET", f"/rooms/{new}/state/m.room.create")
        self.assertEqual(create["additional_creators"], [bob.user_id])
        # Creators have no power level in v12: bob's old level is not carried over.
        status, levels = alice.call("GET", f"/rooms/{new}/state/m.room.power_levels")
        self.assertNotIn(bob.user_id, levels["users"])
        self.assertNotIn(alice.user_id, levels["users"])

    def test_v1_16_new_v12_rooms_merge_invitees_into_creators_and_guard_upgrades(self):
        status, room = self.alice.call("POST", "/createRoom", {
            "room_version": "12", "preset": "trusted_private_chat", "invite": [self.bob.user_id],
            "creation_content": {"additional_creators": ["@carol:localhost"]}})
        self.assertEqual(status, 200, room)
        path = f"/rooms/{urllib.parse.quote(room['room_id'])}/state"
        status, create = self.alice.call("GET", path + "/m.room.create")
        self.assertEqual(create["additional_creators"], ["@carol:localhost", self.bob.user_id])
        status, levels = self.alice.call("GET", path + "/m.room.power_levels")
        self.assertGreater(levels["events"]["m.room.tombstone"], max(levels["state_default"], 100))


if __name__ == "__main__":
    unittest.main()
