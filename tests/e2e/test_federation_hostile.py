"""Hostile federation: a peer written here (evil.test, a TLS server on loopback with its own
ed25519 key, canonical JSON and event hashing done in Python) attacks hs1, a real myelin
server, while hs2, another real myelin server, keeps talking to hs1 in a room they share.

Every attack must be refused or contained the way the spec says (401 for a request that is not
rightly signed, a per-PDU error in the /send answer for a PDU that fails its checks, 400/413
for transactions that break the limits, a remote join that fails cleanly), hs1 must stay up
with bounded memory, and after each attack alice (hs1) and bob (hs2) still exchange messages.
Attacks that have to wait for one of myelin's timeouts run in the background meanwhile."""
import base64
import hashlib
import http.client
import json
import os
import socket
import ssl
import tempfile
import threading
import time
import unittest
import urllib.parse

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import federation
import harness

# hs1 may grow by this much over its size after setup, whatever the attacks (a send_join answer
# is read up to 64 MiB, so a little over that is what a bounded reader costs).
RSS_GROWTH_BOUND_KB = 200 * 1024


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64(data):
    return base64.b64encode(data).rstrip(b"=").decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# Room versions 11 and 12 (the only ones this suite builds events for): what redaction keeps;
# versions 1 to 10 keep three more top-level keys (enough for the invites this suite countersigns).
KEPT_TOP_LEVEL = {"event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth",
                  "prev_events", "auth_events", "origin_server_ts"}
KEPT_TOP_LEVEL_BEFORE_V11 = KEPT_TOP_LEVEL | {"origin", "membership", "prev_state"}
KEPT_CONTENT = {
    "m.room.member": {"membership", "join_authorised_via_users_server"},
    "m.room.join_rules": {"join_rule", "allow"},
    "m.room.power_levels": {"ban", "events", "events_default", "invite", "kick", "redact", "state_default", "users",
                            "users_default"},
    "m.room.history_visibility": {"history_visibility"},
    "m.room.redaction": {"redacts"},
}


def redacted(event, before_v11=False):
    kept_top = KEPT_TOP_LEVEL_BEFORE_V11 if before_v11 else KEPT_TOP_LEVEL
    out = {key: value for key, value in event.items() if key in kept_top}
    content = event.get("content", {})
    if event.get("type") == "m.room.create":
        out["content"] = dict(content)
    else:
        kept = KEPT_CONTENT.get(event.get("type"), set())
        out["content"] = {key: value for key, value in content.items() if key in kept}
    return out


def event_id(event):
    """The reference hash ID (room versions 4 and later)."""
    stripped = {key: value for key, value in redacted(event).items() if key not in ("signatures", "unsigned")}
    return "$" + b64url(hashlib.sha256(canonical(stripped)).digest())


class SigningKey:
    def __init__(self, key_id):
        self.key_id = key_id
        self.private = Ed25519PrivateKey.generate()
        self.public = b64(self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, data):
        return b64(self.private.sign(data))


def sign_json(value, server, key):
    unsigned = {k: v for k, v in value.items() if k not in ("signatures", "unsigned")}
    value.setdefault("signatures", {}).setdefault(server, {})[key.key_id] = key.sign(canonical(unsigned))
    return value


def finish_event(event, server, key, hash_content=None):
    """Hashes and signs `event` (in place) as `server`; hash_content: the content the hash is
    computed over, when it should not match. Returns the event ID."""
    event.pop("hashes", None)
    event.pop("signatures", None)
    hashed = dict(event, content=hash_content) if hash_content is not None else event
    event["hashes"] = {"sha256": b64(hashlib.sha256(canonical({k: v for k, v in hashed.items()
                                                             if k not in ("unsigned", "signatures", "hashes")})).digest())}
    signature = key.sign(canonical({k: v for k, v in redacted(event).items() if k not in ("signatures", "unsigned")}))
    event["signatures"] = {server: {key.key_id: signature}}
    return event_id(event)


def background(function):
    """Runs function() on a thread; returns a callable that waits for (and returns) its result."""
    result = {}

    def run():
        try:
            result["value"] = function()
        except Exception as error:  # handed to the waiter
            result["error"] = error
    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def wait(timeout=90):
        thread.join(timeout)
        if thread.is_alive():
            raise AssertionError("the background request never finished")
        if "error" in result:
            raise result["error"]
        return result["value"]
    return wait


