"""End-to-end: pushers, delivery to a push gateway, /notifications and push-rule path errors
(client-server-api "Push Notifications", push-gateway-api). A fake gateway listens on loopback;
the server is told it may reach it (push.allow_http_gateways, push.gateway_ip_allowlist)."""
import asyncio
import http.server
import json
import queue
import threading
import time
import unittest

import nio

import harness

V3 = "/_matrix/client/v3"
q = harness.quote
NOTIFY = "/_matrix/push/v1/notify"


class Gateway:
    """A push gateway on loopback that records every push; `answers` maps a pushkey to the
    JSON it answers with, `delay` holds every answer back that many seconds."""

    def __init__(self):
        self.pushes = queue.Queue()
        self.answers = {}
        self.delay = 0.0
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.pushes.put((self.path, body))
                time.sleep(gateway.delay)
                pushkey = body["notification"]["devices"][0]["pushkey"]
                answer = json.dumps(gateway.answers.get(pushkey, {})).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{NOTIFY}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout=10, event=True):
        """The next push (about an event, or a badge update when event is False)."""
        deadline = time.monotonic() + timeout
        while True:
            path, body = self.pushes.get(timeout=max(0.01, deadline - time.monotonic()))
            if ("event_id" in body["notification"]) == event:
                assert path == NOTIFY, path
                return body["notification"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def pusher(pushkey, url, **extra):
    return {"kind": "http", "app_id": "org.example.app", "pushkey": pushkey, "app_display_name": "Example",
            "device_display_name": "Phone", "lang": "en", "data": {"url": url, "custom": "kept"}, **extra}


class PushTest(unittest.TestCase):
    event_id_only = "true"

    def setUp(self):
        self.gateway = Gateway()
        self.server = harness.Server(extra={"allow_http_gateways": "true", "gateway_ip_allowlist": '"127.0.0.1"',
                                            "event_id_only": self.event_id_only}).start()
        token = self.server.registration_token()
        self.alice = harness.User(self.server, "alice", token)
        self.bob = harness.User(self.server, "bob", token)
        self.room = self.alice.ok("POST", "/createRoom", {"invite": [self.bob.user_id], "name": "Lunch"})["room_id"]
        self.bob.ok("POST", f"/rooms/{q(self.room)}/join", {})
        self.bob.ok("PUT", f"/profile/{q(self.bob.user_id)}/displayname", {"displayname": "Bob the sender"})

    def tearDown(self):
        self.server.stop()
        self.gateway.close()

    def say(self, user, text, txn):
        return user.ok("PUT", f"/rooms/{q(self.room)}/send/m.room.message/{txn}",
                       {"msgtype": "m.text", "body": text})["event_id"]


class EventIdOnlyByDefault(PushTest):
    def test_a_push_names_only_the_event_and_room(self):
        self.alice.ok("POST", "/pushers/set", pusher("key-a", self.gateway.url))
        event_id = self.say(self.bob, "the secret plans", "m1")
        notification = self.gateway.next()
        self.assertEqual(set(notification), {"event_id", "room_id", "counts", "devices", "prio"})
        self.assertEqual((notification["event_id"], notification["room_id"]), (event_id, self.room))
        self.assertEqual(notification["counts"]["unread"], 1)
        device = notification["devices"][0]
        self.assertEqual((device["app_id"], device["pushkey"]), ("org.example.app", "key-a"))
        self.assertEqual(device["data"], {"custom": "kept"})  # without the url
        self.assertIsInstance(device["pushkey_ts"], int)
        self.assertIn("tweaks", device)
        text = json.dumps(notification)
        for secret in ("secret", "Bob the sender", "Lunch", self.bob.user_id):
            self.assertNotIn(secret, text)
        # The read receipt clears the badge.
        self.alice.ok("POST", f"/rooms/{q(self.room)}/receipt/m.read/{q(event_id)}", {})
        self.assertEqual(self.gateway.next(event=False)["counts"], {"unread": 0})

    def test_a_rejected_pushkey_removes_the_pusher(self):
        self.alice.ok("POST", "/pushers/set", pusher("key-1", self.gateway.url))
        self.alice.ok("POST", "/pushers/set", pusher("key-2", self.gateway.url))
        self.gateway.answers["key-1"] = {"rejected": ["key-1"]}
        self.say(self.bob, "hello", "m1")
        keys = {self.gateway.next()["devices"][0]["pushkey"] for _ in range(2)}
        self.assertEqual(keys, {"key-1", "key-2"})
        harness.wait_until(lambda: [p["pushkey"] for p in self.alice.ok("GET", "/pushers")["pushers"]] == ["key-2"])

    def test_a_slow_gateway_does_not_hold_sends_back(self):
        self.alice.ok("POST", "/pushers/set", pusher("key-a", self.gateway.url))
        self.gateway.delay = 3
        started = time.monotonic()
        for i in range(5):
            self.say(self.bob, f"message {i}", f"s{i}")
        self.assertLess(time.monotonic() - started, 2.5)
        self.gateway.delay = 0
        self.gateway.next()  # the first, answered late; the others follow in order
        for _ in range(4):
            self.gateway.next(timeout=15)

    def test_a_room_muted_through_matrix_nio_is_not_pushed_but_a_mention_is(self):
        async def mute():
            client = nio.AsyncClient(self.server.url, self.alice.user_id, device_id=self.alice.device)
            client.access_token = self.alice.token
            try:
                response = await client.set_pushrule("global", nio.PushRuleKind.room, self.room,
                                                     actions=[nio.PushDontNotify()])
                self.assertIsInstance(response, nio.SetPushRuleResponse, response)
            finally:
                await client.close()

        self.alice.ok("POST", "/pushers/set", pusher("key-a", self.gateway.url))
        asyncio.run(mute())
        self.say(self.bob, "not pushed", "m1")
        mention = self.bob.ok("PUT", f"/rooms/{q(self.room)}/send/m.room.message/m2", {
            "msgtype": "m.text", "body": "alice!", "m.mentions": {"user_ids": [self.alice.user_id]}})["event_id"]
        notification = self.gateway.next()
        self.assertEqual(notification["event_id"], mention)
        self.assertEqual(notification["devices"][0]["tweaks"].get("highlight"), True)

    def test_pushers_are_listed_appended_and_deleted(self):
        self.assertEqual(self.alice.ok("GET", "/pushers"), {"pushers": []})
        self.alice.ok("POST", "/pushers/set", pusher("shared", self.gateway.url, profile_tag="tag"))
        listed = self.alice.ok("GET", "/pushers")["pushers"]
        self.assertEqual(len(listed), 1)
        self.assertEqual({k: listed[0][k] for k in ("pushkey", "kind", "app_id", "profile_tag", "lang")},
                         {"pushkey": "shared", "kind": "http", "app_id": "org.example.app", "profile_tag": "tag",
                          "lang": "en"})
        self.assertEqual(listed[0]["data"]["url"], self.gateway.url)
        # Bob appends the same pushkey: both keep it; without append Bob takes it over.
        self.bob.ok("POST", "/pushers/set", pusher("shared", self.gateway.url, append=True))
        self.assertEqual(len(self.alice.ok("GET", "/pushers")["pushers"]), 1)
        self.bob.ok("POST", "/pushers/set", pusher("shared", self.gateway.url))
        self.assertEqual(self.alice.ok("GET", "/pushers")["pushers"], [])
        self.assertEqual(len(self.bob.ok("GET", "/pushers")["pushers"]), 1)
        self.bob.ok("POST", "/pushers/set", {"kind": None, "app_id": "org.example.app", "pushkey": "shared"})
        self.assertEqual(self.bob.ok("GET", "/pushers")["pushers"], [])

    def test_invalid_pushers_are_refused(self):
        body = pusher("k", self.gateway.url)
        del body["lang"]
        for bad, errcode in ((body, "M_MISSING_PARAM"),
                             (pusher("k", "http://127.0.0.1:1/elsewhere"), "M_INVALID_PARAM"),
                             (pusher("k", "not a url"), "M_INVALID_PARAM"),
                             ({**pusher("k", self.gateway.url), "kind": "email"}, "M_INVALID_PARAM"),
                             ({**pusher("k", self.gateway.url), "app_id": "a" * 65}, "M_INVALID_PARAM")):
            status, answer = self.alice.call("POST", "/pushers/set", bad)
            self.assertEqual((status, answer["errcode"]), (400, errcode), bad)

    def test_a_logged_out_device_loses_its_pushers(self):
        self.alice.ok("POST", "/pushers/set", pusher("key-a", self.gateway.url))
        self.alice.ok("POST", "/logout", {})
        status, body = harness.request(self.server.url, "POST", V3 + "/login", {
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": "alice"},
            "password": self.alice.password})
        self.assertEqual(status, 200, body)
        self.alice.token = body["access_token"]
        self.assertEqual(self.alice.ok("GET", "/pushers")["pushers"], [])

    def test_notifications_list_what_the_rules_notify(self):
        first = self.say(self.bob, "one", "n1")
        second = self.say(self.bob, "two", "n2")
        self.say(self.alice, "mine", "n3")  # one's own messages never notify
        body = self.alice.ok("GET", "/notifications")
        ids = [n["event"]["event_id"] for n in body["notifications"]]
        self.assertEqual(ids, [second, first])
        notification = body["notifications"][0]
        self.assertEqual(notification["room_id"], self.room)
        self.assertIn("notify", notification["actions"])
        self.assertFalse(notification["read"])
        self.assertIsInstance(notification["ts"], int)
        self.assertNotIn("next_token", body)
        page = self.alice.ok("GET", "/notifications?limit=1")
        self.assertEqual([n["event"]["event_id"] for n in page["notifications"]], [second])
        rest = self.alice.ok("GET", "/notifications?limit=1&from=" + page["next_token"])
        self.assertEqual([n["event"]["event_id"] for n in rest["notifications"]], [first])
        self.alice.ok("POST", f"/rooms/{q(self.room)}/receipt/m.read/{q(first)}", {})
        read = {n["event"]["event_id"]: n["read"] for n in self.alice.ok("GET", "/notifications")["notifications"]}
        self.assertEqual(read, {first: True, second: False})
        self.assertEqual(self.alice.ok("GET", "/notifications?only=highlight")["notifications"], [])
        mention = self.bob.ok("PUT", f"/rooms/{q(self.room)}/send/m.room.message/n4", {
            "msgtype": "m.text", "body": "hey alice", "m.mentions": {"user_ids": [self.alice.user_id]}})["event_id"]
        highlights = self.alice.ok("GET", "/notifications?only=highlight")["notifications"]
        self.assertEqual([n["event"]["event_id"] for n in highlights], [mention])
        self.assertEqual(self.alice.call("GET", "/notifications?from=x")[0], 400)

    def test_push_rule_paths_that_name_no_rule_are_400(self):
        for method, path in (("GET", "/pushrules"), ("GET", "/pushrules/global"), ("GET", "/pushrules/global/room"),
                             ("PUT", "/pushrules/"), ("PUT", "/pushrules/global/room/"),
                             ("GET", "/pushrules/global/override/.m.rule.master/not_an_attr")):
            status, body = self.alice.call(method, path, {} if method == "PUT" else None)
            self.assertEqual((status, body["errcode"]), (400, "M_UNRECOGNIZED"), path)
        status, body = self.alice.call("GET", "/pushrules/not_a_scope/")
        self.assertEqual((status, body["errcode"]), (400, "M_UNKNOWN"))
        status, body = self.alice.call("GET", "/pushrules/global/override/not_a_rule")
        self.assertEqual((status, body["errcode"]), (404, "M_NOT_FOUND"))


class FullFormWhenSwitchedOff(PushTest):
    event_id_only = "false"

    def test_the_full_form_carries_the_event(self):
        self.alice.ok("POST", "/pushers/set", pusher("key-a", self.gateway.url))
        event_id = self.say(self.bob, "the plans", "m1")
        notification = self.gateway.next()
        self.assertEqual(notification["event_id"], event_id)
        self.assertEqual(notification["type"], "m.room.message")
        self.assertEqual(notification["sender"], self.bob.user_id)
        self.assertEqual(notification["sender_display_name"], "Bob the sender")
        self.assertEqual(notification["room_name"], "Lunch")
        self.assertEqual(notification["content"], {"msgtype": "m.text", "body": "the plans"})
        self.assertEqual(notification["counts"], {"unread": 1})

    def test_a_pusher_may_still_ask_for_event_id_only(self):
        body = pusher("key-a", self.gateway.url)
        body["data"]["format"] = "event_id_only"
        self.alice.ok("POST", "/pushers/set", body)
        self.say(self.bob, "the plans", "m1")
        self.assertNotIn("content", self.gateway.next())

    def test_invites_are_pushed_to_the_invitee(self):
        carol = harness.User(self.server, "carol", self.server.registration_token())
        carol.ok("POST", "/pushers/set", pusher("key-c", self.gateway.url))
        self.alice.ok("POST", f"/rooms/{q(self.room)}/invite", {"user_id": carol.user_id})
        notification = self.gateway.next()
        self.assertEqual((notification["type"], notification["membership"]), ("m.room.member", "invite"))
        self.assertTrue(notification["user_is_target"])


if __name__ == "__main__":
    unittest.main()
