"""The server's half of end-to-end encryption, request by request: keys are checked (their
signatures verified with libolm's own signing), claims, to-device delivery and acknowledgement,
device-list tracking, cross-signing, encryption by default, and hostile input refused with
nothing stored half-way."""
import json
import unittest
import urllib.parse

import olm

import harness

V3 = "/_matrix/client/v3"


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def signed(obj, user_id, key_id, signer):
    """obj with signatures[user_id][key_id] added, made by signer (olm.Account or olm.PkSigning)."""
    unsigned = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    out = dict(obj)
    out["signatures"] = {**obj.get("signatures", {})}
    out["signatures"][user_id] = {**out["signatures"].get(user_id, {}), key_id: signer.sign(canonical(unsigned))}
    return out


class User:
    def __init__(self, server, name, token):
        self.url = server.url
        self.password = f"pw-{name}-long"
        body = harness.register(self.url, name, self.password, token)
        self.user_id, self.token, self.device = body["user_id"], body["access_token"], body["device_id"]
        self.account = olm.Account()
        self.since = None

    def call(self, method, path, body=None):
        return harness.request(self.url, method, V3 + path, body, self.token)

    def device_keys(self):
        keys = {"user_id": self.user_id, "device_id": self.device,
                "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
                "keys": {f"{alg}:{self.device}": key for alg, key in self.account.identity_keys.items()}}
        return signed(keys, self.user_id, f"ed25519:{self.device}", self.account)

    def signed_key(self, key, fallback=False):
        obj = {"key": key, **({"fallback": True} if fallback else {})}
        return signed(obj, self.user_id, f"ed25519:{self.device}", self.account)

    def one_time_keys(self, count):
        self.account.generate_one_time_keys(count)
        keys = self.account.one_time_keys["curve25519"]
        self.account.mark_keys_as_published()
        return {f"signed_curve25519:{kid}": self.signed_key(key) for kid, key in keys.items()}

    def sync(self, timeout=0):
        path = "/sync?timeout=%d" % timeout + ("&since=" + self.since if self.since else "")
        status, body = self.call("GET", path)
        assert status == 200, body
        self.since = body["next_batch"]
        return body


