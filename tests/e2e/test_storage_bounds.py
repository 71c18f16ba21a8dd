"""End-to-end: what one device or user can make the server keep is bounded (limits.* in the
config): a to-device inbox keeps its newest messages, one-time keys per device and algorithm
and the algorithms themselves are capped, account-data values and entries too; identical
filters are kept once and the least recently used go beyond the bound; push rules, content
reports, room aliases and backed-up room keys are capped per user, a login beyond the
device bound logs out the device seen least recently (device names are bounded too), and a
threaded receipt needs a real thread root. Small bounds are configured here so
that the test stays quick; the others are the defaults."""
import time
import unittest

import harness

V3 = "/_matrix/client/v3"
INBOX = 5
ENTRIES = 4
SMALL = 3    # filters, push rules, reports, aliases, devices and backed-up keys per user


q = harness.quote


class StorageBounds(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        small = {key: str(SMALL) for key in ("filters_per_user", "push_rules_per_user", "reports_per_user",
                                             "aliases_per_user", "devices_per_user", "backup_keys_per_user")}
        cls.server = harness.Server(extra={"to_device_inbox_messages": str(INBOX),
                                           "account_data_entries": str(ENTRIES), **small}).start()
        cls.token = cls.server.registration_token()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def client(self, name):
        return harness.User(self.server, name, self.token)

    def expect(self, client, status, errcode, method, path, body=None):
        got_status, got = client.call(method, path, body)
        self.assertEqual((got_status, (got or {}).get("errcode")), (status, errcode), got)
        return got

    def test_a_device_that_never_syncs_keeps_only_its_newest_messages(self):
        sender, lost_phone = self.client("sender"), self.client("lostphone")
        for n in range(INBOX + 3):
            # Every request is accepted: the sender learns nothing about the recipient's devices.
            self.expect(sender, 200, None, "PUT", f"/sendToDevice/m.test/txn{n}",
                        {"messages": {lost_phone.user_id: {lost_phone.device: {"n": n}}}})
        status, body = lost_phone.call("GET", "/sync?timeout=0")
        self.assertEqual(status, 200, body)
        self.assertEqual([e["content"]["n"] for e in body["to_device"]["events"]], list(range(3, INBOX + 3)))

    def test_one_time_keys_are_bounded_per_algorithm_and_in_algorithms(self):
        device = self.client("keyholder")
        keys = {f"curve25519:K{i:04d}": f"key{i}" for i in range(100)}
        status, body = device.call("POST", "/keys/upload", {"one_time_keys": keys})
        self.assertEqual((status, body["one_time_key_counts"]["curve25519"]), (200, 100), body)
        # Uploading the same keys again is no new key.
        status, body = device.call("POST", "/keys/upload", {"one_time_keys": dict(list(keys.items())[:10])})
        self.assertEqual(status, 200, body)
        self.expect(device, 403, "M_FORBIDDEN", "POST", "/keys/upload", {"one_time_keys": {"curve25519:K0100": "k"}})
        # A huge upload is refused whole, before its signatures are even looked at.
        flood = {f"signed_curve25519:F{i:05d}": {"key": "k", "signatures": {}} for i in range(10000)}
        self.expect(device, 403, "M_FORBIDDEN", "POST", "/keys/upload", {"one_time_keys": flood})
        # Invented algorithm names: only identifier-shaped ones, and only a few of them.
        self.expect(device, 400, "M_BAD_JSON", "POST", "/keys/upload", {"one_time_keys": {"Curve 25519!:K1": "k"}})
        self.expect(device, 403, "M_FORBIDDEN", "POST", "/keys/upload",
                    {"one_time_keys": {f"org.example.alg{i}:K1": "k" for i in range(4)}})
        status, body = device.call("POST", "/keys/upload", {"one_time_keys": {}})
        self.assertEqual(body["one_time_key_counts"], {"curve25519": 100, "signed_curve25519": 0})
        self.expect(device, 403, "M_FORBIDDEN", "POST", "/keys/upload",
                    {"fallback_keys": {f"org.example.alg{i}:K1": "k" for i in range(5)}})

    def test_limits_out_of_range_are_refused_at_start(self):
        # 0 for an evicting cap deleted every filter at each POST (or logged out every device at
        # each login); 0 or less for a refusing cap refused everything; a huge one-time key
        # bound overflowed.
        for key, value in (("filters_per_user", "0"), ("devices_per_user", "-1"), ("account_data_entries", "0"),
                           ("push_rules_per_user", "-5"), ("reports_per_user", "0"), ("aliases_per_user", "0"),
                           ("backup_keys_per_user", "0"), ("one_time_keys_per_algorithm", "9223372036854775807"),
                           ("to_device_inbox_messages", "-1"), ("to_device_idle_days", "-1"),
                           ("max_request_bytes", "0"), ("max_connections", "0"), ("account_data_value_bytes", "1")):
            server = harness.Server(extra={key: value})
            try:
                with self.assertRaises(RuntimeError, msg=key):
                    server.start()
            finally:
                server.stop()
            self.assertIn("limits." + key + " must be at least", server.read_log())

    def test_account_data_values_and_entries_are_bounded(self):
        user = self.client("hoarder")
        path = f"/user/{q(user.user_id)}/account_data"
        self.expect(user, 413, "M_TOO_LARGE", "PUT", f"{path}/org.example.big", {"blob": "x" * 65536})
        self.expect(user, 200, None, "PUT", f"{path}/org.example.fits", {"blob": "x" * 60000})
        for n in range(1, ENTRIES):
            self.expect(user, 200, None, "PUT", f"{path}/org.example.n{n}", {"n": n})
        self.expect(user, 403, "M_FORBIDDEN", "PUT", f"{path}/org.example.one_too_many", {"n": 0})
        room = user.call("POST", "/createRoom", {})[1]["room_id"]
        self.expect(user, 403, "M_FORBIDDEN", "PUT", f"/user/{q(user.user_id)}/rooms/{q(room)}/tags/u.work", {})
        # Replacing an entry is fine, so is emptying it and filling it again. An emptied entry
        # keeps its place (its row stays, for the other devices to learn of it): emptying does not
        # make room for a new entry, not even for an empty one.
        self.expect(user, 200, None, "PUT", f"{path}/org.example.n1", {"n": 11})
        self.expect(user, 200, None, "PUT", f"{path}/org.example.n1", {})
        self.expect(user, 403, "M_FORBIDDEN", "PUT", f"/user/{q(user.user_id)}/rooms/{q(room)}/tags/u.work", {})
        self.expect(user, 403, "M_FORBIDDEN", "PUT", f"{path}/org.example.empty", {})
        self.expect(user, 200, None, "PUT", f"{path}/org.example.n1", {"n": 12})
        # A read marker is the server's own entry and never refused.
        status, body = user.call("GET", f"/rooms/{q(room)}/messages?dir=b&limit=1")
        event_id = body["chunk"][0]["event_id"]
        self.expect(user, 200, None, "POST", f"/rooms/{q(room)}/read_markers", {"m.fully_read": event_id})

    def test_identical_filters_are_kept_once_and_the_least_recently_used_go(self):
        user = self.client("filterer")
        path = f"/user/{q(user.user_id)}/filter"

        def post(body):
            time.sleep(0.005)   # uses are told apart by the millisecond
            return self.expect(user, 200, None, "POST", path, body)["filter_id"]
        first = post({"room": {"timeline": {"limit": 10}}, "presence": {"not_types": ["*"]}})
        # A client posting its filter at every start gets the same ID, key order and spacing aside.
        self.assertEqual(post({"presence": {"not_types": ["*"]}, "room": {"timeline": {"limit": 10}}}), first)
        ids = [post({"room": {"timeline": {"limit": n}}}) for n in range(1, SMALL)]
        self.assertEqual(len(set(ids + [first])), SMALL)
        # Reposting the first is a use (as a sync with it is, noted once a day); the next new
        # filter evicts the least recently used one, whose ID is then unknown, as clients handle.
        post({"room": {"timeline": {"limit": 10}}, "presence": {"not_types": ["*"]}})
        newest = post({"room": {"timeline": {"limit": 99}}})
        self.assertNotIn(newest, ids + [first])
        self.expect(user, 404, "M_NOT_FOUND", "GET", f"{path}/{ids[0]}")
        self.expect(user, 404, "M_NOT_FOUND", "GET", f"/sync?timeout=0&filter={ids[0]}")
        self.expect(user, 200, None, "GET", f"/sync?timeout=0&filter={first}")
        self.expect(user, 200, None, "GET", f"{path}/{newest}")
        self.expect(user, 413, "M_TOO_LARGE", "POST", path, {"room": {"rooms": [f"!r{n:05d}:localhost" for n in range(5000)]}})

    def test_push_rules_are_bounded_in_number_and_size(self):
        user = self.client("pusher")
        for n in range(SMALL):
            self.expect(user, 200, None, "PUT", f"/pushrules/global/content/word{n}", {"actions": ["notify"], "pattern": f"w{n}"})
        self.expect(user, 403, "M_FORBIDDEN", "PUT", "/pushrules/global/content/one_too_many", {"actions": [], "pattern": "x"})
        self.expect(user, 200, None, "PUT", "/pushrules/global/content/word0", {"actions": [], "pattern": "replaced"})
        self.expect(user, 413, "M_TOO_LARGE", "PUT", "/pushrules/global/content/word1", {"actions": [], "pattern": "x" * 5000})
        self.expect(user, 413, "M_TOO_LARGE", "PUT", "/pushrules/global/override/.m.rule.master/actions",
                    {"actions": ["notify"] * 1000})
        self.expect(user, 200, None, "DELETE", "/pushrules/global/content/word2")
        self.expect(user, 200, None, "PUT", "/pushrules/global/content/another", {"actions": [], "pattern": "x"})

    def test_reports_are_bounded_per_reporter_and_in_reason(self):
        user = self.client("reporter")
        room = user.call("POST", "/createRoom", {})[1]["room_id"]
        event_id = user.call("PUT", f"/rooms/{q(room)}/send/m.room.message/r1", {"msgtype": "m.text", "body": "x"})[1]["event_id"]
        self.expect(user, 413, "M_TOO_LARGE", "POST", f"/rooms/{q(room)}/report/{q(event_id)}", {"reason": "x" * 5000})
        for n in range(SMALL - 1):
            self.expect(user, 200, None, "POST", f"/rooms/{q(room)}/report/{q(event_id)}", {"reason": f"spam {n}"})
        self.expect(user, 200, None, "POST", f"/rooms/{q(room)}/report", {"reason": "x" * 4096})
        self.expect(user, 403, "M_FORBIDDEN", "POST", f"/rooms/{q(room)}/report", {"reason": "again"})
        self.expect(user, 403, "M_FORBIDDEN", "POST", f"/rooms/{q(room)}/report/{q(event_id)}", {})

    def test_threaded_receipts_need_a_thread_root_in_the_room(self):
        user = self.client("reader")
        room, other = (user.call("POST", "/createRoom", {})[1]["room_id"] for _ in range(2))
        root = user.call("PUT", f"/rooms/{q(room)}/send/m.room.message/t1", {"msgtype": "m.text", "body": "root"})[1]["event_id"]
        elsewhere = user.call("PUT", f"/rooms/{q(other)}/send/m.room.message/t2", {"msgtype": "m.text", "body": "x"})[1]["event_id"]
        receipt = f"/rooms/{q(room)}/receipt/m.read/{q(root)}"
        self.expect(user, 200, None, "POST", receipt, {"thread_id": root})
        self.expect(user, 200, None, "POST", receipt, {"thread_id": "main"})
        # Invented thread IDs would each be a receipt kept and synced to every member.
        for thread in (elsewhere, "$" + "A" * 43):
            self.expect(user, 400, "M_INVALID_PARAM", "POST", receipt, {"thread_id": thread})

    def test_room_aliases_are_bounded_per_creator(self):
        user = self.client("aliaser")
        room = user.call("POST", "/createRoom", {})[1]["room_id"]
        for n in range(SMALL):
            self.expect(user, 200, None, "PUT", f"/directory/room/{q(f'#a{n}:localhost')}", {"room_id": room})
        self.expect(user, 403, "M_FORBIDDEN", "PUT", f"/directory/room/{q('#a9:localhost')}", {"room_id": room})
        self.expect(user, 403, "M_FORBIDDEN", "POST", "/createRoom", {"room_alias_name": "a8"})
        self.expect(user, 200, None, "DELETE", f"/directory/room/{q('#a0:localhost')}")
        self.expect(user, 200, None, "PUT", f"/directory/room/{q('#a9:localhost')}", {"room_id": room})

    def test_backed_up_room_keys_are_bounded_per_user(self):
        user = self.client("backer")
        version = self.expect(user, 200, None, "POST", "/room_keys/version",
                              {"algorithm": "m.megolm_backup.v1.curve25519-aes-sha2", "auth_data": {"public_key": "k"}})["version"]

        def key(data="d"):
            return {"first_message_index": 0, "forwarded_count": 0, "is_verified": False,
                    "session_data": {"ciphertext": data, "ephemeral": "e", "mac": "m"}}
        room = "!r:localhost"
        sessions = {f"s{n}": key() for n in range(SMALL)}
        self.expect(user, 200, None, "PUT", f"/room_keys/keys/{q(room)}?version={version}", {"sessions": sessions})
        self.expect(user, 403, "M_FORBIDDEN", "PUT", f"/room_keys/keys/{q(room)}/s9?version={version}", key())
        # A new version does not start afresh: the old version's keys are still kept.
        newer = self.expect(user, 200, None, "POST", "/room_keys/version",
                            {"algorithm": "m.megolm_backup.v1.curve25519-aes-sha2", "auth_data": {"public_key": "k2"}})["version"]
        self.expect(user, 403, "M_FORBIDDEN", "PUT", f"/room_keys/keys/{q(room)}/s9?version={newer}", key())
        self.expect(user, 200, None, "DELETE", f"/room_keys/version/{version}")
        self.expect(user, 200, None, "PUT", f"/room_keys/keys/{q(room)}/s9?version={newer}", key())
        self.expect(user, 413, "M_TOO_LARGE", "PUT", f"/room_keys/keys/{q(room)}/s8?version={newer}", key("x" * 9000))
        self.expect(user, 413, "M_TOO_LARGE", "POST", "/room_keys/version",
                    {"algorithm": "m.megolm_backup.v1.curve25519-aes-sha2", "auth_data": {"public_key": "k" * 70000}})
        # Ten versions at most: an eleventh deletes the oldest, with its keys.
        for n in range(10):
            self.expect(user, 200, None, "POST", "/room_keys/version",
                        {"algorithm": "m.megolm_backup.v1.curve25519-aes-sha2", "auth_data": {"public_key": f"k{n}"}})
        self.expect(user, 404, "M_NOT_FOUND", "GET", f"/room_keys/version/{newer}")
        self.expect(user, 200, None, "PUT", f"/room_keys/keys/{q(room)}/s9?version={int(newer) + 10}", key())

    def test_a_login_beyond_the_device_bound_logs_out_the_device_seen_least_recently(self):
        first = self.client("traveller")
        password = "pw-traveller-long"

        def login(name="phone"):
            status, body = harness.request(self.server.url, "POST", V3 + "/login",
                                           {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "traveller"},
                                            "password": password, "initial_device_display_name": name})
            self.assertEqual(status, 200, body)
            self.device = body["device_id"]
            return body["access_token"]
        tokens = [first.token] + [login() for _ in range(SMALL - 1)]
        # The first device is used again; the second is now the one seen least recently.
        self.expect(first, 200, None, "GET", "/account/whoami")
        newest = login()
        status, devices = first.call("GET", "/devices")
        self.assertEqual((status, len(devices["devices"])), (200, SMALL), devices)
        self.assertEqual(harness.request(self.server.url, "GET", V3 + "/account/whoami", token=tokens[1])[0], 401)
        for token in (tokens[0], tokens[2], newest):
            self.assertEqual(harness.request(self.server.url, "GET", V3 + "/account/whoami", token=token)[0], 200)
        # Device names are bounded: a login's is cut (at a character boundary), a rename refused.
        first.token = login("é" * 200)
        name = self.expect(first, 200, None, "GET", f"/devices/{self.device}")["display_name"]
        self.assertEqual(name, "é" * 128)
        self.expect(first, 400, "M_INVALID_PARAM", "PUT", f"/devices/{self.device}", {"display_name": "x" * 257})
        self.expect(first, 200, None, "PUT", f"/devices/{self.device}", {"display_name": "x" * 256})


if __name__ == "__main__":
    unittest.main()