class EvilPeer:
    """A federation peer on loopback: serves its key document (or misbehaves doing so), answers
    the requests myelin sends it (rooms it hosts are named after the misbehaviour:
    !sj-<mode>:<name>), and sends myelin requests signed (or not) as it likes."""

    def __init__(self, name, ca, folder, keys="ok"):
        self.name, self.keys_mode = name, keys
        self.key = SigningKey("ed25519:evil1")
        self.old_key = SigningKey("ed25519:old1")  # published as expired an hour ago
        self.stop = threading.Event()
        self.requests = []  # (method, path, body) of what myelin sent
        self.gme_mode = {}  # room ID → how get_missing_events answers
        self.gme_events = {}  # room ID → the events get_missing_events answers with
        self.event_auth_mode = "empty"  # how event_auth answers
        self.rooms = {}  # room ID → (state events, template pieces)
        self.lock = threading.Lock()
        self.release_joins = threading.Event()  # ends the slow send_join answers
        self.server = federation.PeerServer(folder, ca, name, self.handle)
        self.port = self.server.port

    def close(self):
        self.stop.set()
        self.server.close()

    # Answers.
    def reply(self, handler, status, body):
        data = body if isinstance(body, bytes) else canonical(body)
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def trickle(self, handler, release=None):
        """A 200 of chunked JSON that never ends: a byte a second until the test ends (or
        `release` is set), then hangs up."""
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            handler.wfile.write(b"1\r\n{\r\n")
            while not self.stop.wait(1.0) and not (release and release.is_set()):
                handler.wfile.write(b"1\r\n \r\n")
                handler.wfile.flush()
        except OSError:
            pass
        handler.close_connection = True

    def enormous(self, handler, prefix, size):
        """A 200 of `size` bytes, chunked (no length up front to refuse it by): `prefix` and then
        spaces (valid JSON so far), until the reader hangs up."""
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"%x\r\n" % (1 << 20) + b" " * (1 << 20) + b"\r\n"
        try:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(prefix), prefix))
            for _ in range(size >> 20):
                handler.wfile.write(chunk)
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        handler.close_connection = True

    def key_document(self):
        now = int(time.time() * 1000)
        return sign_json({"server_name": self.name, "valid_until_ts": now + 24 * 3600 * 1000,
                          "verify_keys": {self.key.key_id: {"key": self.key.public}},
                          "old_verify_keys": {self.old_key.key_id: {"key": self.old_key.public,
                                                                    "expired_ts": now - 3600 * 1000}}},
                         self.name, self.key)

    def handle(self, handler, method):
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        path = urllib.parse.urlsplit(handler.path).path
        parts = [urllib.parse.unquote(part) for part in path.split("/")]
        body = None
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            pass
        with self.lock:
            self.requests.append((method, path, body))
        if path == "/_matrix/key/v2/server":
            if self.keys_mode == "slow":
                return self.trickle(handler)
            if self.keys_mode == "garbage":
                return self.reply(handler, 200, b"\x00\xffnot a key document{{{")
            return self.reply(handler, 200, self.key_document())
        if path.startswith("/_matrix/federation/v1/send/"):
            return self.reply(handler, 200, {"pdus": {}})
        if path.startswith("/_matrix/federation/v1/make_join/"):
            return self.make_join(handler, parts[5], parts[6])
        if path.startswith("/_matrix/federation/v2/send_join/"):
            return self.send_join(handler, parts[5], body)
        if path.startswith("/_matrix/federation/v1/get_missing_events/"):
            return self.get_missing_events(handler, parts[5])
        if path.startswith("/_matrix/federation/v1/invite/"):
            # A server older than v2 invites (the v2 path is unknown here): countersigns a
            # room of version 1 or 2's invite, answering in v1's [200, {...}] form.
            stripped = {k: v for k, v in redacted(body, before_v11=True).items() if k not in ("signatures", "unsigned")}
            body.setdefault("signatures", {})[self.name] = {self.key.key_id: self.key.sign(canonical(stripped))}
            return self.reply(handler, 200, [200, {"event": body}])
        if path.startswith("/_matrix/federation/v1/event_auth/"):
            if self.event_auth_mode == "garbage":
                return self.reply(handler, 200, b'{"auth_chain": [{"type": tru')
            if self.event_auth_mode == "huge":
                return self.enormous(handler, b'{"auth_chain":[', 24 << 20)
            return self.reply(handler, 200, {"auth_chain": []})
        return self.reply(handler, 404, {"errcode": "M_UNRECOGNIZED", "error": "not here"})

    # Rooms this peer hosts (version 11): create, mallory's join, power levels, public join rules.
    def host_room(self, mode):
        room = f"!sj-{mode}:{self.name}"
        mallory = f"@mallory:{self.name}"
        now = int(time.time() * 1000)
        events, ids = [], []

        def add(kind, state_key, content, sender=mallory, auth=()):
            event = {"room_id": room, "sender": sender, "type": kind, "state_key": state_key, "content": content,
                     "depth": len(events) + 1, "prev_events": ids[-1:], "auth_events": list(auth),
                     "origin_server_ts": now}
            ids.append(finish_event(event, self.name, self.key))
            events.append(event)
            return ids[-1]
        create = add("m.room.create", "", {"room_version": "11"})
        member = add("m.room.member", mallory, {"membership": "join"}, auth=[create])
        power = add("m.room.power_levels", "", {"users": {mallory: 100}}, auth=[create, member])
        # "auth": the join rules come from a user who never joined, so they fail auth (and the
        # room is invite-only as far as a careful server knows).
        # "foreign": they claim a sender of hs2.test (not signed by hs2.test, nor a member).
        rules_sender = {"auth": f"@eve:{self.name}", "foreign": "@mallet:hs2.test"}.get(mode, mallory)
        rules = add("m.room.join_rules", "", {"join_rule": "public"}, sender=rules_sender, auth=[create, member, power])
        self.rooms[room] = (events, {"prev": [rules], "auth": [create, power, rules], "depth": len(events) + 1})
        return room

    def make_join(self, handler, room, user):
        if room not in self.rooms:
            return self.reply(handler, 404, {"errcode": "M_NOT_FOUND", "error": "no such room"})
        _, template = self.rooms[room]
        event = {"room_id": room, "sender": user, "type": "m.room.member", "state_key": user,
                 "content": {"membership": "join"}, "depth": template["depth"], "prev_events": template["prev"],
                 "auth_events": template["auth"], "origin_server_ts": int(time.time() * 1000)}
        return self.reply(handler, 200, {"room_version": "11", "event": event})

    def send_join(self, handler, room, join):
        if room not in self.rooms:
            return self.reply(handler, 404, {"errcode": "M_NOT_FOUND", "error": "no such room"})
        events, _ = self.rooms[room]
        mode = room.split(":")[0][len("!sj-"):]
        if mode == "garbage":
            return self.reply(handler, 200, b"\x89PNG\r\n\x1a\n\x00\x00garbage" * 100)
        if mode == "shape":
            return self.reply(handler, 200, {"state": "everything", "auth_chain": 42, "event": []})
        if mode == "enormous":
            return self.enormous(handler, b'{"state":[', (64 << 20) + (8 << 20))
        if mode == "slow":
            return self.trickle(handler, self.release_joins)
        return self.reply(handler, 200, {"state": events, "auth_chain": events, "event": join,
                                         "members_omitted": False, "servers_in_room": [self.name],
                                         "origin": self.name})

    def get_missing_events(self, handler, room):
        mode = self.gme_mode.get(room, "none")
        if mode == "slow":
            return self.trickle(handler)
        if mode == "garbage":
            return self.reply(handler, 200, b"]]]]not json at all")
        if mode == "huge":
            return self.enormous(handler, b'{"events":[', 16 << 20)
        return self.reply(handler, 200, {"events": self.gme_events.get(room, [])})

    # Requests to myelin.
    def join(self, server, room, user):
        """`user` (of this peer) joins `room` on `server` (make_join, v2 send_join); returns what
        later PDUs need: the room version, the create, power levels and join event IDs, the
        prev events and depth to go on from."""
        status, body = self.request(server, "GET", f"/_matrix/federation/v1/make_join/{harness.quote(room)}/"
                                    f"{harness.quote(user)}?ver=11&ver=12")
        assert status == 200, (status, body)
        event = body["event"]
        event.pop("signatures", None)
        join_id = finish_event(event, self.name, self.key)
        status, answer = self.request(server, "PUT", f"/_matrix/federation/v2/send_join/{harness.quote(room)}/"
                                      f"{harness.quote(join_id)}", event)
        assert status == 200, (status, answer)
        state = {(e["type"], e.get("state_key")): e for e in answer["state"]}
        ids = {key: event_id(e) for key, e in state.items()}
        return {"version": body["room_version"], "create": ids[("m.room.create", "")],
                "power": ids[("m.room.power_levels", "")], "member": join_id, "prev": [join_id],
                "depth": event["depth"]}

    def request(self, server, method, path, body=None, raw=None, auth="good", destination=None, timeout=60):
        """Sends a request to `server` (a harness.Server with a federation listener) as this peer;
        auth: "good", "none", "bad_sig" (signed over another body), "unknown_key", "old_key".
        Returns (status, parsed body)."""
        destination_name = destination or server.server_name
        signed = {"method": method, "uri": path, "origin": self.name, "destination": destination_name}
        if body is not None:
            signed["content"] = body
        key = {"unknown_key": SigningKey("ed25519:nope"), "old_key": self.old_key}.get(auth, self.key)
        if auth == "bad_sig":
            signed["content"] = {"something": "else"}
        headers = {"Host": server.server_name, "Content-Type": "application/json"}
        if auth != "none":
            signature = key.sign(canonical(signed))
            headers["Authorization"] = (f'X-Matrix origin="{self.name}",destination="{destination_name}",'
                                        f'key="{key.key_id}",sig="{signature}"')
        data = raw if raw is not None else (canonical(body) if body is not None else None)
        parsed = urllib.parse.urlparse(server.federation_url)
        with socket.create_connection((parsed.hostname, parsed.port), timeout=timeout) as plain:
            context = ssl.create_default_context(cafile=server.ca)
            with context.wrap_socket(plain, server_hostname=server.server_name) as tls:
                connection = http.client.HTTPConnection(server.server_name, timeout=timeout)
                connection.sock = tls
                try:
                    connection.request(method, path, body=data, headers=headers)
                    response = connection.getresponse()
                    text = response.read()
                except (ConnectionError, ssl.SSLError):
                    return 0, None  # the server hung up (allowed for a body over the limit)
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text


