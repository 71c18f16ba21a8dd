"""End-to-end: identity servers on a user's request (client-server-api "Adding Account
Administrative Contact Information" bind/unbind/delete, deactivation, "Third-party invites"
by e-mail), against an identity server written in the test (HTTPS, its certificate from a CA
the test makes); and none contacted while the switch is off, the default."""
import base64
import hashlib
import json
import re
import tempfile
import threading
import unittest
import urllib.parse

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import federation
import harness

V3 = "/_matrix/client/v3"
PEPPER = "test-pepper"


def b64(data):
    return base64.b64encode(data).rstrip(b"=").decode()


def hashed(address, medium="email"):
    digest = hashlib.sha256(f"{address} {medium} {PEPPER}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class FakeIdentityServer:
    """Sessions `sid` → address validated; bindings address → mxid; every request recorded."""

    def __init__(self, folder, ca):
        self.sessions = {"s-alice": "alice@example.org", "s-again": "alice@example.org"}
        self.bindings, self.requests, self.stored = {}, [], []
        self.key = Ed25519PrivateKey.generate()
        self.revoked = False
        self.public_key = b64(self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
        self.lock = threading.Lock()
        self.peer = federation.PeerServer(folder, ca, "localhost", self.handle, ips=("127.0.0.1",))
        self.name = f"localhost:{self.peer.port}"

    def handle(self, handler, method):
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        path = handler.path
        with self.lock:
            self.requests.append((method, path, handler.headers.get("Authorization", ""), body))
            status, answer = self.answer(method, path, handler.headers.get("Authorization", ""), body)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def answer(self, method, path, authorization, body):
        if path == "/_matrix/identity/v2/3pid/bind" and authorization == "Bearer id-token":
            address = self.sessions.get(body.get("sid"))
            if not address:
                return 400, {"errcode": "M_NO_VALID_SESSION", "error": "no such session"}
            self.bindings[address] = body["mxid"]
            return 200, {"medium": "email", "address": address, "mxid": body["mxid"]}
        if path == "/_matrix/identity/v2/3pid/unbind" and re.match(r'X-Matrix origin="?localhost"?,.*sig=', authorization):
            self.bindings.pop(body["threepid"]["address"], None)
            return 200, {}
        if path == "/_matrix/identity/v2/hash_details" and authorization == "Bearer id-token":
            return 200, {"algorithms": ["sha256"], "lookup_pepper": PEPPER}
        if path == "/_matrix/identity/v2/lookup" and authorization == "Bearer id-token":
            mappings = {hashed(a): m for a, m in self.bindings.items() if hashed(a) in body["addresses"]}
            return 200, {"mappings": mappings}
        if path.startswith("/_matrix/identity/v2/pubkey/isvalid?public_key="):
            key = urllib.parse.unquote(path.split("=", 1)[1])
            return 200, {"valid": key == self.public_key and not self.revoked}
        if path == "/_matrix/identity/v2/store-invite" and authorization == "Bearer id-token":
            token = f"tok{len(self.stored)}"
            self.stored.append(dict(body, token=token))
            return 200, {"token": token, "display_name": "a...@example.org", "public_key": self.public_key,
                         "public_keys": [{"public_key": self.public_key,
                                          "key_validity_url": f"https://{self.name}/_matrix/identity/v2/pubkey/isvalid"}]}
        return 403, {"errcode": "M_FORBIDDEN", "error": "not like that"}

    def signed(self, mxid, token):
        signed = {"mxid": mxid, "token": token}
        text = json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
        signed["signatures"] = {self.name: {"ed25519:0": b64(self.key.sign(text))}}
        return signed


class IdentityServers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="myelin-is-")
        ca = federation.make_ca(cls.folder)
        cls.identity = FakeIdentityServer(cls.folder, ca)
        settings = {"enabled": "true", "ip_allowlist": '"127.0.0.0/8"', "ca_file": federation.quoted(ca[0])}
        cls.server = harness.Server(sections={"identity_servers": settings}).start()
        cls.closed = harness.Server().start()  # the default: off
        cls.tokens, cls.ids = {}, {}
        for name in ("alice", "bob", "carol"):
            account = harness.register(cls.server.url, name, "pw-" + name + "-long", cls.server.registration_token())
            cls.tokens[name], cls.ids[name] = account["access_token"], account["user_id"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.closed.stop()
        cls.identity.peer.close()

    def call(self, who, method, path, body=None):
        return harness.request(self.server.url, method, path, body, self.tokens[who])

    def bind(self, who, sid):
        return self.call(who, "POST", V3 + "/account/3pid/bind", {
            "id_server": self.identity.name, "id_access_token": "id-token", "sid": sid, "client_secret": "secret"})

    def invite_by_email(self, room, address):
        return self.call("bob", "POST", f"{V3}/rooms/{urllib.parse.quote(room)}/invite", {
            "id_server": self.identity.name, "id_access_token": "id-token", "medium": "email", "address": address})

    def membership(self, room, user):
        status, body = self.call("bob", "GET", f"{V3}/rooms/{urllib.parse.quote(room)}/state/m.room.member/{user}")
        return body.get("membership") if status == 200 else None

    def test_1_bind_invite_by_email_and_unbind(self):
        status, body = self.bind("alice", "s-unknown")
        self.assertEqual((status, body.get("errcode")), (400, "M_NO_VALID_SESSION"))  # passed on
        status, body = self.bind("alice", "s-alice")
        self.assertEqual(status, 200, body)
        self.assertEqual(self.identity.bindings, {"alice@example.org": self.ids["alice"]})

        status, body = self.call("bob", "POST", V3 + "/createRoom", {"preset": "private_chat"})
        room = body["room_id"]
        status, body = self.invite_by_email(room, "alice@example.org")
        self.assertEqual(status, 200, body)
        self.assertEqual(self.membership(room, self.ids["alice"]), "invite")
        # Nobody outside the room makes the server ask the identity server anything.
        before = len(self.identity.requests)
        status, body = self.call("carol", "POST", f"{V3}/rooms/{urllib.parse.quote(room)}/invite", {
            "id_server": self.identity.name, "id_access_token": "id-token", "medium": "email",
            "address": "alice@example.org"})
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"))
        self.assertEqual(len(self.identity.requests), before)
        status, body = self.call("bob", "POST", V3 + "/createRoom", {"invite_3pid": [{
            "id_server": self.identity.name, "id_access_token": "id-token", "medium": "email",
            "address": "alice@example.org"}]})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.membership(body["room_id"], self.ids["alice"]), "invite")

        # Unbound where it was bound, in a request this server signed.
        status, body = self.call("alice", "POST", V3 + "/account/3pid/unbind",
                                 {"medium": "email", "address": "alice@example.org"})
        self.assertEqual((status, body), (200, {"id_server_unbind_result": "success"}))
        self.assertEqual(self.identity.bindings, {})
        status, body = self.call("alice", "POST", V3 + "/account/3pid/delete",
                                 {"medium": "email", "address": "alice@example.org"})
        self.assertEqual((status, body), (200, {"id_server_unbind_result": "no-support"}))  # none known

    def test_3_an_unbound_address_gets_a_third_party_invite_its_owner_can_take(self):
        status, body = self.call("bob", "POST", V3 + "/createRoom", {"preset": "private_chat"})
        room = body["room_id"]
        status, body = self.invite_by_email(room, "erin@example.org")
        self.assertEqual(status, 200, body)
        stored = self.identity.stored[-1]
        # The identity server learns only what the spec requires.
        self.assertEqual(set(stored), {"medium", "address", "room_id", "sender", "token"})
        status, body = self.call("bob", "GET", f"{V3}/rooms/{urllib.parse.quote(room)}/state/m.room.third_party_invite/"
                                               + stored["token"])
        self.assertEqual((status, body.get("display_name"), body.get("public_key")),
                         (200, "a...@example.org", self.identity.public_key))
        erin = harness.register(self.server.url, "erin", "pw-erin-long", self.server.registration_token())
        invite = {"medium": "email", "address": "erin@example.org", "mxid": erin["user_id"], "room_id": room,
                  "sender": self.ids["bob"], "token": stored["token"]}
        onbind = {"medium": "email", "address": "erin@example.org", "mxid": erin["user_id"]}
        # A forged signature makes no invite: changed after signing, or by a key the room does not know.
        forged = dict(invite, signed=dict(self.identity.signed(erin["user_id"], stored["token"]), token="tok-other"))
        other_key = Ed25519PrivateKey.generate()
        text = json.dumps({"mxid": erin["user_id"], "token": stored["token"]}, sort_keys=True,
                          separators=(",", ":")).encode()
        wrong_key = dict(invite, signed={"mxid": erin["user_id"], "token": stored["token"],
                                         "signatures": {self.identity.name: {"ed25519:0": b64(other_key.sign(text))}}})
        for bad, answer in ((forged, (200, None)), (wrong_key, (403, "M_FORBIDDEN"))):  # forged: no such invite
            status, body = harness.request(self.server.url, "PUT", "/_matrix/federation/v1/3pid/onbind",
                                           dict(onbind, invites=[bad]))
            self.assertEqual((status, body.get("errcode")), answer)
        # A key the identity server says it revoked since.
        self.identity.revoked = True
        status, body = harness.request(self.server.url, "PUT", "/_matrix/federation/v1/3pid/onbind",
                                       dict(onbind, invites=[dict(invite, signed=self.identity.signed(
                                           erin["user_id"], stored["token"]))]))
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"))
        self.identity.revoked = False
        self.assertIsNone(self.membership(room, erin["user_id"]))
        status, body = harness.request(self.server.url, "POST", f"{V3}/rooms/{urllib.parse.quote(room)}/join", {},
                                       erin["access_token"])
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"))  # not invited
        invite["signed"] = self.identity.signed(erin["user_id"], stored["token"])
        status, _ = harness.request(self.server.url, "POST", "/_matrix/federation/v1/3pid/onbind",
                                    dict(onbind, invites=[invite]))
        self.assertEqual(status, 200)
        status, body = self.call("bob", "GET", f"{V3}/rooms/{urllib.parse.quote(room)}/state/m.room.member/"
                                               + erin["user_id"])
        self.assertEqual((body.get("membership"), body.get("third_party_invite", {}).get("display_name")),
                         ("invite", "a...@example.org"))
        status, body = harness.request(self.server.url, "POST", f"{V3}/rooms/{urllib.parse.quote(room)}/join", {},
                                       erin["access_token"])
        self.assertEqual(status, 200, body)

    def test_2_deactivation_unbinds(self):
        status, body = self.bind("carol", "s-again")
        self.assertEqual(status, 200, body)
        self.assertEqual(self.identity.bindings, {"alice@example.org": self.ids["carol"]})
        status, body = self.call("carol", "POST", V3 + "/account/deactivate", {})
        auth = {"type": "m.login.password", "session": body["session"], "password": "pw-carol-long",
                "identifier": {"type": "m.id.user", "user": self.ids["carol"]}}
        status, body = self.call("carol", "POST", V3 + "/account/deactivate", {"auth": auth})
        self.assertEqual((status, body), (200, {"id_server_unbind_result": "success"}))
        self.assertEqual(self.identity.bindings, {})

    def test_off_by_default_nothing_is_contacted(self):
        account = harness.register(self.closed.url, "dave", "pw-dave-long", self.closed.registration_token())
        before = len(self.identity.requests)
        status, body = harness.request(self.closed.url, "POST", V3 + "/account/3pid/bind", {
            "id_server": self.identity.name, "id_access_token": "id-token", "sid": "s-alice",
            "client_secret": "secret"}, account["access_token"])
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"))
        status, body = harness.request(self.closed.url, "PUT", "/_matrix/federation/v1/3pid/onbind", {"invites": []})
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"))
        self.assertEqual(len(self.identity.requests), before)


if __name__ == "__main__":
    unittest.main()
