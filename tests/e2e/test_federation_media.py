"""Media over federation: alice on hs1 uploads, bob on hs2 downloads through hs2
(client-server-api GET /_matrix/client/v1/media/download|thumbnail/hs1.test/...), which fetches
it from hs1's federation media API (server-server-api "Content Repository", multipart/mixed,
X-Matrix as hs2) and caches it, so that it is still served with hs1 stopped. old.test, a fake
server written here, predates spec v1.11 for most media (it answers the federation media API
with 404 M_UNRECOGNIZED, and hs2 falls back to the deprecated /_matrix/media/v3/download with
allow_remote=false), and for some answers a multipart of its own making, or a Location that hs2
follows once. Concurrent downloads share one fetch; a file over hs2's upload limit is refused.
The unauthenticated endpoints never fetch remote media."""
import os
import struct
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import zlib

import federation
import harness

V1_MEDIA = "/_matrix/client/v1/media"
OLD_BYTES = bytes(range(256)) * 8
NEW_BYTES = b"\r\n--not-the-boundary\r\n" + bytes(range(256))
CDN_BYTES = b"GIF89a" + bytes(100)
MAX_UPLOAD = 1 << 20  # hs2's media.max_upload_bytes


def png(width, height):
    """A real RGB PNG, a gradient."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"".join(bytes((x * 4 % 256, y * 4 % 256, 128)) for x in range(width))
                    for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def get(base, path, token=None):
    """(status, headers, body bytes) of a GET."""
    req = urllib.request.Request(base + path)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=90) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class OldServer:
    """old.test: a TLS server on loopback that has only the deprecated media endpoints."""

    def __init__(self, ca, folder):
        self.requests = []  # (path with query, Authorization header)
        self.lock = threading.Lock()
        self.server = federation.PeerServer(folder, ca, "old.test", lambda handler, method: self.handle(handler),
                                            ips=("127.0.0.1",))
        self.port = self.server.port

    def close(self):
        self.server.close()

    def handle(self, handler):
        with self.lock:
            self.requests.append((handler.path, handler.headers.get("Authorization"), dict(handler.headers)))
        path, _, query = handler.path.partition("?")
        params = urllib.parse.parse_qs(query)
        if path == "/_matrix/media/v3/download/old.test/oldmedia" and params.get("allow_remote") == ["false"]:
            return self.reply(handler, 200, OLD_BYTES, "application/pdf", 'attachment; filename="old file.pdf"')
        if path == "/_matrix/media/v3/thumbnail/old.test/oldmedia" and params.get("allow_remote") == ["false"]:
            return self.reply(handler, 200, png(32, 32), "image/png")
        if path == "/_matrix/media/v3/download/old.test/slowmedia":
            time.sleep(1)
            return self.reply(handler, 200, OLD_BYTES, "application/octet-stream")
        if path == "/_matrix/media/v3/download/old.test/bigmedia":
            return self.reply(handler, 200, bytes(MAX_UPLOAD + 1), "application/octet-stream")
        if path == "/_matrix/federation/v1/media/download/newmedia":
            return self.multipart(handler, b"Content-Type: text/csv\r\nContent-Disposition: attachment; "
                                           b"filename=\"new.csv\"\r\n\r\n" + NEW_BYTES)
        if path == "/_matrix/federation/v1/media/download/redirected":
            return self.multipart(handler, b"Location: https://127.0.0.1:%d/cdn/redirected?sig=1\r\n\r\n" % self.port)
        if path == "/cdn/redirected" and params.get("sig") == ["1"]:
            return self.reply(handler, 200, CDN_BYTES, "image/gif", "inline; filename=cdn.gif")
        if path.startswith("/_matrix/media/v3/"):
            return self.reply(handler, 404, b'{"errcode":"M_NOT_FOUND","error":"no"}', "application/json")
        return self.reply(handler, 404, b'{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}',
                          "application/json")

    def multipart(self, handler, second_part):
        """A federation media answer written here: a preamble, the metadata, `second_part`."""
        body = (b"preamble\r\n--py-boundary\r\nContent-Type: application/json\r\n\r\n{\"x\": 1}\r\n--py-boundary\r\n"
                + second_part + b"\r\n--py-boundary--\r\n")
        return self.reply(handler, 200, body, 'multipart/mixed; boundary="py-boundary"')

    def reply(self, handler, status, data, content_type, disposition=None):
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        if disposition:
            handler.send_header("Content-Disposition", disposition)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        try:
            handler.wfile.write(data)
        except OSError:  # the reader hung up (an answer too large for it)
            handler.close_connection = True

    def seen(self):
        with self.lock:
            return list(self.requests)


class FederatedMedia(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        folder = tempfile.mkdtemp(prefix="myelin-pki-")
        ca = federation.make_ca(folder)
        cls.old = OldServer(ca, folder)
        # hs2 serves the deprecated endpoints (to show they still never fetch remote media).
        cls.servers, _ = federation.federated_servers(
            ca=ca, others={"old.test": cls.old.port},
            per_server={"hs2.test": {"legacy_unauthenticated_download": "true", "max_upload_bytes": str(MAX_UPLOAD),
                                     "ip_allowlist": '"127.0.0.1/32"'}})
        cls.hs1, cls.hs2 = cls.servers
        cls.alice = harness.User(cls.hs1, "alice", cls.hs1.registration_token())
        cls.bob = harness.User(cls.hs2, "bob", cls.hs2.registration_token())

    @classmethod
    def tearDownClass(cls):
        federation.stop_all(cls.servers)
        cls.old.close()

    def upload(self, data, content_type, name):
        status, body = harness.request(self.hs1.url, "POST", "/_matrix/media/v3/upload?filename=" + name,
                                       token=self.alice.token, raw=data, headers={"Content-Type": content_type})
        self.assertEqual(status, 200, body)
        return body["content_uri"].removeprefix("mxc://")  # hs1.test/<id>

    def test_a_remote_upload_downloads_through_our_server(self):
        image = png(64, 48)
        mxc = self.upload(image, "image/png", "cat.png")
        status, headers, body = get(self.hs2.url, f"{V1_MEDIA}/download/{mxc}", self.bob.token)
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(body, image)
        self.assertEqual(headers["Content-Type"], "image/png")
        self.assertIn("filename=cat.png", headers["Content-Disposition"])
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        # With a file name of the client's choosing.
        status, headers, body = get(self.hs2.url, f"{V1_MEDIA}/download/{mxc}/other.png", self.bob.token)
        self.assertEqual((status, body), (200, image))
        self.assertIn("other.png", headers["Content-Disposition"])

    def test_a_remote_thumbnail(self):
        mxc = self.upload(png(400, 300), "image/png", "big.png")
        status, headers, body = get(self.hs2.url, f"{V1_MEDIA}/thumbnail/{mxc}?width=32&height=32&method=crop",
                                    self.bob.token)
        self.assertEqual(status, 200, body[:200])
        self.assertIn(headers["Content-Type"], ("image/png", "image/jpeg", "image/webp"))
        self.assertTrue(body.startswith(b"\x89PNG") or body.startswith(b"\xff\xd8") or body.startswith(b"RIFF"))
        self.assertLess(len(body), len(png(400, 300)))

    def test_unknown_remote_media_is_not_found(self):
        status, _, body = get(self.hs2.url, f"{V1_MEDIA}/download/hs1.test/doesNotExist", self.bob.token)
        self.assertEqual(status, 404, body)
        self.assertIn(b"M_NOT_FOUND", body)
        status, _, body = get(self.hs2.url, f"{V1_MEDIA}/thumbnail/hs1.test/doesNotExist?width=32&height=32",
                              self.bob.token)
        self.assertEqual(status, 404, body)

    def test_deleted_media_is_not_served_to_other_servers(self):
        mxc = self.upload(b"\x00\x01gone soon", "application/octet-stream", "gone.bin")
        media_id = mxc.split("/")[1]
        status, _ = self.alice.call("DELETE", "/_myelin/media/v1/uploads/" + media_id, prefix="")
        self.assertEqual(status, 200)
        status, _, body = get(self.hs2.url, f"{V1_MEDIA}/download/{mxc}", self.bob.token)
        self.assertEqual(status, 404, body)

    def test_the_federation_media_api_needs_a_signature(self):
        mxc = self.upload(b"\x00secret", "application/octet-stream", "s.bin")
        status, _, _ = get(self.hs1.url, "/_matrix/federation/v1/media/download/" + mxc.split("/")[1])
        self.assertEqual(status, 401)

    def test_the_legacy_unauthenticated_endpoints_never_fetch_remote_media(self):
        mxc = self.upload(b"\x00\x02never fetched", "application/octet-stream", "n.bin")
        before = len(self.old.seen())
        for path in (f"/_matrix/media/v3/download/{mxc}", "/_matrix/media/v3/download/old.test/oldmedia",
                     "/_matrix/media/v3/thumbnail/old.test/oldmedia?width=32&height=32"):
            status, _, body = get(self.hs2.url, path)
            self.assertEqual(status, 404, (path, body))
        self.assertEqual(len(self.old.seen()), before)
        # Local media is still served there (the setting is on for hs2).
        status, body = harness.request(self.hs2.url, "POST", "/_matrix/media/v3/upload", token=self.bob.token,
                                       raw=b"\x00local", headers={"Content-Type": "application/octet-stream"})
        status, _, data = get(self.hs2.url, "/_matrix/media/v3/download/" + body["content_uri"].removeprefix("mxc://"))
        self.assertEqual((status, data), (200, b"\x00local"))

    def test_an_old_server_is_asked_through_the_deprecated_endpoint(self):
        status, headers, body = get(self.hs2.url, f"{V1_MEDIA}/download/old.test/oldmedia", self.bob.token)
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(body, OLD_BYTES)
        self.assertEqual(headers["Content-Type"], "application/pdf")
        self.assertIn("attachment", headers["Content-Disposition"])
        self.assertIn("old%20file.pdf", headers["Content-Disposition"])
        seen = [entry for entry in self.old.seen() if "oldmedia" in entry[0]]
        self.assertEqual(len(seen), 2, seen)
        (first, first_auth, _), (second, second_auth, _) = seen
        self.assertEqual(first, "/_matrix/federation/v1/media/download/oldmedia")
        self.assertTrue(first_auth.startswith("X-Matrix "), first_auth)
        self.assertIn('origin="hs2.test"', first_auth)
        self.assertIn('destination="old.test"', first_auth)
        self.assertTrue(second.startswith("/_matrix/media/v3/download/old.test/oldmedia?"), second)
        self.assertIn("allow_remote=false", second)
        self.assertIsNone(second_auth)
        # Nothing about bob went to the other server.
        for path, auth, headers_sent in self.old.seen():
            self.assertNotIn("bob", path + str(auth) + str(headers_sent))
        # The thumbnail too, then both from the cache.
        status, headers, body = get(self.hs2.url, f"{V1_MEDIA}/thumbnail/old.test/oldmedia?width=30&height=30",
                                    self.bob.token)
        self.assertEqual((status, headers["Content-Type"]), (200, "image/png"))
        count = len(self.old.seen())
        self.assertEqual(get(self.hs2.url, f"{V1_MEDIA}/download/old.test/oldmedia", self.bob.token)[2], OLD_BYTES)
        self.assertEqual(len(self.old.seen()), count)

    def test_a_multipart_answer_of_another_making(self):
        status, headers, body = get(self.hs2.url, f"{V1_MEDIA}/download/old.test/newmedia", self.bob.token)
        self.assertEqual((status, body), (200, NEW_BYTES))
        self.assertEqual(headers["Content-Type"], "text/csv")
        self.assertIn("new.csv", headers["Content-Disposition"])
        self.assertFalse([p for p, _, _ in self.old.seen() if p.startswith("/_matrix/media/v3/download/old.test/newmedia")])

    def test_a_location_is_followed_once_without_a_signature(self):
        status, headers, body = get(self.hs2.url, f"{V1_MEDIA}/download/old.test/redirected", self.bob.token)
        self.assertEqual((status, body), (200, CDN_BYTES))
        self.assertEqual(headers["Content-Type"], "image/gif")
        cdn = [(p, auth) for p, auth, _ in self.old.seen() if p.startswith("/cdn/")]
        self.assertEqual(cdn, [("/cdn/redirected?sig=1", None)])

    def test_concurrent_downloads_share_one_fetch(self):
        results = []

        def download():
            results.append(get(self.hs2.url, f"{V1_MEDIA}/download/old.test/slowmedia", self.bob.token))
        threads = [threading.Thread(target=download) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual([(status, body) for status, _, body in results], [(200, OLD_BYTES)] * 5)
        asked = [p for p, _, _ in self.old.seen() if "slowmedia" in p]
        self.assertEqual(len(asked), 2, asked)  # the federation API once, the fallback once

    def test_a_remote_file_over_the_upload_limit_is_refused(self):
        status, _, body = get(self.hs2.url, f"{V1_MEDIA}/download/old.test/bigmedia", self.bob.token)
        self.assertEqual(status, 502, body[:200])
        self.assertIn(b"M_TOO_LARGE", body)

    def test_an_unknown_server_cannot_be_reached(self):
        status, _, body = get(self.hs2.url, f"{V1_MEDIA}/download/nowhere.invalid/abc", self.bob.token)
        self.assertEqual(status, 502, body)

    def test_zz_the_cache_serves_with_the_origin_stopped(self):
        data = os.urandom(300_000)
        mxc = self.upload(data, "application/octet-stream", "random.bin")
        status, _, body = get(self.hs2.url, f"{V1_MEDIA}/download/{mxc}", self.bob.token)
        self.assertEqual((status, body), (200, data))
        self.hs1.stop()
        status, headers, body = get(self.hs2.url, f"{V1_MEDIA}/download/{mxc}", self.bob.token)
        self.assertEqual((status, body), (200, data))
        self.assertEqual(headers["Content-Type"], "application/octet-stream")
        # Not cached: the origin is needed, and it is gone.
        status, _, _ = get(self.hs2.url, f"{V1_MEDIA}/download/hs1.test/neverSeen", self.bob.token)
        self.assertEqual(status, 502)


if __name__ == "__main__":
    unittest.main()
