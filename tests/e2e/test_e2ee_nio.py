"""End-to-end encryption on myelin: matrix-nio clients (Debian's python3-matrix-nio with libolm)
exchange Megolm-encrypted messages with each other and with matrix-js-sdk's Rust crypto
(js/peer.mjs, driven over JSON lines), and the device-list bookkeeping of /sync and /keys/changes.

Every test registers its own users, so each starts from users that share no room and own one
device; each nio client keeps its crypto store in its own temporary folder.
"""
import asyncio
import itertools
import json
import os
import shutil
import tempfile
import unittest
import urllib.parse

from nio import (AsyncClient, AsyncClientConfig, JoinResponse, KeysQueryResponse, KeysUploadResponse,
                 LoginResponse, MegolmEvent, RoomCreateResponse, RoomLeaveResponse, RoomMessageText, RoomPreset,
                 RoomSendResponse, SyncResponse, ToDeviceResponse)
from nio.exceptions import EncryptionError

import harness

CONFIG = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
MEGOLM = "m.megolm.v1.aes-sha2"
JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
PEER = os.path.join(JS_DIR, "peer.mjs")
NAMES = itertools.count()


def password(name):
    return "pw-" + name + "-long"


def quote(part):
    return urllib.parse.quote(part, safe="")


class Peer:
    """A matrix-js-sdk client with Rust crypto in a node process (js/peer.mjs)."""

    def __init__(self, process, log_path):
        self.process = process
        self.log_path = log_path
        self.said = []

    @classmethod
    async def start(cls, node, *args, log_path):
        with open(log_path, "wb") as log:
            process = await asyncio.create_subprocess_exec(
                node, PEER, *args, cwd=JS_DIR, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=log)
        return cls(process, log_path)

    def describe(self):
        with open(self.log_path, errors="replace") as log:
            stderr = log.read()[-3000:]
        return f"the peer said {self.said}\nits stderr ends with:\n{stderr}"

    async def expect(self, what, predicate, timeout=30):
        """The first line (already read or still to come) for which predicate is true."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        checked = 0
        while True:
            for message in self.said[checked:]:
                if "error" in message:
                    raise AssertionError(f"peer failed while waiting for {what}; " + self.describe())
                if predicate(message):
                    return message
            checked = len(self.said)
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {what} from the peer within {timeout} s; " + self.describe())
            try:
                line = await asyncio.wait_for(self.process.stdout.readline(), remaining)
            except asyncio.TimeoutError:
                continue
            if not line:
                await self.process.wait()
                raise AssertionError(f"peer exited ({self.process.returncode}) while waiting for {what}; "
                                     + self.describe())
            try:
                self.said.append(json.loads(line))
            except ValueError:
                pass

    async def command(self, **command):
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        await self.process.stdin.drain()

    async def stop(self):
        if self.process.returncode is None:
            try:
                await self.command(cmd="quit")
                await asyncio.wait_for(self.process.wait(), 10)
            except (asyncio.TimeoutError, ConnectionError):
                self.process.kill()
                await self.process.wait()


class E2ee(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()
        cls.token = cls.server.registration_token()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    # Blocking HTTP (and registration's password hashing) runs off the event loop.
    async def register(self, name):
        name = f"{name}{next(NAMES)}"
        await asyncio.to_thread(harness.register, self.server.url, name, password(name), self.token)
        return name

    async def request(self, client, method, path, body=None):
        return await asyncio.to_thread(harness.request, self.server.url, method, "/_matrix/client/v3" + path, body,
                                       client.access_token)

    def scratch(self, prefix):
        path = tempfile.mkdtemp(prefix=prefix)
        self.addCleanup(shutil.rmtree, path, True)
        return path

    async def login(self, name):
        """A nio client logged in as a new device of `name`, with its device and one-time keys uploaded."""
        client = AsyncClient(self.server.url, f"@{name}:localhost", store_path=self.scratch("myelin-nio-store-"),
                             config=CONFIG)
        self.addAsyncCleanup(client.close)
        self.assertIsInstance(await client.login(password(name), device_name="nio"), LoginResponse)
        upload = await client.keys_upload()
        self.assertIsInstance(upload, KeysUploadResponse, upload)
        self.assertGreater(upload.signed_curve25519_count, 0)
        return client

    async def client(self, name):
        return await self.login(await self.register(name))

    async def sync(self, client, timeout=0):
        """One /sync, then what nio's sync_forever does between syncs: key upload, query, claim, to-device."""
        response = await client.sync(timeout=timeout)
        self.assertIsInstance(response, SyncResponse, response)
        if client.should_upload_keys:
            self.assertIsInstance(await client.keys_upload(), KeysUploadResponse)
        if client.should_query_keys:
            self.assertIsInstance(await client.keys_query(), KeysQueryResponse)
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        for sent in await client.send_to_device_messages():
            self.assertIsInstance(sent, ToDeviceResponse, sent)
        return response

    async def receive(self, client, room_id, body, timeout=30):
        """Syncs `client` until the message `body` arrives decrypted in `room_id`; returns the event.

        Events that arrive before their key are decrypted again after later syncs, as a client would."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        pending = []
        while loop.time() < deadline:
            room = (await self.sync(client, timeout=1000)).rooms.join.get(room_id)
            events = list(room.timeline.events) if room else []
            for event in list(pending):
                try:
                    events.append(client.decrypt_event(event))
                    pending.remove(event)
                except EncryptionError:
                    pass
            for event in events:
                if isinstance(event, RoomMessageText) and event.body == body:
                    return event
                if isinstance(event, MegolmEvent):
                    pending.append(event)
        self.fail(f"{client.user_id} did not decrypt {body!r} within {timeout} s; undecrypted: "
                  + str([e.source for e in pending]))

    async def send(self, client, room_id, body):
        response = await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body},
                                          ignore_unverified_devices=True)
        self.assertIsInstance(response, RoomSendResponse, response)
        return response.event_id

    async def encrypted_room(self, creator, *invitees):
        created = await creator.room_create(preset=RoomPreset.private_chat, invite=list(invitees), is_direct=True)
        self.assertIsInstance(created, RoomCreateResponse, created)
        status, content = await self.request(creator, "GET", f"/rooms/{quote(created.room_id)}/state/m.room.encryption")
        self.assertEqual((status, content.get("algorithm") if content else None), (200, MEGOLM),
                         "a direct message gets m.room.encryption")
        return created.room_id

    async def assert_encrypted_on_the_wire(self, client, room_id, event_id, body):
        status, event = await self.request(client, "GET", f"/rooms/{quote(room_id)}/event/{quote(event_id)}")
        self.assertEqual(status, 200, event)
        self.assertEqual(event["type"], "m.room.encrypted")
        self.assertEqual(event["content"]["algorithm"], MEGOLM)
        self.assertTrue(event["content"]["ciphertext"] and event["content"]["session_id"])
        self.assertNotIn(body, json.dumps(event))

    async def raw_sync(self, client):
        """An initial /sync of `client`'s device that leaves out rooms: the e2ee fields only."""
        room_filter = quote(json.dumps({"room": {"rooms": []}, "presence": {"types": []}}))
        status, body = await self.request(client, "GET", "/sync?filter=" + room_filter)
        self.assertEqual(status, 200, body)
        return body

    async def test_two_nio_clients_exchange_encrypted_messages(self):
        alice, bob = await self.client("alice"), await self.client("bob")
        for client in (alice, bob):
            await self.sync(client)
        uploaded = await self.raw_sync(bob)
        self.assertIn("device_unused_fallback_key_types", uploaded)  # required by the spec (v1.2)
        otks = uploaded["device_one_time_keys_count"]["signed_curve25519"]

        room_id = await self.encrypted_room(alice, bob.user_id)
        self.assertIsInstance(await bob.join(room_id), JoinResponse)
        # Incremental syncs list the user who now shares an encrypted room in device_lists.changed.
        self.assertIn(bob.user_id, (await self.sync(alice)).device_list.changed)
        self.assertIn(alice.user_id, (await self.sync(bob)).device_list.changed)
        self.assertTrue(alice.rooms[room_id].encrypted and bob.rooms[room_id].encrypted)

        # Alice claims one of Bob's one-time keys, shares her Megolm key over Olm (to-device), sends.
        sent = await self.send(alice, room_id, "hello bob, this is secret")
        self.assertEqual((await self.raw_sync(bob))["device_one_time_keys_count"]["signed_curve25519"], otks - 1)
        received = await self.receive(bob, room_id, "hello bob, this is secret")
        self.assertEqual((received.event_id, received.sender, received.decrypted), (sent, alice.user_id, True))
        await self.assert_encrypted_on_the_wire(bob, room_id, sent, "hello bob, this is secret")

        reply = await self.send(bob, room_id, "hi alice, secret too")
        received = await self.receive(alice, room_id, "hi alice, secret too")
        self.assertEqual((received.event_id, received.sender, received.decrypted), (reply, bob.user_id, True))
        await self.assert_encrypted_on_the_wire(alice, room_id, reply, "hi alice, secret too")

        # A second message reuses Alice's outbound session (next message index).
        again = await self.send(alice, room_id, "and once more")
        self.assertEqual((await self.receive(bob, room_id, "and once more")).event_id, again)

    async def test_nio_and_js_sdk_rust_crypto_decrypt_each_other(self):
        node = shutil.which("node")
        if not node or not os.path.isdir(os.path.join(JS_DIR, "node_modules", "matrix-js-sdk")):
            self.skipTest("node or tests/e2e/js/node_modules missing (scripts/deps.sh --tests)")
        alice = await self.client("alice")
        carol = await self.register("carol")
        carol_id = f"@{carol}:localhost"
        await self.sync(alice)
        room_id = await self.encrypted_room(alice, carol_id)

        peer = await Peer.start(node, self.server.url, carol, password(carol), room_id,
                                log_path=os.path.join(self.scratch("myelin-peer-"), "stderr.log"))
        self.addAsyncCleanup(peer.stop)
        ready = await peer.expect("ready", lambda m: m.get("ready"), timeout=45)
        self.assertEqual(ready["user_id"], carol_id)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not (room_id in alice.rooms and carol_id in alice.rooms[room_id].users
                   and not alice.rooms[room_id].users[carol_id].invited):
            self.assertLess(loop.time(), deadline, "alice did not see the peer join")
            await self.sync(alice, timeout=500)

        # nio → js: the peer decrypts Alice's message.
        sent = await self.send(alice, room_id, "hello js, from nio")
        decrypted = (await peer.expect("the decrypted nio message",
                                       lambda m: m.get("decrypted", {}).get("event_id") == sent))["decrypted"]
        self.assertEqual((decrypted["body"], decrypted["sender"], decrypted["wire_type"]),
                         ("hello js, from nio", alice.user_id, "m.room.encrypted"))
        await self.assert_encrypted_on_the_wire(alice, room_id, sent, "hello js, from nio")

        # js → nio: Alice decrypts the peer's message.
        await peer.command(cmd="send", body="hello nio, from js")
        reply = (await peer.expect("the sent event id", lambda m: m.get("body") == "hello nio, from js"))["sent"]
        received = await self.receive(alice, room_id, "hello nio, from js")
        self.assertEqual((received.event_id, received.sender, received.decrypted), (reply, carol_id, True))
        await self.assert_encrypted_on_the_wire(alice, room_id, reply, "hello nio, from js")

    async def test_device_lists_follow_new_devices_and_leaves(self):
        alice, bob = await self.client("alice"), await self.client("bob")
        start = (await self.sync(alice)).next_batch
        room_id = await self.encrypted_room(alice, bob.user_id)
        self.assertIsInstance(await bob.join(room_id), JoinResponse)
        self.assertIn(bob.user_id, (await self.sync(alice)).device_list.changed)
        self.assertEqual((await self.sync(alice)).device_list.changed, [])  # not repeated

        # A new device of Bob with keys: Alice hears of it in /sync and sees both devices in /keys/query.
        second = await self.login(bob.user.split(":")[0][1:])
        changed = (await self.sync(alice)).device_list.changed
        self.assertIn(bob.user_id, changed)
        status, keys = await self.request(alice, "POST", "/keys/query", {"device_keys": {bob.user_id: []}})
        self.assertEqual(status, 200, keys)
        self.assertLessEqual({bob.device_id, second.device_id}, set(keys["device_keys"][bob.user_id]))
        status, changes = await self.request(
            alice, "GET", f"/keys/changes?from={quote(start)}&to={quote(alice.next_batch)}")
        self.assertEqual(status, 200, changes)
        self.assertIn(bob.user_id, changes["changed"])

        # Bob leaves the only encrypted room they shared.
        self.assertIsInstance(await bob.room_leave(room_id), RoomLeaveResponse)
        self.assertIn(bob.user_id, (await self.sync(alice)).device_list.left)


if __name__ == "__main__":
    unittest.main()
