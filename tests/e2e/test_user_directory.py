"""End-to-end: the user directory (client-server-api "User directory", POST
/v3/user_directory/search), over raw HTTP: by default a user finds only users who share a
room with them; with user_directory.include_public_rooms also everyone in a public room
(join rule public or history world_readable). Kept up to date on join, leave, display name
change and room visibility change."""
import unittest

import harness


class Directory(unittest.TestCase):
    include_public_rooms = False

    @classmethod
    def setUpClass(cls):
        extra = {"include_public_rooms": "true"} if cls.include_public_rooms else {}
        cls.server = harness.Server(extra=extra).start()
        token = cls.server.registration_token(uses=5)
        cls.alice, cls.bob, cls.carol, cls.dave, cls.erin = (
            harness.User(cls.server, name, token) for name in ("alice", "bob", "carol", "dave", "erin"))
        cls.alice.ok("PUT", f"/profile/{harness.quote(cls.alice.user_id)}/displayname", {"displayname": "Alice Liddell"})
        cls.public = cls.alice.ok("POST", "/createRoom", {"preset": "public_chat"})["room_id"]
        cls.private = cls.erin.ok("POST", "/createRoom", {"preset": "private_chat"})["room_id"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def found(self, who, term, limit=None):
        body = {"search_term": term}
        if limit is not None:
            body["limit"] = limit
        result = who.ok("POST", "/user_directory/search", body)
        self.assertIsInstance(result["limited"], bool)
        return [entry["user_id"] for entry in result["results"]]

    def join(self, who, room):
        who.ok("POST", f"/rooms/{harness.quote(room)}/join", {})

    def leave(self, who, room):
        who.ok("POST", f"/rooms/{harness.quote(room)}/leave", {})

    def test_users_who_share_a_room_find_each_other_until_one_leaves(self):
        room = self.erin.ok("POST", "/createRoom", {"preset": "private_chat", "invite": [self.dave.user_id]})["room_id"]
        self.assertNotIn(self.erin.user_id, self.found(self.dave, "erin"))
        self.join(self.dave, room)
        self.assertEqual(self.found(self.dave, "erin"), [self.erin.user_id])
        self.assertEqual(self.found(self.dave, "@erin:localhost"), [self.erin.user_id])
        self.assertEqual(self.found(self.dave, "ERI"), [self.erin.user_id])
        self.leave(self.dave, room)
        self.assertEqual(self.found(self.dave, "erin"), [])

    def test_a_new_display_name_is_found(self):
        self.join(self.carol, self.public)
        entry = self.carol.ok("POST", "/user_directory/search", {"search_term": "liddell"})["results"]
        self.assertEqual(entry, [{"user_id": self.alice.user_id, "display_name": "Alice Liddell"}])
        self.alice.ok("PUT", f"/profile/{harness.quote(self.alice.user_id)}/displayname", {"displayname": "Wonder"})
        self.assertEqual(self.found(self.carol, "wonder"), [self.alice.user_id])
        self.assertEqual(self.found(self.carol, "liddell"), [])
        self.alice.ok("PUT", f"/profile/{harness.quote(self.alice.user_id)}/displayname",
                      {"displayname": "Alice Liddell"})

    def test_results_are_limited(self):
        self.join(self.carol, self.public)
        self.join(self.dave, self.public)
        result = self.carol.ok("POST", "/user_directory/search", {"search_term": "localhost", "limit": 1})
        self.assertEqual(len(result["results"]), 1)
        self.assertIs(result["limited"], True)
        self.leave(self.dave, self.public)

    def test_users_of_public_rooms_only_with_the_switch(self):
        # bob shares no room with anyone; alice is in a public room, erin only in a private one.
        found = self.found(self.bob, "alice")
        self.assertEqual(found, [self.alice.user_id] if self.include_public_rooms else [])
        self.assertEqual(self.found(self.bob, "erin"), [])
        # Oneself: only through a public room, and only with the switch.
        self.assertEqual(self.found(self.alice, "alice"), [self.alice.user_id] if self.include_public_rooms else [])
        self.assertEqual(self.found(self.erin, "erin"), [])

    def test_room_visibility_changes_are_followed(self):
        room = self.erin.ok("POST", "/createRoom", {"preset": "private_chat"})["room_id"]
        path = f"/rooms/{harness.quote(room)}/state/"
        expected = [self.erin.user_id] if self.include_public_rooms else []
        self.assertEqual(self.found(self.bob, "erin"), [])
        self.erin.ok("PUT", path + "m.room.join_rules", {"join_rule": "public"})
        self.assertEqual(self.found(self.bob, "erin"), expected)
        self.erin.ok("PUT", path + "m.room.join_rules", {"join_rule": "invite"})
        self.assertEqual(self.found(self.bob, "erin"), [])
        self.erin.ok("PUT", path + "m.room.history_visibility", {"history_visibility": "world_readable"})
        self.assertEqual(self.found(self.bob, "erin"), expected)
        # Both at once, then either taken back: still public.
        self.erin.ok("PUT", path + "m.room.join_rules", {"join_rule": "public"})
        self.assertEqual(self.found(self.bob, "erin"), expected)
        self.erin.ok("PUT", path + "m.room.join_rules", {"join_rule": "invite"})
        self.assertEqual(self.found(self.bob, "erin"), expected)
        self.erin.ok("PUT", path + "m.room.history_visibility", {"history_visibility": "shared"})
        self.assertEqual(self.found(self.bob, "erin"), [])

    def test_bad_requests(self):
        status, body = self.bob.call("POST", "/user_directory/search", {})
        self.assertEqual((status, body["errcode"]), (400, "M_MISSING_PARAM"))
        status, body = self.bob.call("POST", "/user_directory/search", {"search_term": 5})
        self.assertEqual((status, body["errcode"]), (400, "M_BAD_JSON"))
        for term in ("", "\"", "*", "a\"b OR c", "NEAR(", "-x"):
            self.assertEqual(self.bob.call("POST", "/user_directory/search", {"search_term": term})[0], 200, term)


class DirectoryWithPublicRooms(Directory):
    include_public_rooms = True


if __name__ == "__main__":
    unittest.main()
