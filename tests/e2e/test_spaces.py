"""End-to-end: spaces (client-server-api "Spaces", GET /v1/rooms/{roomId}/hierarchy) and room
summaries (GET /v1/room_summary and MSC3266's unstable paths), over raw HTTP.

A space with a public child, a child restricted to the space's members and an invite-only
child: a non-member browses the space and sees the public child only; once they join the
space they see the restricted child too, and may join it; the invite-only child stays hidden."""
import itertools
import unittest

import harness

V1 = "/_matrix/client/v1"
V3 = "/_matrix/client/v3"


class Spaces(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        token = cls.server.registration_token(uses=3)
        cls.alice, cls.bob, cls.carol = (harness.User(cls.server, name, token) for name in ("alice", "bob", "carol"))
        cls.txn = itertools.count()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def create(self, who, **body):
        return who.ok("POST", "/createRoom", body)["room_id"]

    def link(self, space, child, **extra):
        self.alice.ok("PUT", f"/rooms/{harness.quote(space)}/state/m.space.child/{harness.quote(child)}",
                      {"via": ["localhost"], **extra})

    def hierarchy(self, who, room, query=""):
        return who.call("GET", f"/rooms/{harness.quote(room)}/hierarchy{query}", prefix=V1)

    def rooms(self, who, room, query=""):
        status, body = self.hierarchy(who, room, query)
        self.assertEqual(status, 200, body)
        return [entry["room_id"] for entry in body["rooms"]]

    def make_space(self):
        space = self.create(self.alice, preset="public_chat", name="Space",
                            creation_content={"type": "m.space"})
        public = self.create(self.alice, preset="public_chat", name="Public")
        restricted = self.create(self.alice, preset="private_chat", name="Restricted", initial_state=[{
            "type": "m.room.join_rules", "state_key": "",
            "content": {"join_rule": "restricted",
                        "allow": [{"type": "m.room_membership", "room_id": space}]}}])
        private = self.create(self.alice, preset="private_chat", name="Private")
        self.link(space, restricted, order="b")
        self.link(space, public, order="a", suggested=True)
        self.link(space, private)
        self.link(space, "!elsewhere:remote.example")  # another server's: skipped, no federation
        return space, public, restricted, private

    def test_a_restricted_child_is_browsable_only_as_allowed(self):
        space, public, restricted, private = self.make_space()
        self.assertEqual(self.rooms(self.alice, space), [space, public, restricted, private])
        # bob is in no room: the space and its public child.
        self.assertEqual(self.rooms(self.bob, space), [space, public])
        # bob may not join the restricted child yet either.
        status, body = self.bob.call("POST", f"/rooms/{harness.quote(restricted)}/join", {})
        self.assertEqual(status, 403, body)
        # A member of the space meets the allow condition: he sees the restricted child, and may join it.
        self.bob.ok("POST", f"/rooms/{harness.quote(space)}/join", {})
        self.assertEqual(self.rooms(self.bob, space), [space, public, restricted])
        self.bob.ok("POST", f"/rooms/{harness.quote(restricted)}/join", {})
        # A restricted room as the root: 403 for who may not see it.
        status, body = self.hierarchy(self.carol, restricted)
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))
        status, body = self.hierarchy(self.carol, private)
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))

    def test_rooms_are_summaries_with_their_children_state(self):
        space, public, restricted, private = self.make_space()
        status, body = self.hierarchy(self.alice, space)
        self.assertEqual(status, 200, body)
        root = body["rooms"][0]
        self.assertEqual((root["room_type"], root["name"], root["join_rule"]), ("m.space", "Space", "public"))
        self.assertEqual(root["num_joined_members"], 1)
        self.assertIs(root["world_readable"], False)
        self.assertIs(root["guest_can_join"], False)
        children = root["children_state"]
        self.assertEqual([child["state_key"] for child in children],
                         [public, restricted, private, "!elsewhere:remote.example"])
        for child in children:
            self.assertEqual(child["type"], "m.space.child")
            self.assertEqual(child["sender"], self.alice.user_id)
            self.assertIsInstance(child["origin_server_ts"], int)
            self.assertNotIn("event_id", child)
        restricted_entry = body["rooms"][2]
        self.assertEqual(restricted_entry["join_rule"], "restricted")
        self.assertEqual(restricted_entry["allowed_room_ids"], [space])
        self.assertEqual(restricted_entry["children_state"], [])

    def test_depth_suggested_only_and_pagination(self):
        space, public, restricted, private = self.make_space()
        sub = self.create(self.alice, preset="public_chat", creation_content={"type": "m.space"})
        deep = self.create(self.alice, preset="public_chat")
        self.link(space, sub, order="c")
        self.link(sub, deep)
        self.link(sub, space)  # a loop
        every = [space, public, restricted, sub, deep, private]
        self.assertEqual(self.rooms(self.alice, space), every)
        self.assertEqual(self.rooms(self.alice, space, "?max_depth=0"), [space])
        self.assertEqual(self.rooms(self.alice, space, "?max_depth=1"), [space, public, restricted, sub, private])
        self.assertEqual(self.rooms(self.alice, space, "?suggested_only=true"), [space, public])
        pages, token = [], None
        while True:
            query = "?limit=2" + (f"&from={harness.quote(token)}" if token else "")
            status, body = self.hierarchy(self.alice, space, query)
            self.assertEqual(status, 200, body)
            pages.append([entry["room_id"] for entry in body["rooms"]])
            token = body.get("next_batch")
            if not token:
                break
        self.assertEqual(sum(pages, []), every)
        self.assertTrue(all(len(page) <= 2 for page in pages))
        # A token is for the max_depth and suggested_only it was made with.
        status, body = self.hierarchy(self.alice, space, "?limit=2")
        token = harness.quote(body["next_batch"])
        status, body = self.hierarchy(self.alice, space, f"?limit=2&from={token}&max_depth=1")
        self.assertEqual((status, body["errcode"]), (400, "M_INVALID_PARAM"))
        status, body = self.hierarchy(self.alice, space, f"?from={token}&suggested_only=true")
        self.assertEqual((status, body["errcode"]), (400, "M_INVALID_PARAM"))
        for query in ("?from=nonsense", "?limit=0", "?limit=x", "?max_depth=-1", "?suggested_only=maybe"):
            status, body = self.hierarchy(self.alice, space, query)
            self.assertEqual((status, body["errcode"]), (400, "M_INVALID_PARAM"), query)

    def test_the_summary_answers_on_the_stable_and_unstable_paths(self):
        space, public, restricted, private = self.make_space()
        for prefix, path in ((V1, f"/room_summary/{harness.quote(space)}"),
                             ("/_matrix/client/unstable/im.nheko.summary", f"/summary/{harness.quote(space)}"),
                             ("/_matrix/client/unstable/im.nheko.summary", f"/rooms/{harness.quote(space)}/summary")):
            status, body = self.bob.call("GET", path, prefix=prefix)
            self.assertEqual(status, 200, (path, body))
            self.assertEqual((body["room_id"], body["room_type"], body["room_version"]), (space, "m.space", "12"))
            self.assertIn(body["membership"], ("leave", "join"))
        status, body = self.carol.call("GET", f"/room_summary/{harness.quote(private)}", prefix=V1)
        self.assertEqual((status, body["errcode"]), (404, "M_NOT_FOUND"))
        status, body = self.carol.call("GET", f"/summary/{harness.quote(restricted)}",
                                       prefix="/_matrix/client/unstable/im.nheko.summary")
        self.assertEqual(status, 404, body)


if __name__ == "__main__":
    unittest.main()
