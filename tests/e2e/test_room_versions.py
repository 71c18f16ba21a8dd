"""End-to-end: rooms of every room version 1..12 (rooms/v1.md .. v12.md): /capabilities lists
them, and each can be created, written to (messages, state, redactions), joined by a second
user and read back; event IDs take each version's format; a v1 room upgrades to v12."""
import re
import unittest

import harness
from harness import quote

VERSIONS = [str(v) for v in range(1, 13)]
SERVER_SCOPED = re.compile(r"^\$[A-Za-z0-9]+:localhost(:\d+)?$")  # v1, v2
STANDARD_HASH = re.compile(r"^\$[A-Za-z0-9+/]{43}$")  # v3
URL_SAFE_HASH = re.compile(r"^\$[A-Za-z0-9_-]{43}$")  # v4+


def id_format(version):
    return SERVER_SCOPED if int(version) <= 2 else STANDARD_HASH if version == "3" else URL_SAFE_HASH


class RoomVersions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        cls.alice = harness.User(cls.server, "alice", cls.server.registration_token())
        cls.bob = harness.User(cls.server, "bob", cls.server.registration_token())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_capabilities_list_1_to_12_stable_default_12(self):
        versions = self.alice.ok("GET", "/capabilities")["capabilities"]["m.room_versions"]
        self.assertEqual(versions["default"], "12")
        self.assertEqual(versions["available"], {v: "stable" for v in VERSIONS})

    def test_each_version_messages_state_redactions_and_a_join(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                room = self.alice.ok("POST", "/createRoom", {"room_version": version, "preset": "public_chat",
                                                             "name": f"v{version}"})["room_id"]
                r = quote(room)
                create = self.alice.ok("GET", f"/rooms/{r}/state/m.room.create")
                self.assertEqual(create["room_version"], version)
                # v1-v10 name the creator in content; v11+ do not (MSC2175).
                self.assertEqual(create.get("creator"), self.alice.user_id if int(version) <= 10 else None)
                sent = self.alice.ok("PUT", f"/rooms/{r}/send/m.room.message/t{version}",
                                     {"msgtype": "m.text", "body": f"hello v{version}"})["event_id"]
                self.assertRegex(sent, id_format(version))
                topic = self.alice.ok("PUT", f"/rooms/{r}/state/m.room.topic", {"topic": f"topic {version}"})
                self.assertRegex(topic["event_id"], id_format(version))
                self.assertEqual(self.alice.ok("GET", f"/rooms/{r}/state/m.room.topic"), {"topic": f"topic {version}"})

                self.bob.ok("POST", f"/join/{r}", {})
                said = self.bob.ok("PUT", f"/rooms/{r}/send/m.room.message/b{version}",
                                   {"msgtype": "m.text", "body": "bob here"})["event_id"]
                # Bob redacts his own message; alice (creator, 100) redacts hers.
                self.bob.ok("PUT", f"/rooms/{r}/redact/{quote(said)}/rb{version}", {"reason": "oops"})
                redaction = self.alice.ok("PUT", f"/rooms/{r}/redact/{quote(sent)}/ra{version}", {})["event_id"]
                self.assertRegex(redaction, id_format(version))

                original = self.bob.ok("GET", f"/rooms/{r}/event/{quote(sent)}")
                self.assertEqual(original["content"], {})
                self.assertEqual(original["unsigned"]["redacted_because"]["event_id"], redaction)
                chunk = self.bob.ok("GET", f"/rooms/{r}/messages?dir=b&limit=50")["chunk"]
                by_id = {e["event_id"]: e for e in chunk}
                self.assertEqual(by_id[said]["content"], {})
                self.assertEqual(by_id[redaction]["redacts"], sent)
                members = self.bob.ok("GET", f"/rooms/{r}/joined_members")["joined"]
                self.assertEqual(set(members), {self.alice.user_id, self.bob.user_id})
                for event in chunk:
                    self.assertRegex(event["event_id"], id_format(version))
                    self.assertNotIn("prev_events", event)
                    self.assertNotIn("auth_events", event)

    def test_knock_only_from_v7(self):
        for version in ["6", "7"]:
            with self.subTest(version=version):
                status, body = self.alice.call("POST", "/createRoom", {
                    "room_version": version,
                    "initial_state": [{"type": "m.room.join_rules", "content": {"join_rule": "knock"}}]})
                self.assertEqual(status, 200, body)
                status, body = self.bob.call("POST", f"/knock/{quote(body['room_id'])}", {})
                self.assertEqual(status, 403 if version == "6" else 200, body)

    def test_string_power_levels_refused_from_v10(self):
        for version in ["9", "10"]:
            with self.subTest(version=version):
                room = quote(self.alice.ok("POST", "/createRoom", {"room_version": version})["room_id"])
                levels = self.alice.ok("GET", f"/rooms/{room}/state/m.room.power_levels")
                levels["kick"] = "60"
                status, body = self.alice.call("PUT", f"/rooms/{room}/state/m.room.power_levels", levels)
                self.assertEqual(status, 200 if version == "9" else 403, body)

    def test_upgrade_v1_to_v12(self):
        old = self.alice.ok("POST", "/createRoom", {"room_version": "1", "name": "ancient"})["room_id"]
        self.alice.ok("PUT", f"/rooms/{quote(old)}/send/m.room.message/up1", {"msgtype": "m.text", "body": "old"})
        new = self.alice.ok("POST", f"/rooms/{quote(old)}/upgrade", {"new_version": "12"})["replacement_room"]
        tombstone = self.alice.ok("GET", f"/rooms/{quote(old)}/state/m.room.tombstone")
        self.assertEqual(tombstone["replacement_room"], new)
        create = self.alice.ok("GET", f"/rooms/{quote(new)}/state/m.room.create")
        self.assertEqual((create["room_version"], create["predecessor"]["room_id"]), ("12", old))
        self.assertEqual(self.alice.ok("GET", f"/rooms/{quote(new)}/state/m.room.name"), {"name": "ancient"})
        sent = self.alice.ok("PUT", f"/rooms/{quote(new)}/send/m.room.message/up2",
                             {"msgtype": "m.text", "body": "new"})["event_id"]
        self.assertRegex(sent, URL_SAFE_HASH)

    def test_unknown_version_refused(self):
        for version in ["0", "13", "1.0"]:
            status, body = self.alice.call("POST", "/createRoom", {"room_version": version})
            self.assertEqual((status, body.get("errcode")), (400, "M_UNSUPPORTED_ROOM_VERSION"), version)


if __name__ == "__main__":
    unittest.main()
