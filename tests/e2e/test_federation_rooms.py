"""A room across two real servers: a user of one joins a room of the other over federation,
then each server's events reach the other through its sender's transactions and the other's
receiver (signatures, hashes, auth), and the other server reads the room back through the
federation read endpoints only when one of its users is in it; history from before a user of
the other server joined back-fills into its /messages (server-server-api "Backfilling and
retrieving missing events"), within the room's history visibility, without reaching /sync. A
user of one knocks on a room of the other ("Knocking upon a room"): accepted by an invite,
retracted, refused by a kick; and each server's room directory over federation, which hs1
(the default) does not share and hs2 (federation.serve_public_rooms) does. Presence, when both
servers have it on, crosses to users who share a room."""
import unittest
import urllib.parse

import federation
import harness
from test_e2ee_api import User


def quote(text):
    return urllib.parse.quote(text, safe="")


class RoomAcrossServers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers, _ = federation.federated_servers(per_server={"hs2.test": {"serve_public_rooms": "true"}})
        cls.hs1, cls.hs2 = cls.servers
        cls.alice = User(cls.hs1, "alice", cls.hs1.registration_token())
        cls.bob = User(cls.hs2, "bob", cls.hs2.registration_token())

    @classmethod
    def tearDownClass(cls):
        federation.stop_all(cls.servers)

    def sees(self, user, room, event_id):
        status, body = user.call("GET", f"/rooms/{quote(room)}/event/{quote(event_id)}")
        return body if status == 200 else None

    def send(self, user, room, text, txn):
        status, body = user.call("PUT", f"/rooms/{quote(room)}/send/m.room.message/{txn}",
                                 {"msgtype": "m.text", "body": text})
        self.assertEqual(status, 200, body)
        return body["event_id"]

    def test_messages_reach_the_other_server_both_ways(self):
        status, body = self.alice.call("POST", "/createRoom", {"preset": "public_chat", "name": "Across"})
        self.assertEqual(status, 200, body)
        room = body["room_id"]
        status, body = self.bob.call("POST", f"/join/{quote(room)}?server_name=hs1.test", {})
        self.assertEqual(status, 200, body)

        hello = self.send(self.alice, room, "hello bob", "a1")
        seen = harness.eventually(lambda: self.sees(self.bob, room, hello))
        self.assertTrue(seen, "hs2 never got alice's message")
        self.assertEqual(seen["content"]["body"], "hello bob")
        self.assertEqual(seen["sender"], self.alice.user_id)

        reply = self.send(self.bob, room, "hello alice", "b1")
        seen = harness.eventually(lambda: self.sees(self.alice, room, reply))
        self.assertTrue(seen, "hs1 never got bob's reply")
        self.assertEqual(seen["content"]["body"], "hello alice")

        # Both servers list both members.
        for user in (self.alice, self.bob):
            status, body = user.call("GET", f"/rooms/{quote(room)}/joined_members")
            self.assertEqual(status, 200, body)
            self.assertEqual(set(body["joined"]), {self.alice.user_id, self.bob.user_id})

        # A state change from hs2's side reaches hs1's current state.
        status, body = self.bob.call("PUT", f"/rooms/{quote(room)}/state/m.room.member/{quote(self.bob.user_id)}",
                                     {"membership": "join", "displayname": "Bob B."})
        self.assertEqual(status, 200, body)

        def renamed():
            status, body = self.alice.call("GET", f"/rooms/{quote(room)}/state/m.room.member/{quote(self.bob.user_id)}")
            return status == 200 and body.get("displayname") == "Bob B."
        self.assertTrue(harness.eventually(renamed), "hs1 never saw bob's new display name")

    def paged_back(self, user, room, limit=7):
        """The m.room.message bodies /messages gives paging back from now, newest first, and the
        chunks' event IDs."""
        bodies, ids, token = [], [], None
        for _ in range(40):
            query = f"dir=b&limit={limit}" + (f"&from={quote(token)}" if token else "")
            status, body = user.call("GET", f"/rooms/{quote(room)}/messages?{query}")
            self.assertEqual(status, 200, body)
            for event in body["chunk"]:
                ids.append(event["event_id"])
                if event["type"] == "m.room.message":
                    bodies.append(event["content"]["body"])
            token = body.get("end")
            if not token:
                break
        return bodies, ids

    def room_with_history(self, name, visibility):
        status, body = self.bob.call("POST", "/createRoom", {
            "preset": "public_chat", "name": name,
            "initial_state": [{"type": "m.room.history_visibility", "state_key": "",
                               "content": {"history_visibility": visibility}}]})
        self.assertEqual(status, 200, body)
        room = body["room_id"]
        for i in range(30):
            self.send(self.bob, room, f"{name} {i}", f"{name}-{i}")
        status, body = self.alice.call("POST", f"/join/{quote(room)}?server_name=hs2.test", {})
        self.assertEqual(status, 200, body)
        return room

    def test_history_from_before_the_join_back_fills_within_its_visibility(self):
        room = self.room_with_history("history", "shared")
        status, synced = self.alice.call("GET", "/sync?timeout=0")
        self.assertEqual(status, 200, synced)
        bodies, ids = self.paged_back(self.alice, room)
        self.assertEqual(bodies, [f"history {i}" for i in reversed(range(30))])
        self.assertEqual(len(ids), len(set(ids)), "an event came twice")
        # The room's whole history is there, create event last.
        status, last = self.alice.call("GET", f"/rooms/{quote(room)}/event/{quote(ids[-1])}")
        self.assertEqual(status, 200, last)
        self.assertEqual(last["type"], "m.room.create")
        # /context reaches back-filled events, and its tokens page on from there.
        status, context = self.alice.call("GET", f"/rooms/{quote(room)}/context/{quote(ids[10])}?limit=2")
        self.assertEqual(status, 200, context)
        self.assertEqual(context["event"]["event_id"], ids[10])
        status, older = self.alice.call("GET", f"/rooms/{quote(room)}/messages?dir=b&limit=1&from={quote(context['start'])}")
        self.assertEqual(status, 200, older)
        self.assertEqual(older["chunk"][0]["event_id"], ids[12])
        # Back-filled events are history, not news: the next sync has none of them.
        status, since = self.alice.call("GET", f"/sync?timeout=0&since={quote(synced['next_batch'])}")
        self.assertEqual(status, 200, since)
        timeline = since.get("rooms", {}).get("join", {}).get(room, {}).get("timeline", {}).get("events", [])
        self.assertEqual([e for e in timeline if e["event_id"] in ids[1:]], [])

    def test_joined_visibility_hides_the_history_from_before_the_join(self):
        room = self.room_with_history("hidden", "joined")
        bodies, _ = self.paged_back(self.alice, room)
        self.assertEqual(bodies, [])

    def knockable_room(self, name):
        status, body = self.alice.call("POST", "/createRoom", {
            "preset": "private_chat", "name": name, "room_version": "10",
            "initial_state": [{"type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "knock"}}]})
        self.assertEqual(status, 200, body)
        return body["room_id"]

    def synced_rooms(self, user, section):
        include_leave = quote('{"room": {"include_leave": true}}')
        status, body = user.call("GET", "/sync?timeout=0&filter=" + include_leave)
        self.assertEqual(status, 200, body)
        return body.get("rooms", {}).get(section, {})

    def membership_on(self, user, room, target):
        status, body = user.call("GET", f"/rooms/{quote(room)}/state/m.room.member/{quote(target)}")
        return body.get("membership") if status == 200 else None

    def knock(self, room):
        status, body = self.bob.call("POST", f"/knock/{quote(room)}?via=hs1.test", {"reason": "let me in"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["room_id"], room)

    def test_a_knock_is_seen_and_accepted_by_an_invite(self):
        room = self.knockable_room("Knock knock")
        self.knock(room)
        # Bob's server knows the room only through the knock: /sync shows it with the state hs1 sent.
        knocked = self.synced_rooms(self.bob, "knock")
        self.assertIn(room, knocked)
        events = knocked[room]["knock_state"]["events"]
        self.assertIn(("m.room.name", "Knock knock"),
                      [(e["type"], e["content"].get("name")) for e in events])
        own = [e for e in events if e["type"] == "m.room.member" and e["state_key"] == self.bob.user_id]
        self.assertEqual(own[0]["content"]["membership"], "knock")
        # Alice sees the knock in the room's timeline and state.
        def knock_in_sync():
            timeline = self.synced_rooms(self.alice, "join").get(room, {}).get("timeline", {}).get("events", [])
            return [e for e in timeline if e["type"] == "m.room.member" and e["state_key"] == self.bob.user_id]
        seen = harness.eventually(knock_in_sync)
        self.assertTrue(seen, "alice never saw bob's knock")
        self.assertEqual(seen[0]["content"]["membership"], "knock")
        self.assertEqual(seen[0]["content"]["reason"], "let me in")
        # She lets him in: the invite reaches bob, who joins.
        status, body = self.alice.call("POST", f"/rooms/{quote(room)}/invite", {"user_id": self.bob.user_id})
        self.assertEqual(status, 200, body)
        self.assertTrue(harness.eventually(lambda: room in self.synced_rooms(self.bob, "invite")), "bob never got the invite")
        status, body = self.bob.call("POST", f"/join/{quote(room)}", {})
        self.assertEqual(status, 200, body)
        for user in (self.alice, self.bob):
            self.assertTrue(harness.eventually(lambda: self.membership_on(user, room, self.bob.user_id) == "join"))

    def test_a_knock_is_retracted(self):
        room = self.knockable_room("Knock retract")
        self.knock(room)
        self.assertTrue(harness.eventually(lambda: self.membership_on(self.alice, room, self.bob.user_id) == "knock"))
        status, body = self.bob.call("POST", f"/rooms/{quote(room)}/leave", {})
        self.assertEqual(status, 200, body)
        self.assertTrue(harness.eventually(lambda: self.membership_on(self.alice, room, self.bob.user_id) == "leave"),
                        "hs1 never heard the knock was retracted")
        self.assertNotIn(room, self.synced_rooms(self.bob, "knock"))
        self.assertIn(room, self.synced_rooms(self.bob, "leave"))

    def test_a_refused_knock_reaches_the_knocker(self):
        room = self.knockable_room("Knock refused")
        self.knock(room)
        self.assertTrue(harness.eventually(lambda: self.membership_on(self.alice, room, self.bob.user_id) == "knock"))
        status, body = self.alice.call("POST", f"/rooms/{quote(room)}/kick",
                                       {"user_id": self.bob.user_id, "reason": "not now"})
        self.assertEqual(status, 200, body)
        self.assertTrue(harness.eventually(lambda: room in self.synced_rooms(self.bob, "leave")),
                        "bob never heard his knock was refused")
        self.assertNotIn(room, self.synced_rooms(self.bob, "knock"))

    def test_knocks_on_rooms_that_do_not_take_them_are_refused(self):
        status, body = self.alice.call("POST", "/createRoom", {"preset": "private_chat", "room_version": "10"})
        self.assertEqual(status, 200, body)
        status, body = self.bob.call("POST", f"/knock/{quote(body['room_id'])}?via=hs1.test", {})
        self.assertEqual(status, 403, body)
        self.assertEqual(body["errcode"], "M_FORBIDDEN")

    def test_room_directories_over_federation(self):
        status, body = self.bob.call("POST", "/createRoom", {"preset": "public_chat", "name": "Listed on hs2",
                                                            "visibility": "public"})
        self.assertEqual(status, 200, body)
        listed = body["room_id"]
        # hs2 shares its directory.
        status, body = self.alice.call("GET", "/publicRooms?server=hs2.test&limit=5")
        self.assertEqual(status, 200, body)
        self.assertIn(listed, [room["room_id"] for room in body["chunk"]])
        status, body = self.alice.call("POST", "/publicRooms?server=hs2.test",
                                       {"limit": 5, "filter": {"generic_search_term": "listed on"}})
        self.assertEqual(status, 200, body)
        self.assertEqual([room["room_id"] for room in body["chunk"]], [listed])
        status, body = self.alice.call("POST", "/publicRooms?server=hs2.test",
                                       {"filter": {"generic_search_term": "nothing like it"}})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["chunk"], [])
        # hs1 (the default) does not.
        status, body = self.bob.call("GET", "/publicRooms?server=hs1.test")
        self.assertEqual(status, 403, body)
        self.assertEqual(body["errcode"], "M_FORBIDDEN")


class PresenceAcrossServers(unittest.TestCase):
    """With presence.enabled on both servers, a user's presence reaches the users of the other
    server who share a room with them (the m.presence EDU); without a shared room it does not."""

    @classmethod
    def setUpClass(cls):
        cls.servers, _ = federation.federated_servers(sections={"presence": {"enabled": "true"}})
        cls.hs1, cls.hs2 = cls.servers
        cls.alice = User(cls.hs1, "alice", cls.hs1.registration_token())
        cls.bob = User(cls.hs2, "bob", cls.hs2.registration_token())
        cls.carol = User(cls.hs2, "carol", cls.hs2.registration_token())

    @classmethod
    def tearDownClass(cls):
        federation.stop_all(cls.servers)

    def ok(self, user, method, path, body=None):
        status, answer = user.call(method, path, body)
        self.assertEqual(status, 200, answer)
        return answer

    def status_of(self, viewer, user):
        status, body = viewer.call("GET", f"/presence/{quote(user.user_id)}/status")
        return body if status == 200 else None

    def test_presence_reaches_users_of_the_other_server_in_a_shared_room(self):
        room = self.ok(self.alice, "POST", "/createRoom", {"preset": "public_chat"})["room_id"]
        self.ok(self.bob, "POST", f"/join/{quote(room)}?server_name=hs1.test", {})
        self.assertTrue(harness.eventually(lambda: self.status_of(self.alice, self.bob)), "hs1 never saw bob join")
        self.ok(self.alice, "PUT", f"/presence/{quote(self.alice.user_id)}/status",
                      {"presence": "unavailable", "status_msg": "lunch"})
        seen = harness.eventually(lambda: (self.status_of(self.bob, self.alice) or {}).get("presence") == "unavailable")
        self.assertTrue(seen, self.status_of(self.bob, self.alice))
        self.assertEqual(self.status_of(self.bob, self.alice)["status_msg"], "lunch")
        # bob's sync has alice's presence too.
        synced = self.ok(self.bob, "GET", "/sync?timeout=0")
        events = [e for e in synced.get("presence", {}).get("events", []) if e["sender"] == self.alice.user_id]
        self.assertEqual([e["content"]["presence"] for e in events], ["unavailable"])
        # And back: bob goes online, alice sees it.
        self.ok(self.bob, "PUT", f"/presence/{quote(self.bob.user_id)}/status", {"presence": "online"})
        seen = harness.eventually(lambda: (self.status_of(self.alice, self.bob) or {}).get("presence") == "online")
        self.assertTrue(seen, self.status_of(self.alice, self.bob))
        # carol shares no room with alice: hs2 has nothing of alice for her (M_FORBIDDEN).
        status, body = self.carol.call("GET", f"/presence/{quote(self.alice.user_id)}/status")
        self.assertEqual(status, 403, body)


if __name__ == "__main__":
    unittest.main()
