"""End-to-end: relations between events (client-server-api "Relationships API", "Threading",
"Aggregations of child events", "Threaded read receipts"), request by request: /relations
pagination both ways, recurse, rel_type and event_type filters, a redacted relation dropping
out, who may list a parent's children, /threads, and per-thread unread counts cleared by
threaded receipts."""
import itertools
import json
import unittest
import urllib.parse

import harness

V1 = "/_matrix/client/v1"
V3 = "/_matrix/client/v3"
q = harness.quote


class Relations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        cls.alice, cls.bob, cls.carol = (harness.User(cls.server, name, cls.server.registration_token())
                                         for name in ("alice", "bob", "carol"))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    txn = itertools.count()

    def send(self, who, room, content, event_type="m.room.message", expect=200):
        status, body = who.call("PUT", f"/rooms/{q(room)}/send/{event_type}/t{next(self.txn)}", content)
        self.assertEqual(status, expect, body)
        return body.get("event_id") if expect == 200 else body

    def message(self, who, room, text, rel_type=None, parent=None):
        content = {"msgtype": "m.text", "body": text}
        if rel_type:
            content["m.relates_to"] = {"rel_type": rel_type, "event_id": parent}
        return self.send(who, room, content)

    def room(self, visibility="shared"):
        room = self.alice.ok("POST", "/createRoom", {"preset": "public_chat"})["room_id"]
        self.alice.ok("PUT", f"/rooms/{q(room)}/state/m.room.history_visibility", {"history_visibility": visibility})
        return room

    def join(self, who, room):
        who.ok("POST", f"/rooms/{q(room)}/join", {})

    def relations(self, who, room, parent, *rest, expect=200, **params):
        path = f"/rooms/{q(room)}/relations/{q(parent)}" + "".join("/" + q(part) for part in rest)
        if params:
            path += "?" + urllib.parse.urlencode(params)
        status, body = who.call("GET", path, prefix=V1)
        self.assertEqual(status, expect, body)
        return body

    def page_all(self, who, room, parent, **params):
        ids, pages, token = [], 0, None
        while True:
            extra = dict(params, **({"from": token} if token else {}))
            body = self.relations(who, room, parent, **extra)
            ids += [event["event_id"] for event in body["chunk"]]
            pages += 1
            token = body.get("next_batch")
            if not token:
                return ids, pages

    def test_pagination_both_ways_and_filters(self):
        room = self.room()
        self.join(self.bob, room)
        root = self.message(self.alice, room, "root")
        replies = [self.message(self.bob, room, f"reply {i}", "m.thread", root) for i in range(5)]
        like = self.send(self.bob, room, {"m.relates_to": {"rel_type": "m.annotation", "event_id": root, "key": "+1"}},
                         "m.reaction")
        children = replies + [like]

        backwards, pages = self.page_all(self.bob, room, root, limit=2)
        self.assertEqual(backwards, children[::-1])
        self.assertEqual(pages, 3)
        forwards, _ = self.page_all(self.bob, room, root, limit=2, dir="f")
        self.assertEqual(forwards, children)
        # A page's next_batch continues; its prev_batch is where it started.
        first = self.relations(self.bob, room, root, limit=2)
        second = self.relations(self.bob, room, root, limit=2, **{"from": first["next_batch"]})
        self.assertEqual(second["prev_batch"], first["next_batch"])
        self.assertEqual([e["event_id"] for e in second["chunk"]], children[::-1][2:4])
        # `to` stops the page; a /messages token works as `from`.
        until = self.relations(self.bob, room, root, **{"from": first["next_batch"], "to": second["next_batch"]})
        self.assertEqual([e["event_id"] for e in until["chunk"]], children[::-1][2:4])
        start = self.bob.ok("GET", f"/rooms/{q(room)}/messages?dir=b&limit=1")["start"]
        self.assertEqual(len(self.relations(self.bob, room, root, **{"from": start})["chunk"]), 6)

        threads = self.relations(self.bob, room, root, "m.thread")
        self.assertEqual([e["event_id"] for e in threads["chunk"]], replies[::-1])
        self.assertEqual([e["event_id"] for e in self.relations(self.bob, room, root, "m.annotation", "m.reaction")["chunk"]],
                         [like])
        self.assertEqual(self.relations(self.bob, room, root, "m.thread", "m.reaction")["chunk"], [])
        self.assertNotIn("recursion_depth", threads)
        # Bad parameters.
        self.relations(self.bob, room, root, dir="x", expect=400)
        self.relations(self.bob, room, root, recurse="yes", expect=400)
        self.relations(self.bob, room, root, **{"from": "nonsense"}, expect=400)

    def test_recurse_follows_relations_of_relations(self):
        room = self.room()
        root = self.message(self.alice, room, "root")
        reply = self.message(self.alice, room, "reply", "m.thread", root)
        edit = self.send(self.alice, room, {"msgtype": "m.text", "body": "* fixed", "m.new_content": {
            "msgtype": "m.text", "body": "fixed"}, "m.relates_to": {"rel_type": "m.replace", "event_id": reply}})
        flat = self.relations(self.alice, room, root, recurse="false")
        self.assertEqual([e["event_id"] for e in flat["chunk"]], [reply])
        self.assertEqual(flat["recursion_depth"], 1)
        deep = self.relations(self.alice, room, root, recurse="true")
        self.assertEqual([e["event_id"] for e in deep["chunk"]], [edit, reply])
        self.assertGreaterEqual(deep["recursion_depth"], 3)
        # The filter applies to every level: the edit is reached only through a thread reply.
        self.assertEqual(self.relations(self.alice, room, root, "m.replace", recurse="true")["chunk"], [])
        # The reply comes with its edit bundled.
        bundled = flat["chunk"][0]["unsigned"]["m.relations"]["m.replace"]
        self.assertEqual(bundled["event_id"], edit)

    def test_a_redacted_relation_drops_out(self):
        room = self.room()
        root = self.message(self.alice, room, "root")
        keep = self.message(self.alice, room, "keep", "m.thread", root)
        gone = self.message(self.alice, room, "gone", "m.thread", root)
        self.alice.ok("PUT", f"/rooms/{q(room)}/redact/{q(gone)}/r{next(self.txn)}", {})
        self.assertEqual([e["event_id"] for e in self.relations(self.alice, room, root)["chunk"]], [keep])
        summary = self.alice.ok("GET", f"/rooms/{q(room)}/event/{q(root)}")["unsigned"]["m.relations"]["m.thread"]
        self.assertEqual(summary["count"], 1)
        self.assertEqual(summary["latest_event"]["event_id"], keep)

    def test_who_may_list_children(self):
        room = self.room("joined")
        root = self.message(self.alice, room, "before carol")
        self.message(self.alice, room, "reply", "m.thread", root)
        # Not in the room: the room is not readable at all.
        status, body = self.carol.call("GET", f"/rooms/{q(room)}/relations/{q(root)}", prefix=V1)
        self.assertEqual((status, body["errcode"]), (403, "M_FORBIDDEN"))
        status, body = self.carol.call("GET", f"/rooms/{q(room)}/threads", prefix=V1)
        self.assertEqual(status, 403)
        # Joined after the parent under "joined": the parent is not visible to them.
        self.join(self.carol, room)
        body = self.relations(self.carol, room, root, expect=404)
        self.assertEqual(body["errcode"], "M_NOT_FOUND")
        self.assertEqual(self.carol.ok("GET", f"/rooms/{q(room)}/threads", prefix=V1)["chunk"], [])
        self.relations(self.carol, room, "$unknown", expect=404)

    def test_threads_list(self):
        room = self.room()
        self.join(self.bob, room)
        first = self.message(self.alice, room, "first root")
        second = self.message(self.bob, room, "second root")
        self.message(self.bob, room, "in second", "m.thread", second)
        self.message(self.bob, room, "in first", "m.thread", first)  # now the newest activity
        # No thread off an event that has a relation itself.
        reply = self.message(self.bob, room, "in first again", "m.thread", first)
        status, body = self.bob.call("PUT", f"/rooms/{q(room)}/send/m.room.message/t{next(self.txn)}",
                                     {"body": "x", "m.relates_to": {"rel_type": "m.thread", "event_id": reply}})
        self.assertEqual((status, body["errcode"]), (400, "M_UNKNOWN"))
        listed = self.alice.ok("GET", f"/rooms/{q(room)}/threads", prefix=V1)
        self.assertEqual([e["event_id"] for e in listed["chunk"]], [first, second])
        summary = listed["chunk"][0]["unsigned"]["m.relations"]["m.thread"]
        self.assertEqual((summary["count"], summary["current_user_participated"]), (2, True))
        self.assertEqual(summary["latest_event"]["event_id"], reply)
        page = self.alice.ok("GET", f"/rooms/{q(room)}/threads?limit=1", prefix=V1)
        self.assertEqual([e["event_id"] for e in page["chunk"]], [first])
        rest = self.alice.ok("GET", f"/rooms/{q(room)}/threads?limit=1&from={page['next_batch']}", prefix=V1)
        self.assertEqual([e["event_id"] for e in rest["chunk"]], [second])
        self.assertNotIn("next_batch", rest)
        mine = self.alice.ok("GET", f"/rooms/{q(room)}/threads?include=participated", prefix=V1)
        self.assertEqual([e["event_id"] for e in mine["chunk"]], [first])  # alice sent the first root only
        status, _ = self.alice.call("GET", f"/rooms/{q(room)}/threads?include=mine", prefix=V1)
        self.assertEqual(status, 400)

    def test_sync_bundles_where_the_timeline_has_a_gap(self):
        room = self.room()
        self.join(self.bob, room)
        since = self.bob.ok("GET", "/sync?timeout=0")["next_batch"]
        for i in range(3):
            self.message(self.alice, room, f"filler {i}")
        root = self.message(self.alice, room, "root")
        ref = self.send(self.alice, room, {"m.relates_to": {"rel_type": "m.reference", "event_id": root}}, "m.custom")

        def timeline(limit, after):
            flt = json.dumps({"room": {"timeline": {"limit": limit, "types": ["m.room.message"]}}})
            body = self.bob.ok("GET", "/sync?" + urllib.parse.urlencode({"since": after, "timeout": "0", "filter": flt}))
            return body["rooms"]["join"][room]["timeline"]

        gap = timeline(1, since)
        self.assertTrue(gap["limited"])
        self.assertEqual([e["event_id"] for e in gap["events"]], [root])
        self.assertEqual(gap["events"][0]["unsigned"]["m.relations"]["m.reference"], {"chunk": [{"event_id": ref}]})
        # Without a gap the client has every event since its last sync and aggregates itself.
        whole = timeline(10, since)
        self.assertFalse(whole["limited"])
        self.assertNotIn("m.relations", [e for e in whole["events"] if e["event_id"] == root][0]["unsigned"])

    def sync(self, who, thread_counts, since=None):
        timeline = {"limit": 1, "unread_thread_notifications": True} if thread_counts else {"limit": 1}
        params = {"filter": json.dumps({"room": {"timeline": timeline}}), "timeout": "0"}
        if since:
            params["since"] = since
        return who.ok("GET", "/sync?" + urllib.parse.urlencode(params))

    def counts(self, who, room, thread_counts=True):
        joined = self.sync(who, thread_counts)["rooms"]["join"][room]
        return joined["unread_notifications"]["notification_count"], {
            root: counts["notification_count"] for root, counts in joined.get("unread_thread_notifications", {}).items()}

    def test_unread_thread_notifications_and_threaded_receipts(self):
        room = self.alice.ok("POST", "/createRoom", {"preset": "private_chat", "invite": [self.bob.user_id]})["room_id"]
        self.join(self.bob, room)
        root = self.message(self.bob, room, "root")
        self.alice.ok("POST", f"/rooms/{q(room)}/receipt/m.read/{q(root)}", {})
        main = [self.message(self.bob, room, f"main {i}") for i in range(2)]
        in_thread = [self.message(self.bob, room, f"thread {i}", "m.thread", root) for i in range(3)]
        # A reaction to a thread reply is in the thread too (and does not notify by default).
        self.send(self.bob, room, {"m.relates_to": {"rel_type": "m.annotation", "event_id": in_thread[0], "key": "x"}},
                  "m.reaction")
        self.assertEqual(self.counts(self.alice, room), (2, {root: 3}))
        self.assertEqual(self.counts(self.alice, room, thread_counts=False), (5, {}))
        # A receipt in the thread clears the thread up to it, the main timeline stays.
        self.alice.ok("POST", f"/rooms/{q(room)}/receipt/m.read/{q(in_thread[1])}", {"thread_id": root})
        self.assertEqual(self.counts(self.alice, room), (2, {root: 1}))
        # A main-timeline receipt clears the main timeline only.
        self.alice.ok("POST", f"/rooms/{q(room)}/receipt/m.read.private/{q(main[1])}", {"thread_id": "main"})
        self.assertEqual(self.counts(self.alice, room), (0, {root: 1}))
        self.assertEqual(self.counts(self.alice, room, thread_counts=False), (1, {}))
        # A new thread reply counts in its thread at once.
        self.message(self.bob, room, "thread 3", "m.thread", root)
        self.assertEqual(self.counts(self.alice, room), (0, {root: 2}))
        # An unthreaded receipt reads everything up to it.
        last = self.message(self.bob, room, "main 2")
        self.alice.ok("POST", f"/rooms/{q(room)}/receipt/m.read/{q(last)}", {})
        self.assertEqual(self.counts(self.alice, room), (0, {}))


if __name__ == "__main__":
    unittest.main()
