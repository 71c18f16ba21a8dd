"""End-to-end: server-side search (client-server-api "Server Side Search"), jump to date
(GET /rooms/{roomId}/timestamp_to_event) and OpenID tokens (client-server-api "OpenID" and the
federation API's /openid/userinfo), through the real binary."""
import itertools
import time
import unittest

import harness
from harness import quote

V1 = "/_matrix/client/v1"


class Search(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        cls.alice = harness.User(cls.server, "alice", cls.server.registration_token())
        cls.bob = harness.User(cls.server, "bob", cls.server.registration_token())
        cls.carol = harness.User(cls.server, "carol", cls.server.registration_token())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    txn = itertools.count()

    def room(self, *members, preset="public_chat"):
        room = self.alice.ok("POST", "/createRoom", {"preset": preset})["room_id"]
        for member in members:
            member.ok("POST", f"/rooms/{quote(room)}/join", {})
        return room

    def send(self, user, room, body):
        return user.ok("PUT", f"/rooms/{quote(room)}/send/m.room.message/t{next(self.txn)}",
                       {"msgtype": "m.text", "body": body})["event_id"]

    def search(self, user, term, expect=200, next_batch=None, **criteria):
        path = "/search" + (f"?next_batch={quote(next_batch)}" if next_batch else "")
        status, body = user.call("POST", path, {"search_categories": {"room_events": {"search_term": term,
                                                                                       **criteria}}})
        self.assertEqual(status, expect, body)
        return body["search_categories"]["room_events"] if status == 200 else body

    @staticmethod
    def ids(found):
        return [result["result"]["event_id"] for result in found["results"]]

    def test_rank_and_recent_order(self):
        room = self.room()
        once = self.send(self.alice, room, "a long message that mentions quince once among many other words")
        thrice = self.send(self.alice, room, "quince quince quince")
        newest = self.send(self.alice, room, "Quinces!")
        ranked = self.search(self.alice, "quince", filter={"rooms": [room]})
        self.assertEqual(self.ids(ranked)[0], thrice)
        self.assertEqual(set(self.ids(ranked)), {once, thrice, newest})
        ranks = [result["rank"] for result in ranked["results"]]
        self.assertEqual(ranks, sorted(ranks, reverse=True))
        self.assertEqual(ranked["count"], 3)
        self.assertEqual(ranked["highlights"], ["quince"])
        recent = self.search(self.alice, "quince", order_by="recent", filter={"rooms": [room]})
        self.assertEqual(self.ids(recent), [newest, thrice, once])
        self.assertEqual(recent["results"][0]["result"]["content"]["body"], "Quinces!")

    def test_paging_with_next_batch_in_both_orders(self):
        for order in ("rank", "recent"):
            room = self.room()
            sent = [self.send(self.alice, room, f"fig number {i}" + " fig" * (i % 3)) for i in range(7)]
            seen, token = [], None
            for _ in range(10):
                page = self.search(self.alice, "fig", next_batch=token, order_by=order,
                                   filter={"rooms": [room], "limit": 3})
                self.assertLessEqual(len(page["results"]), 3)
                seen += self.ids(page)
                self.send(self.alice, room, "a later fig stays out of this search")
                token = page.get("next_batch")
                if not token:
                    break
            self.assertEqual(sorted(seen), sorted(sent), order)
        # A token of one order is refused by a request of the other.
        first = self.search(self.alice, "fig", order_by="recent", filter={"rooms": [room], "limit": 1})
        status = self.search(self.alice, "fig", expect=400, next_batch=first["next_batch"], order_by="rank")
        self.assertEqual(status["errcode"], "M_INVALID_PARAM")

    def test_an_ignored_users_messages_are_not_found_nor_in_the_context(self):
        room = self.room(self.bob, self.carol)
        before = self.send(self.alice, room, "tamarind before")
        self.send(self.carol, room, "tamarind from carol")
        after = self.send(self.alice, room, "tamarind after")
        bob_id = self.bob.user_id
        self.bob.ok("PUT", f"/user/{quote(bob_id)}/account_data/m.ignored_user_list",
                    {"ignored_users": {self.carol.user_id: {}}})
        found = self.search(self.bob, "tamarind", order_by="recent", filter={"rooms": [room]},
                            event_context={"before_limit": 1, "after_limit": 1})
        self.assertEqual(self.ids(found), [after, before])
        self.assertEqual([e["event_id"] for e in found["results"][0]["context"]["events_before"]], [before])
        self.assertEqual([e["event_id"] for e in found["results"][1]["context"]["events_after"]], [after])
        # Carol is ignored by Bob only.
        self.assertEqual(len(self.search(self.alice, "tamarind", filter={"rooms": [room]})["results"]), 3)

    def test_event_context_and_profiles(self):
        room = self.room(self.bob)
        self.bob.ok("PUT", f"/profile/{quote(self.bob.user_id)}/displayname", {"displayname": "Bobby"})
        before = self.send(self.alice, room, "just before")
        hit = self.send(self.bob, room, "the lychee is here")
        after = self.send(self.alice, room, "just after")
        found = self.search(self.alice, "lychee", filter={"rooms": [room]},
                            event_context={"before_limit": 1, "after_limit": 1, "include_profile": True})
        context = found["results"][0]["context"]
        self.assertEqual(found["results"][0]["result"]["event_id"], hit)
        self.assertEqual([e["event_id"] for e in context["events_before"]], [before])
        self.assertEqual([e["event_id"] for e in context["events_after"]], [after])
        self.assertEqual(context["profile_info"][self.bob.user_id]["displayname"], "Bobby")
        # The context's tokens page on with /messages.
        page = self.alice.ok("GET", f"/rooms/{quote(room)}/messages?dir=f&limit=5&from={context['end']}")
        self.assertEqual(page["chunk"], [])
        page = self.alice.ok("GET", f"/rooms/{quote(room)}/messages?dir=b&limit=1&from={context['start']}")
        self.assertNotIn(before, [e["event_id"] for e in page["chunk"]])

    def test_groupings_state_and_filters(self):
        first, second = self.room(self.bob), self.room(self.bob)
        a1 = self.send(self.alice, first, "mango one")
        b1 = self.send(self.bob, first, "mango two")
        a2 = self.send(self.alice, second, "mango three")
        found = self.search(self.alice, "mango", order_by="recent", include_state=True,
                            filter={"rooms": [first, second]},
                            groupings={"group_by": [{"key": "room_id"}, {"key": "sender"}]})
        groups = found["groups"]
        self.assertEqual(groups["room_id"][first]["results"], [b1, a1])
        self.assertEqual(groups["room_id"][second]["results"], [a2])
        self.assertEqual(groups["sender"][self.alice.user_id]["results"], [a2, a1])
        self.assertEqual(groups["sender"][self.bob.user_id]["results"], [b1])
        self.assertEqual(sorted(group["order"] for group in groups["room_id"].values()), [1, 2])
        self.assertEqual(set(found["state"]), {first, second})
        self.assertIn("m.room.create", [e["type"] for e in found["state"][first]])
        only_bob = self.search(self.alice, "mango", filter={"rooms": [first, second], "senders": [self.bob.user_id]})
        self.assertEqual(self.ids(only_bob), [b1])
        not_first = self.search(self.alice, "mango", filter={"rooms": [first, second], "not_rooms": [first]})
        self.assertEqual(self.ids(not_first), [a2])
        names = self.search(self.alice, "mango", keys=["content.name"], filter={"rooms": [first, second]})
        self.assertEqual(names["results"], [])

    def test_names_and_topics(self):
        room = self.room()
        self.alice.ok("PUT", f"/rooms/{quote(room)}/state/m.room.name", {"name": "Tamarind club"})
        self.alice.ok("PUT", f"/rooms/{quote(room)}/state/m.room.topic", {"topic": "All about tamarinds"})
        found = self.search(self.alice, "tamarind", filter={"rooms": [room]}, order_by="recent")
        self.assertEqual([r["result"]["type"] for r in found["results"]], ["m.room.topic", "m.room.name"])
        topic_only = self.search(self.alice, "tamarind", filter={"rooms": [room]}, keys=["content.topic"])
        self.assertEqual([r["result"]["type"] for r in topic_only["results"]], ["m.room.topic"])

    def test_only_what_the_searcher_may_see(self):
        """Found in a room the caller is in; not in one they left before it was said, nor what
        was said after they left, nor in rooms they were never in."""
        stayed = self.room(self.carol)
        left = self.room(self.carol)
        earlier = self.send(self.alice, left, "papaya before carol left")
        said_in_stayed = self.send(self.alice, stayed, "papaya where carol stays")
        self.carol.ok("POST", f"/rooms/{quote(left)}/leave", {})
        self.send(self.alice, left, "papaya after carol left")
        left_early = self.room(self.carol)
        self.carol.ok("POST", f"/rooms/{quote(left_early)}/leave", {})
        self.send(self.alice, left_early, "papaya in a room carol had left")
        never = self.room()
        self.send(self.alice, never, "papaya nobody shows carol")
        found = self.search(self.carol, "papaya", order_by="recent")
        self.assertEqual(self.ids(found), [said_in_stayed, earlier])
        self.assertEqual(found["count"], 2)
        self.assertEqual(len(self.search(self.alice, "papaya")["results"]), 5)

    def test_redacted_event_is_no_longer_found(self):
        room = self.room()
        gone = self.send(self.alice, room, "durian secret")
        kept = self.send(self.alice, room, "durian kept")
        self.alice.ok("PUT", f"/rooms/{quote(room)}/redact/{quote(gone)}/r{next(self.txn)}", {})
        self.assertEqual(self.ids(self.search(self.alice, "durian", filter={"rooms": [room]})), [kept])
        self.assertEqual(self.search(self.alice, "secret", filter={"rooms": [room]})["results"], [])

    def test_encrypted_rooms_are_not_searched(self):
        room = self.room()
        self.alice.ok("PUT", f"/rooms/{quote(room)}/state/m.room.encryption", {"algorithm": "m.megolm.v1.aes-sha2"})
        self.send(self.alice, room, "plaintext guava in an encrypted room")
        self.assertEqual(self.search(self.alice, "guava", filter={"rooms": [room]})["results"], [])

    def test_bad_requests(self):
        for body, errcode in [
            ({}, "M_MISSING_PARAM"),
            ({"search_categories": {"room_events": {}}}, "M_MISSING_PARAM"),
            ({"search_categories": {"room_events": {"search_term": 5}}}, "M_BAD_JSON"),
            ({"search_categories": {"room_events": {"search_term": "x" * 1001}}}, "M_INVALID_PARAM"),
            ({"search_categories": {"room_events": {"search_term": "x", "order_by": "best"}}}, "M_INVALID_PARAM"),
            ({"search_categories": {"room_events": {"search_term": "x", "keys": ["content.url"]}}},
             "M_INVALID_PARAM"),
            ({"search_categories": {"room_events": {"search_term": "x", "filter": []}}}, "M_BAD_JSON"),
        ]:
            status, answer = self.alice.call("POST", "/search", body)
            self.assertEqual((status, answer["errcode"]), (400, errcode), body)
        status, answer = self.alice.call("POST", "/search?next_batch=garbage",
                                         {"search_categories": {"room_events": {"search_term": "x"}}})
        self.assertEqual((status, answer["errcode"]), (400, "M_INVALID_PARAM"))
        status, answer = self.alice.call("POST", "/search", raw=b"{not json")
        self.assertEqual((status, answer["errcode"]), (400, "M_NOT_JSON"))
        status, answer = harness.request(self.server.url, "POST", "/_matrix/client/v3/search",
                                         {"search_categories": {}})
        self.assertEqual(status, 401)
        self.assertEqual(self.alice.ok("POST", "/search", {"search_categories": {}}), {"search_categories": {}})
        # Only punctuation: nothing to look for, nothing found.
        self.assertEqual(self.search(self.alice, "*!?")["results"], [])


class JumpToDate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        cls.alice = harness.User(cls.server, "alice", cls.server.registration_token())
        cls.bob = harness.User(cls.server, "bob", cls.server.registration_token())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def at(self, user, room, ts, direction):
        return user.call("GET", f"/rooms/{quote(room)}/timestamp_to_event?ts={ts}&dir={direction}", prefix=V1)

    def test_both_directions_and_edges(self):
        room = self.alice.ok("POST", "/createRoom", {"preset": "private_chat"})["room_id"]
        events = []
        for i in range(3):
            event_id = self.alice.ok("PUT", f"/rooms/{quote(room)}/send/m.room.message/j{i}",
                                     {"msgtype": "m.text", "body": f"m{i}"})["event_id"]
            event = self.alice.ok("GET", f"/rooms/{quote(room)}/event/{quote(event_id)}")
            events.append((event_id, event["origin_server_ts"]))
            time.sleep(0.01)
        (first, t1), (second, t2), (last, t3) = events
        status, body = self.at(self.alice, room, t2, "f")
        self.assertEqual((status, body["event_id"], body["origin_server_ts"]), (200, second, t2))
        self.assertEqual(self.at(self.alice, room, t2 - 1, "f")[1]["event_id"], second)
        self.assertEqual(self.at(self.alice, room, t2 + 1, "b")[1]["event_id"], second)
        self.assertEqual(self.at(self.alice, room, t3 + 10**6, "b")[1]["event_id"], last)
        status, body = self.at(self.alice, room, t3 + 10**6, "f")
        self.assertEqual((status, body["errcode"]), (404, "M_NOT_FOUND"))
        status, body = self.at(self.alice, room, 0, "b")
        self.assertEqual((status, body["errcode"]), (404, "M_NOT_FOUND"))
        # The room's first event is its creation.
        status, body = self.at(self.alice, room, 0, "f")
        self.assertEqual(self.alice.ok("GET", f"/rooms/{quote(room)}/event/{quote(body['event_id'])}")["type"],
                         "m.room.create")
        # Someone who may read none of the room learns nothing of it.
        status, body = self.at(self.bob, room, 0, "f")
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))
        for query, errcode in [("ts=1&dir=x", "M_INVALID_PARAM"), ("ts=1", "M_INVALID_PARAM"),
                               ("dir=f", "M_MISSING_PARAM"), ("ts=soon&dir=f", "M_INVALID_PARAM")]:
            status, body = self.alice.call("GET", f"/rooms/{quote(room)}/timestamp_to_event?{query}", prefix=V1)
            self.assertEqual((status, body["errcode"]), (400, errcode), query)
        status, body = self.alice.call("GET", f"/rooms/{quote('!nope:localhost')}/timestamp_to_event?ts=1&dir=f",
                                       prefix=V1)
        self.assertEqual(status, 403)

    def test_joined_history_hides_what_came_before(self):
        room = self.alice.ok("POST", "/createRoom", {"preset": "public_chat"})["room_id"]
        self.alice.ok("PUT", f"/rooms/{quote(room)}/state/m.room.history_visibility", {"history_visibility": "joined"})
        time.sleep(0.01)  # each event in a millisecond of its own
        hidden = self.alice.ok("PUT", f"/rooms/{quote(room)}/send/m.room.message/h1",
                               {"msgtype": "m.text", "body": "before bob"})["event_id"]
        hidden_ts = self.alice.ok("GET", f"/rooms/{quote(room)}/event/{quote(hidden)}")["origin_server_ts"]
        time.sleep(0.01)
        self.bob.ok("POST", f"/rooms/{quote(room)}/join", {})
        status, body = self.at(self.bob, room, hidden_ts, "f")
        self.assertEqual(status, 200)
        self.assertNotEqual(body["event_id"], hidden)
        event = self.bob.ok("GET", f"/rooms/{quote(room)}/event/{quote(body['event_id'])}")
        self.assertEqual((event["type"], event["state_key"]), ("m.room.member", self.bob.user_id))