class E2eeApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        token = cls.server.registration_token()
        cls.alice, cls.bob, cls.carol = (User(cls.server, name, token) for name in ("alice", "bob", "carol"))
        status, room = cls.alice.call("POST", "/createRoom", {"invite": [cls.bob.user_id], "name": "secret"})
        assert status == 200, room
        cls.room = room["room_id"]
        status, _ = cls.bob.call("POST", f"/join/{urllib.parse.quote(cls.room)}", {})
        assert status == 200
        for user in (cls.alice, cls.bob):
            status, body = user.call("POST", "/keys/upload", {"device_keys": user.device_keys(),
                                                              "one_time_keys": user.one_time_keys(2)})
            assert status == 200, body

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def expect(self, user, status, errcode, method, path, body=None):
        got_status, got = user.call(method, path, body)
        self.assertEqual((got_status, (got or {}).get("errcode")), (status, errcode), got)
        return got

    def query(self, user, target):
        status, body = user.call("POST", "/keys/query", {"device_keys": {target.user_id: []}})
        self.assertEqual(status, 200, body)
        return body

    def test_direct_messages_are_encrypted_by_default(self):
        def encryption(room_id):
            return self.alice.call("GET", f"/rooms/{urllib.parse.quote(room_id)}/state/m.room.encryption")
        megolm = (200, {"algorithm": "m.megolm.v1.aes-sha2"})
        for request in ({"is_direct": True, "invite": [self.bob.user_id]}, {"preset": "trusted_private_chat"}):
            status, room = self.alice.call("POST", "/createRoom", request)
            self.assertEqual(encryption(room["room_id"]), megolm, request)
        # A private room is encrypted only when its creator's client asks (Element does unless the
        # person switches it off): the server does not overrule that choice by default.
        self.assertEqual(encryption(self.room)[0], 404)
        status, public = self.alice.call("POST", "/createRoom", {"preset": "public_chat"})
        self.assertEqual(encryption(public["room_id"])[0], 404)
        own = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2",
                                                                          "rotation_period_msgs": 10}}
        status, room = self.alice.call("POST", "/createRoom", {"initial_state": [own]})
        status, state = self.alice.call("GET", f"/rooms/{urllib.parse.quote(room['room_id'])}/state/m.room.encryption")
        self.assertEqual(state["rotation_period_msgs"], 10)

    def test_query_shows_keys_and_hides_device_names_from_others(self):
        self.alice.call("PUT", f"/devices/{self.alice.device}", {"display_name": "Firefox on Linux"})
        theirs = self.query(self.bob, self.alice)["device_keys"][self.alice.user_id][self.alice.device]
        self.assertEqual(theirs["keys"][f"ed25519:{self.alice.device}"], self.alice.account.identity_keys["ed25519"])
        self.assertNotIn("unsigned", theirs)
        own = self.query(self.alice, self.alice)["device_keys"][self.alice.user_id][self.alice.device]
        self.assertEqual(own["unsigned"]["device_display_name"], "Firefox on Linux")
        status, body = self.bob.call("POST", "/keys/query", {"device_keys": {"@x:elsewhere.example": []}})
        self.assertIn("elsewhere.example", body["failures"])

    def test_claims_take_one_time_keys_then_the_fallback_key(self):
        user = User(self.server, "claimee", self.server.registration_token())
        fallback_id, fallback_key = "AAAAZA", user.account.identity_keys["curve25519"]
        status, body = user.call("POST", "/keys/upload", {
            "device_keys": user.device_keys(), "one_time_keys": user.one_time_keys(1),
            "fallback_keys": {f"signed_curve25519:{fallback_id}": user.signed_key(fallback_key, fallback=True)}})
        self.assertEqual(body["one_time_key_counts"]["signed_curve25519"], 1)
        self.assertEqual(user.sync()["device_unused_fallback_key_types"], ["signed_curve25519"])
        claim = {"one_time_keys": {user.user_id: {user.device: "signed_curve25519", "NOSUCHDEVICE": "signed_curve25519"}}}
        first = self.bob.call("POST", "/keys/claim", claim)[1]["one_time_keys"][user.user_id]
        self.assertEqual(list(first), [user.device])       # the unknown device gets nothing
        self.assertNotIn(fallback_id, next(iter(first[user.device])))
        second = self.bob.call("POST", "/keys/claim", claim)[1]["one_time_keys"][user.user_id][user.device]
        self.assertEqual(second, {f"signed_curve25519:{fallback_id}": user.signed_key(fallback_key, fallback=True)})
        synced = user.sync()
        self.assertEqual(synced["device_one_time_keys_count"]["signed_curve25519"], 0)
        self.assertEqual(synced["device_unused_fallback_key_types"], [])

    def test_bad_keys_are_refused_and_nothing_is_stored(self):
        user = User(self.server, "mallory", self.server.registration_token())
        good = user.device_keys()
        forged = dict(good, keys=dict(good["keys"], **{f"curve25519:{user.device}": "A" * 43}))
        otks = user.one_time_keys(1)
        self.expect(user, 400, "M_INVALID_SIGNATURE", "POST", "/keys/upload", {"device_keys": forged, "one_time_keys": otks})
        self.assertEqual(self.query(self.bob, user)["device_keys"][user.user_id], {})
        self.assertEqual(user.sync()["device_one_time_keys_count"]["signed_curve25519"], 0)
        for malformed in ({"device_keys": "keys"}, {"device_keys": dict(good, algorithms="x")},
                          {"device_keys": dict(good, keys={"ed25519": 5})}, {"one_time_keys": ["a"]},
                          {"one_time_keys": {"no_colon": "k"}}, {"one_time_keys": {"signed_curve25519:A": 5}}):
            self.expect(user, 400, "M_BAD_JSON", "POST", "/keys/upload", malformed)
        self.expect(user, 400, "M_INVALID_PARAM", "POST", "/keys/upload",
                    {"device_keys": dict(good, device_id="SOMEONEELSE")})
        # A one-time key with a bad signature spoils the whole request, device keys included.
        bad_otk = {"signed_curve25519:BAD": dict(user.signed_key("k"), key="other")}
        self.expect(user, 400, "M_INVALID_SIGNATURE", "POST", "/keys/upload",
                    {"device_keys": good, "one_time_keys": bad_otk})
        self.assertEqual(self.query(self.bob, user)["device_keys"][user.user_id], {})
        status, _ = user.call("POST", "/keys/upload", {"device_keys": good, "one_time_keys": otks})
        self.assertEqual(status, 200)
        changed = {next(iter(otks)): user.signed_key("a different key")}
        self.expect(user, 400, "M_INVALID_PARAM", "POST", "/keys/upload", {"one_time_keys": changed})
        status, body = user.call("POST", "/keys/upload", {"one_time_keys": otks})   # the same again is fine
        self.assertEqual(body["one_time_key_counts"]["signed_curve25519"], 1)
        self.expect(user, 400, "M_BAD_JSON", "POST", "/keys/claim", {"one_time_keys": {user.user_id: {user.device: 1}}})
        self.expect(user, 400, "M_INVALID_PARAM", "POST", "/keys/claim", {"one_time_keys": {"nobody": {}}})
        self.expect(user, 400, "M_MISSING_PARAM", "POST", "/keys/query", {})

    def test_to_device_is_delivered_until_acknowledged(self):
        self.bob.sync()
        before = self.bob.since
        message = {"messages": {self.bob.user_id: {self.bob.device: {"n": 1}}}}
        for _ in range(2):   # the same transaction twice is one message
            status, _ = self.alice.call("PUT", "/sendToDevice/m.test/txn1", message)
            self.assertEqual(status, 200)
        self.alice.call("PUT", "/sendToDevice/m.test/txn2", {"messages": {self.bob.user_id: {"*": {"n": 2}}}})
        events = self.bob.sync()["to_device"]["events"]
        self.assertEqual([(e["sender"], e["type"], e["content"]) for e in events],
                         [(self.alice.user_id, "m.test", {"n": 1}), (self.alice.user_id, "m.test", {"n": 2})])
        # Not acknowledged yet: syncing from the old token delivers them again.
        status, again = self.bob.call("GET", "/sync?since=" + before)
        self.assertEqual(len(again["to_device"]["events"]), 2)
        self.bob.sync()   # from the newest token: acknowledged and deleted
        status, after = self.bob.call("GET", "/sync?since=" + before)
        self.assertEqual(after["to_device"]["events"], [])
        big = {"messages": {self.bob.user_id: {self.bob.device: {"blob": "x" * 70000}}}}
        self.expect(self.alice, 413, "M_TOO_LARGE", "PUT", "/sendToDevice/m.test/big", big)
        self.expect(self.alice, 400, "M_BAD_JSON", "PUT", "/sendToDevice/m.test/bad",
                    {"messages": {self.bob.user_id: {self.bob.device: "not an object"}}})
        self.expect(self.alice, 400, "M_MISSING_PARAM", "PUT", "/sendToDevice/m.test/none", {})
        self.assertEqual(self.bob.sync()["to_device"]["events"], [])

    def test_many_to_device_messages_arrive_in_batches(self):
        self.bob.sync()
        for i in range(150):
            self.alice.call("PUT", f"/sendToDevice/m.bulk/bulk{i}", {"messages": {self.bob.user_id: {"*": {"i": i}}}})
        first = self.bob.sync()["to_device"]["events"]
        self.assertEqual(len(first), 100)   # one sync carries at most 100; the rest wait
        rest = self.bob.sync()["to_device"]["events"]
        self.assertEqual([e["content"]["i"] for e in first + rest], list(range(150)))

    def test_device_lists_follow_keys_and_shared_rooms(self):
        self.alice.sync()
        self.carol.call("POST", "/keys/upload", {"device_keys": self.carol.device_keys()})
        self.bob.account = olm.Account()   # bob's device gets new keys
        self.bob.call("POST", "/keys/upload", {"device_keys": self.bob.device_keys()})
        changed = self.alice.sync()["device_lists"]["changed"]
        self.assertIn(self.bob.user_id, changed)
        self.assertNotIn(self.carol.user_id, changed)       # no shared room with carol
        status, room = self.alice.call("POST", "/createRoom", {"invite": [self.carol.user_id]})
        self.carol.call("POST", f"/join/{urllib.parse.quote(room['room_id'])}", {})
        self.assertIn(self.carol.user_id, self.alice.sync()["device_lists"]["changed"])   # newly shared
        from_token = self.alice.since
        self.carol.call("POST", f"/rooms/{urllib.parse.quote(room['room_id'])}/leave", {})
        lists = self.alice.sync()["device_lists"]
        self.assertIn(self.carol.user_id, lists["left"])
        status, changes = self.alice.call("GET", f"/keys/changes?from={from_token}&to={self.alice.since}")
        self.assertIn(self.carol.user_id, changes["left"])

    def test_deleting_a_device_removes_its_keys(self):
        second = harness.request(self.server.url, "POST", V3 + "/login", {
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": "bob"},
            "password": self.bob.password})[1]
        other = User.__new__(User)
        other.url, other.user_id, other.token, other.device = self.server.url, self.bob.user_id, second["access_token"], second["device_id"]
        other.account, other.since = olm.Account(), None
        other.call("POST", "/keys/upload", {"device_keys": other.device_keys(), "one_time_keys": other.one_time_keys(1)})
        self.assertIn(other.device, self.query(self.alice, self.bob)["device_keys"][self.bob.user_id])
        self.alice.sync()
        status, _ = other.call("POST", "/logout", {})
        self.assertEqual(status, 200)
        self.assertNotIn(other.device, self.query(self.alice, self.bob)["device_keys"][self.bob.user_id])
        self.assertIn(self.bob.user_id, self.alice.sync()["device_lists"]["changed"])
        claim = {"one_time_keys": {self.bob.user_id: {other.device: "signed_curve25519"}}}
        self.assertEqual(self.alice.call("POST", "/keys/claim", claim)[1]["one_time_keys"], {})

    def test_logging_in_again_with_a_device_id_keeps_its_keys(self):
        user = User(self.server, "returning", self.server.registration_token())
        user.call("POST", "/keys/upload", {"device_keys": user.device_keys(), "one_time_keys": user.one_time_keys(1)})
        self.alice.call("PUT", "/sendToDevice/m.test/for-returning", {"messages": {user.user_id: {user.device: {"k": 1}}}})
        old_token = user.token
        status, body = harness.request(self.server.url, "POST", V3 + "/login", {
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": "returning"},
            "password": user.password, "device_id": user.device})
        self.assertEqual((status, body["device_id"]), (200, user.device))
        self.assertEqual(harness.request(self.server.url, "GET", V3 + "/account/whoami", None, old_token)[0], 401)
        user.token = body["access_token"]
        self.assertIn(user.device, self.query(self.bob, user)["device_keys"][user.user_id])
        synced = user.sync()
        self.assertEqual([e["content"] for e in synced["to_device"]["events"]], [{"k": 1}])
        self.assertEqual(synced["device_one_time_keys_count"]["signed_curve25519"], 1)

    def cross_signing_keys(self, user):
        master, self_signing, user_signing = (olm.PkSigning(olm.PkSigning.generate_seed()) for _ in range(3))
        def key(signing, usage, signer=None):
            obj = {"user_id": user.user_id, "usage": [usage], "keys": {f"ed25519:{signing.public_key}": signing.public_key}}
            return signed(obj, user.user_id, f"ed25519:{master.public_key}", master) if signer else obj
        return (master, self_signing, user_signing,
                {"master_key": key(master, "master"), "self_signing_key": key(self_signing, "self_signing", master),
                 "user_signing_key": key(user_signing, "user_signing", master)})

    def test_cross_signing_upload_and_signatures(self):
        user = User(self.server, "crosser", self.server.registration_token())
        user.call("POST", "/keys/upload", {"device_keys": user.device_keys()})
        master, self_signing, user_signing, body = self.cross_signing_keys(user)
        unsigned_ssk = dict(body, self_signing_key={k: v for k, v in body["self_signing_key"].items() if k != "signatures"})
        self.expect(user, 400, "M_INVALID_SIGNATURE", "POST", "/keys/device_signing/upload", unsigned_ssk)
        self.expect(user, 400, "M_INVALID_PARAM", "POST", "/keys/device_signing/upload",
                    dict(body, master_key=dict(body["master_key"], usage=["self_signing"])))
        self.assertEqual(user.call("POST", "/keys/device_signing/upload", body)[0], 200)   # first upload: no UIA
        self.assertEqual(user.call("POST", "/keys/device_signing/upload", body)[0], 200)   # nothing new: no UIA
        _, _, _, replacement = self.cross_signing_keys(user)
        challenge = self.expect(user, 401, None, "POST", "/keys/device_signing/upload", replacement)
        self.assertEqual(challenge["flows"], [{"stages": ["m.login.password"]}])
        # The same public key with other signatures is not an exact match either.
        resigned = dict(body, master_key=signed(body["master_key"], user.user_id, f"ed25519:{user.device}", user.account))
        self.expect(user, 401, None, "POST", "/keys/device_signing/upload", resigned)
        # Device IDs and cross-signing key IDs share one namespace: neither may take the other's.
        signing = olm.PkSigning(olm.PkSigning.generate_seed())
        while not signing.public_key.isalnum():
            signing = olm.PkSigning(olm.PkSigning.generate_seed())
        login = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "crosser"},
                 "password": user.password}
        status, _ = harness.request(self.server.url, "POST", V3 + "/login", dict(login, device_id=signing.public_key))
        self.assertEqual(status, 200)
        clash = {"user_id": user.user_id, "usage": ["master"],
                 "keys": {f"ed25519:{signing.public_key}": signing.public_key}}
        self.expect(user, 403, "M_FORBIDDEN", "POST", "/keys/device_signing/upload", {"master_key": clash})
        status, refused = harness.request(self.server.url, "POST", V3 + "/login", dict(login, device_id=master.public_key))
        self.assertEqual((status, refused["errcode"]), (400, "M_INVALID_PARAM"))
        seen = self.query(self.bob, user)
        self.assertEqual(seen["master_keys"][user.user_id], body["master_key"])   # unchanged so far
        self.assertNotIn(user.user_id, seen["user_signing_keys"])   # only its owner sees it
        self.assertIn(user.user_id, self.query(user, user)["user_signing_keys"])

        # The self-signing key signs the device; a signature that does not verify is refused.
        device = {k: v for k, v in user.device_keys().items()}
        good = signed(device, user.user_id, f"ed25519:{self_signing.public_key}", self_signing)
        bad = signed(dict(device, signatures={}), user.user_id, f"ed25519:{self_signing.public_key}", user_signing)
        status, result = user.call("POST", "/keys/signatures/upload", {user.user_id: {user.device: bad}})
        self.assertEqual(result["failures"][user.user_id][user.device]["errcode"], "M_INVALID_SIGNATURE")
        status, result = user.call("POST", "/keys/signatures/upload", {user.user_id: {user.device: good}})
        self.assertEqual(result["failures"], {})
        stored = self.query(self.bob, user)["device_keys"][user.user_id][user.device]
        self.assertIn(f"ed25519:{self_signing.public_key}", stored["signatures"][user.user_id])
        status, result = user.call("POST", "/keys/signatures/upload", {user.user_id: {"NODEVICE": good}})
        self.assertEqual(result["failures"][user.user_id]["NODEVICE"]["errcode"], "M_NOT_FOUND")

        # crosser signs alice's master key: visible to crosser, not to bob.
        alice_master, _, _, alice_keys = self.cross_signing_keys(self.alice)
        self.assertEqual(self.alice.call("POST", "/keys/device_signing/upload", alice_keys)[0], 200)
        signed_master = signed(alice_keys["master_key"], user.user_id, f"ed25519:{user_signing.public_key}", user_signing)
        status, result = user.call("POST", "/keys/signatures/upload",
                                   {self.alice.user_id: {alice_master.public_key: signed_master}})
        self.assertEqual(result["failures"], {})
        by_crosser = self.query(user, self.alice)["master_keys"][self.alice.user_id]["signatures"]
        self.assertIn(user.user_id, by_crosser)
        by_bob = self.query(self.bob, self.alice)["master_keys"][self.alice.user_id].get("signatures", {})
        self.assertNotIn(user.user_id, by_bob)


if __name__ == "__main__":
    unittest.main()