class HostileFederation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.started = time.monotonic()
        pki = tempfile.mkdtemp(prefix="myelin-pki-")
        ca = federation.make_ca(pki)
        cls.evil = EvilPeer("evil.test", ca, pki)
        cls.slow_keys = EvilPeer("slowkeys.test", ca, pki, keys="slow")
        cls.bad_keys = EvilPeer("badkeys.test", ca, pki, keys="garbage")
        peers = {peer.name: peer.port for peer in (cls.evil, cls.slow_keys, cls.bad_keys)}
        cls.servers, _ = federation.federated_servers(ca=ca, others=peers, extra={"log_level": os.environ.get("HOSTILE_LOG_LEVEL", "info")})
        cls.hs1, cls.hs2 = cls.servers
        for server, name in zip(cls.servers, ("hs1.test", "hs2.test")):
            server.server_name, server.ca = name, ca[0]
            server.drain_stdout()
        # The slow key server: its request waits for hs1's key fetch to time out, meanwhile.
        cls.slow_keys_answer = staticmethod(background(lambda: cls.slow_keys.request(
            cls.hs1, "PUT", "/_matrix/federation/v1/send/slow", {"origin": "slowkeys.test", "origin_server_ts": 1, "pdus": []})))

        cls.alice = harness.User(cls.hs1, "alice", cls.hs1.registration_token())
        cls.bob = harness.User(cls.hs2, "bob", cls.hs2.registration_token())
        cls.room = cls.alice.ok("POST", "/createRoom", {"preset": "public_chat"})["room_id"]
        cls.bob.ok("POST", f"/join/{harness.quote(cls.room)}?server_name=hs1.test", {})
        cls.mallory = "@mallory:evil.test"
        # Two rooms evil.test joins on hs1: the shared one, and one for attacks that hold a room up.
        cls.gap_room = cls.alice.ok("POST", "/createRoom", {"preset": "public_chat"})["room_id"]
        cls.joined = {room: cls.evil.join(cls.hs1, room, cls.mallory) for room in (cls.room, cls.gap_room)}
        cls.txn = 0
        cls.rss_after_setup = cls.max_rss = cls.hs1.status_kb("VmHWM")

    @classmethod
    def tearDownClass(cls):
        for peer in (cls.evil, cls.slow_keys, cls.bad_keys):
            peer.close()
        federation.stop_all(cls.servers)
        print(f"\nhostile federation suite: {time.monotonic() - cls.started:.1f} s; hs1's peak memory "
              f"{cls.rss_after_setup // 1024} MiB after setup, at most {cls.max_rss // 1024} MiB", flush=True)

    # Helpers.
    def message(self, room, text, sender=None, prev=None, depth=None):
        """A message PDU of evil.test in `room`, not yet hashed or signed."""
        joined = self.joined[room]
        auth = [joined["power"], joined["member"]]
        if joined["version"] != "12":
            auth.insert(0, joined["create"])
        return {"room_id": room, "sender": sender or self.mallory, "type": "m.room.message",
                "content": {"msgtype": "m.text", "body": text}, "depth": depth or joined["depth"] + 1,
                "prev_events": prev or joined["prev"], "auth_events": auth,
                "origin_server_ts": int(time.time() * 1000)}

    def advance(self, room, pdu_id, depth):
        self.joined[room]["prev"], self.joined[room]["depth"] = [pdu_id], depth

    def send(self, pdus, edus=(), auth="good", origin="evil.test", server=None):
        type(self).txn += 1
        body = {"origin": origin, "origin_server_ts": int(time.time() * 1000), "pdus": list(pdus), "edus": list(edus)}
        return self.evil.request(server or self.hs1, "PUT", f"/_matrix/federation/v1/send/hostile{self.txn}", body,
                                 auth=auth)

    def alice_sees(self, event):
        status, body = self.alice.call("GET", f"/rooms/{harness.quote(self.room)}/event/{harness.quote(event)}")
        return body if status == 200 else None

    def assert_contained(self):
        """hs1 is up, its memory bounded, and alice and bob still talk both ways."""
        self.assertIsNone(self.hs1.process.poll(), "hs1 died: " + self.hs1.read_log())
        rss = self.hs1.status_kb("VmHWM")
        type(self).max_rss = max(self.max_rss, rss)
        self.assertLess(rss, self.rss_after_setup + RSS_GROWTH_BOUND_KB)
        type(self).txn += 1
        for sender, reader in ((self.alice, self.bob), (self.bob, self.alice)):
            sent = sender.ok("PUT", f"/rooms/{harness.quote(self.room)}/send/m.room.message/flow{self.txn}",
                             {"msgtype": "m.text", "body": "still flowing"})["event_id"]
            path = f"/rooms/{harness.quote(self.room)}/event/{harness.quote(sent)}"
            self.assertTrue(harness.eventually(lambda: reader.call("GET", path)[0] == 200, 10),
                            f"{sender.user_id}'s message never reached {reader.user_id}")

    # Request authentication.
    def test_requests_not_rightly_signed_are_refused(self):
        for auth, destination in (("none", None), ("bad_sig", None), ("good", "hs2.test"), ("unknown_key", None),
                                  ("old_key", None)):
            with self.subTest(auth=auth, destination=destination):
                pdu = self.message(self.room, f"signed {auth} {destination}")
                pdu_id = finish_event(pdu, self.evil.name, self.evil.key)
                type(self).txn += 1
                status, body = self.evil.request(
                    self.hs1, "PUT", f"/_matrix/federation/v1/send/auth{self.txn}",
                    {"origin": "evil.test", "origin_server_ts": 1, "pdus": [pdu]}, auth=auth, destination=destination)
                self.assertEqual(status, 401, body)
                self.assertEqual(body["errcode"], "M_UNAUTHORIZED")
                self.assertIsNone(self.alice_sees(pdu_id))
        # The same request rightly signed goes through (the refusals were for the signature).
        pdu = self.message(self.room, "rightly signed")
        pdu_id = finish_event(pdu, self.evil.name, self.evil.key)
        status, body = self.send([pdu])
        self.assertEqual((status, body["pdus"][pdu_id]), (200, {}), body)
        self.advance(self.room, pdu_id, pdu["depth"])
        self.assertTrue(harness.eventually(lambda: self.alice_sees(pdu_id)))
        self.assert_contained()

    def test_key_servers_that_answer_garbage_or_slowly(self):
        status, body = self.bad_keys.request(self.hs1, "PUT", "/_matrix/federation/v1/send/bad",
                                             {"origin": "badkeys.test", "origin_server_ts": 1, "pdus": []})
        self.assertEqual((status, (body or {}).get("errcode")), (401, "M_UNAUTHORIZED"), body)
        # Meanwhile the slow key server's request waits (in the background, since setup) and hs2
        # and evil.test are served.
        status, body = self.send([])
        self.assertEqual(status, 200, body)
        self.assert_contained()
        status, body = self.slow_keys_answer()
        self.assertEqual((status, (body or {}).get("errcode")), (401, "M_UNAUTHORIZED"), body)
        self.assert_contained()

    # PDUs that fail their checks.
    def test_pdu_with_a_bad_content_hash_is_stored_redacted(self):
        pdu = self.message(self.room, "the hash does not cover this")
        pdu_id = finish_event(pdu, self.evil.name, self.evil.key,
                              hash_content={"msgtype": "m.text", "body": "something else"})
        status, body = self.send([pdu])
        self.assertEqual((status, body["pdus"][pdu_id]), (200, {}), body)
        self.advance(self.room, pdu_id, pdu["depth"])
        seen = harness.eventually(lambda: self.alice_sees(pdu_id))
        self.assertTrue(seen)
        self.assertEqual(seen["content"], {})
        self.assert_contained()

    def test_pdus_failing_signature_auth_or_origin_are_refused_one_by_one(self):
        bad_signature = self.message(self.room, "tampered")
        bad_signature_id = finish_event(bad_signature, self.evil.name, self.evil.key)
        bad_signature["signatures"]["evil.test"]["ed25519:evil1"] = self.evil.key.sign(b"something else")
        not_member = self.message(self.room, "from a user not in the room", sender="@eve:evil.test")
        not_member_id = finish_event(not_member, self.evil.name, self.evil.key)
        # bob is in the room, but of hs2.test: evil.test may not speak for him.
        as_bob = self.message(self.room, "I am bob, honest", sender=self.bob.user_id)
        as_bob_id = finish_event(as_bob, self.evil.name, self.evil.key)
        good = self.message(self.room, "the good one in the same transaction")
        good_id = finish_event(good, self.evil.name, self.evil.key)
        status, body = self.send([bad_signature, not_member, as_bob, good])
        self.assertEqual(status, 200, body)
        for refused in (bad_signature_id, as_bob_id):
            self.assertIn("error", body["pdus"].get(refused, {"error": "left out"}), (refused, body))
        # Rejected by the auth rules: handled, so no error for the sender (as Synapse answers).
        self.assertEqual(body["pdus"][not_member_id], {})
        self.assertEqual(body["pdus"][good_id], {})
        self.advance(self.room, good_id, good["depth"])
        self.assertTrue(harness.eventually(lambda: self.alice_sees(good_id)))
        for refused in (bad_signature_id, not_member_id, as_bob_id):
            self.assertIsNone(self.alice_sees(refused))
        self.assert_contained()

    def test_a_transaction_claiming_another_origin_is_refused(self):
        pdu = self.message(self.room, "sent as hs2")
        pdu_id = finish_event(pdu, self.evil.name, self.evil.key)
        status, body = self.send([pdu], origin="hs2.test")
        self.assertEqual((status, body["errcode"]), (400, "M_BAD_JSON"), body)
        self.assertIsNone(self.alice_sees(pdu_id))
        self.assert_contained()

    # Transactions that break the limits.
    def test_transactions_over_the_limits_are_refused(self):
        pdus = [self.message(self.room, f"one of many {n}") for n in range(51)]
        status, body = self.send(pdus)
        self.assertEqual(status, 400, body)
        self.assertIn(body["errcode"], ("M_TOO_LARGE", "M_BAD_JSON"))
        edus = [{"edu_type": "m.typing", "content": {}}] * 101
        status, body = self.send([], edus=edus)
        self.assertEqual(status, 400, body)
        self.assertIn(body["errcode"], ("M_TOO_LARGE", "M_BAD_JSON"))
        # 50 PDUs and 100 EDUs are fine (each PDU answered on its own).
        status, body = self.send(pdus[:50], edus=edus[:100])
        self.assertEqual(status, 200, body)

        huge = {"origin": "evil.test", "origin_server_ts": 1, "pdus": [], "padding": "x" * (4 << 20)}
        status, body = self.evil.request(self.hs1, "PUT", "/_matrix/federation/v1/send/huge", huge)
        self.assertIn(status, (413, 0), body)  # 0: hung up on before the body was all sent
        if status == 413:
            self.assertEqual(body["errcode"], "M_TOO_LARGE")
        self.assert_contained()

    def test_bodies_that_are_not_json_are_refused(self):
        transaction = '{"origin":"evil.test","origin_server_ts":1,"pdus":[],"pdus":[]}'
        status, body = self.evil.request(self.hs1, "PUT", "/_matrix/federation/v1/send/dup",
                                         {"origin": "evil.test", "origin_server_ts": 1, "pdus": []},
                                         raw=transaction.encode())
        self.assertEqual(status, 400, body)
        self.assertIn(body["errcode"], ("M_NOT_JSON", "M_BAD_JSON"))
        nested = ('{"origin":"evil.test","origin_server_ts":1,"pdus":[' + "[" * 100000 + "]" * 100000 + "]}")
        status, body = self.evil.request(self.hs1, "PUT", "/_matrix/federation/v1/send/deep",
                                         {"origin": "evil.test", "origin_server_ts": 1, "pdus": []},
                                         raw=nested.encode())
        self.assertEqual(status, 400, body)
        self.assertIn(body["errcode"], ("M_NOT_JSON", "M_BAD_JSON"))
        # A PDU that is deeply nested inside an otherwise fine transaction.
        deep = self.message(self.room, "deep")
        text = canonical({"origin": "evil.test", "origin_server_ts": 1, "pdus": [deep]}).decode()
        text = text.replace('"body":"deep"', '"body":"deep","x":' + "[" * 60 + "]" * 60)
        status, body = self.evil.request(self.hs1, "PUT", "/_matrix/federation/v1/send/deep2", json.loads(text),
                                         raw=text.encode())
        self.assertIn(status, (200, 400), body)
        self.assert_contained()

    # evil.test as the server a myelin user joins a room through.
    def test_joins_through_a_hostile_resident_fail_cleanly(self):
        good = self.evil.host_room("good")
        status, body = self.alice.call("POST", f"/join/{harness.quote(good)}?server_name=evil.test", {})
        self.assertEqual(status, 200, body)  # the peer's rooms are well made: what fails below is the attack
        slow = self.evil.host_room("slow")
        slow_join = background(lambda: self.alice.call("POST", f"/join/{harness.quote(slow)}?server_name=evil.test",
                                                       {}))
        for mode in ("garbage", "shape", "auth", "foreign", "enormous"):
            with self.subTest(mode=mode):
                room = self.evil.host_room(mode)
                started = time.monotonic()
                status, body = self.alice.call("POST", f"/join/{harness.quote(room)}?server_name=evil.test", {})
                self.assertNotEqual(status, 200, body)
                self.assertIn("errcode", body)
                self.assertLess(time.monotonic() - started, 20)
                joined = self.alice.ok("GET", "/joined_rooms")["joined_rooms"]
                self.assertNotIn(room, joined)
                self.assert_contained()
        # The slow answer holds only its own join up.
        self.assertIn(good, self.alice.ok("GET", "/joined_rooms")["joined_rooms"])
        self.assertNotIn(slow, self.alice.ok("GET", "/joined_rooms")["joined_rooms"])
        # Cut off, the slow answer fails the join.
        self.evil.release_joins.set()
        status, body = slow_join()
        self.assertNotEqual(status, 200, body)
        self.assertNotIn(slow, self.alice.ok("GET", "/joined_rooms")["joined_rooms"])
        self.assert_contained()

    # Not an attack: the deprecated v1 send_leave, which older servers use, answers its legacy form.
    def test_a_leave_through_v1_send_leave(self):
        room = self.alice.ok("POST", "/createRoom", {"preset": "public_chat"})["room_id"]
        self.evil.join(self.hs1, room, self.mallory)
        status, body = self.evil.request(self.hs1, "GET", f"/_matrix/federation/v1/make_leave/{harness.quote(room)}/"
                                         f"{harness.quote(self.mallory)}")
        self.assertEqual(status, 200, body)
        event = body["event"]
        event.pop("signatures", None)
        leave_id = finish_event(event, self.evil.name, self.evil.key)
        status, body = self.evil.request(self.hs1, "PUT", f"/_matrix/federation/v1/send_leave/{harness.quote(room)}/"
                                         f"{harness.quote(leave_id)}", event)
        self.assertEqual((status, body), (200, [200, {}]))
        member = self.alice.ok("GET", f"/rooms/{harness.quote(room)}/state/m.room.member/{harness.quote(self.mallory)}")
        self.assertEqual(member["membership"], "leave")

    # Not an attack either: a server that knows only v1 invites gets them for rooms of version 2.
    def test_an_invite_to_a_server_without_v2_invites_goes_through_v1(self):
        room = self.alice.ok("POST", "/createRoom", {"preset": "private_chat", "room_version": "2"})["room_id"]
        victor = "@victor:evil.test"
        self.alice.ok("POST", f"/rooms/{harness.quote(room)}/invite", {"user_id": victor})
        member = self.alice.ok("GET", f"/rooms/{harness.quote(room)}/state/m.room.member/{harness.quote(victor)}")
        self.assertEqual(member["membership"], "invite")
        with self.evil.lock:
            asked = [path.split("/")[3] for method, path, _ in self.evil.requests
                     if method == "PUT" and "/invite/" in path and urllib.parse.unquote(path).count(room)]
        self.assertEqual(asked, ["v2", "v1"])
        # A room of a later version is never offered through v1: the invite fails instead.
        later = self.alice.ok("POST", "/createRoom", {"preset": "private_chat", "room_version": "10"})["room_id"]
        status, body = self.alice.call("POST", f"/rooms/{harness.quote(later)}/invite", {"user_id": victor})
        self.assertNotEqual(status, 200, body)

    # Gaps: a PDU whose prev events are missing, and get_missing_events answered with too much.
    def test_missing_events_are_fetched_within_bounds(self):
        room = self.gap_room
        joined = self.joined[room]
        chain, prev, depth = [], joined["prev"], joined["depth"]
        for n in range(1000):
            depth += 1
            event = self.message(room, f"chain {n}", prev=prev, depth=depth)
            prev = [finish_event(event, self.evil.name, self.evil.key)]
            chain.append((prev[0], event))
        tip = self.message(room, "the tip", prev=prev, depth=depth + 1)
        tip_id = finish_event(tip, self.evil.name, self.evil.key)
        self.evil.gme_events[room] = [event for _, event in chain]  # oldest first, far over the limit
        before = len(self.evil.requests)
        status, body = self.send([tip])
        self.assertEqual(status, 200, body)
        self.assertIn("error", body["pdus"].get(tip_id, {"error": "left out"}), body)
        asked = [r for r in self.evil.requests[before:] if "get_missing_events" in r[1]]
        self.assertEqual(len(asked), 1, asked)
        self.assertLessEqual(asked[0][2]["limit"], 100)
        # hs1 took at most the limit of them: the later ones are nowhere.
        for chain_id, _ in chain[asked[0][2]["limit"]:][::97]:
            status, _ = self.alice.call("GET", f"/rooms/{harness.quote(room)}/event/{harness.quote(chain_id)}")
            self.assertEqual(status, 404, chain_id)
        for mode in ("garbage", "huge"):
            with self.subTest(mode=mode):
                self.evil.gme_mode[room] = mode
                gap = self.message(room, f"gap {mode}", prev=[chain[-1][0]], depth=depth + 1)
                gap_id = finish_event(gap, self.evil.name, self.evil.key)
                status, body = self.send([gap])
                self.assertEqual(status, 200, body)
                self.assertIn("error", body["pdus"].get(gap_id, {"error": "left out"}), body)
                self.assert_contained()
        # Auth events nobody has: asked of evil.test through /event_auth, whose answers go unused.
        for mode in ("garbage", "huge", "empty"):
            with self.subTest(event_auth=mode):
                self.evil.event_auth_mode = mode
                before = len(self.evil.requests)
                pdu = self.message(room, f"unknown auth {mode}", prev=[chain[-1][0]], depth=depth + 1)
                pdu["auth_events"].append("$" + b64url(hashlib.sha256(mode.encode()).digest()))
                pdu_id = finish_event(pdu, self.evil.name, self.evil.key)
                status, body = self.send([pdu])
                self.assertEqual(status, 200, body)
                self.assertIn("error", body["pdus"].get(pdu_id, {"error": "left out"}), body)
                asked = [r for r in self.evil.requests[before:] if "event_auth" in r[1]]
                self.assertEqual(len(asked), 1, asked)  # once, however it answers
                self.assert_contained()
        # A slow answer holds up its own room only (for myelin's fetch timeout): the shared room
        # flows meanwhile.
        self.evil.gme_mode[room] = "slow"
        gap = self.message(room, "gap slow", prev=[chain[-2][0]], depth=depth + 1)
        gap_id = finish_event(gap, self.evil.name, self.evil.key)
        started = time.monotonic()
        slow = background(lambda: self.send([gap]))
        time.sleep(1)
        self.assert_contained()
        status, body = slow()
        self.assertEqual(status, 200, body)
        self.assertIn("error", body["pdus"].get(gap_id, {"error": "left out"}), body)
        self.assertLess(time.monotonic() - started, 25)
        # Having let a fetch run out, evil.test is not asked again for a while: its next PDUs
        # with a gap, even in the room it shares with hs2, are refused at once.
        for target in (room, self.room):
            before = len(self.evil.requests)
            self.evil.gme_mode[target] = "slow"
            gap = self.message(target, "gap after slow", prev=["$" + b64url(hashlib.sha256(target.encode()).digest())])
            gap_id = finish_event(gap, self.evil.name, self.evil.key)
            started = time.monotonic()
            status, body = self.send([gap])
            self.assertEqual(status, 200, body)
            self.assertIn("error", body["pdus"].get(gap_id, {"error": "left out"}), body)
            self.assertLess(time.monotonic() - started, 3)
            self.assertFalse([r for r in self.evil.requests[before:] if "get_missing_events" in r[1]])
        self.assert_contained()

if __name__ == "__main__":
    unittest.main()