class OpenId(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        cls.alice = harness.User(cls.server, "alice", cls.server.registration_token())
        cls.bob = harness.User(cls.server, "bob", cls.server.registration_token())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def userinfo(self, query):
        return harness.request(self.server.url, "GET", "/_matrix/federation/v1/openid/userinfo" + query)

    def test_token_round_trip(self):
        token = self.alice.ok("POST", f"/user/{quote(self.alice.user_id)}/openid/request_token", {})
        self.assertEqual(token["token_type"], "Bearer")
        self.assertEqual(token["expires_in"], 3600)
        self.assertEqual(token["matrix_server_name"], self.alice.user_id.split(":", 1)[1])
        status, body = self.userinfo("?access_token=" + quote(token["access_token"]))
        self.assertEqual((status, body), (200, {"sub": self.alice.user_id}))
        # The OpenID token is good for nothing else ...
        status, body = harness.request(self.server.url, "GET", "/_matrix/client/v3/account/whoami",
                                       token=token["access_token"])
        self.assertEqual((status, body["errcode"]), (401, "M_UNKNOWN_TOKEN"))
        # ... and an access token is no OpenID token.
        status, body = self.userinfo("?access_token=" + quote(self.alice.token))
        self.assertEqual((status, body["errcode"]), (401, "M_UNKNOWN_TOKEN"))

    def test_refusals(self):
        status, body = self.alice.call("POST", f"/user/{quote(self.bob.user_id)}/openid/request_token", {})
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))
        status, body = harness.request(self.server.url, "POST",
                                       f"/_matrix/client/v3/user/{quote(self.alice.user_id)}/openid/request_token", {})
        self.assertEqual(status, 401)
        for query in ("?access_token=unknown", "?access_token=", ""):
            status, body = self.userinfo(query)
            self.assertEqual((status, body["errcode"]), (401, "M_UNKNOWN_TOKEN"), query)


if __name__ == "__main__":
    unittest.main()
