"""The media repository over raw HTTP: a 200 MB upload and download streamed with little memory,
hostile uploads (cut short, lying about their type, decompression bombs, too large), the
asynchronous create-then-upload rules, quotas, deletion by users, admins and the CLI, and the
frozen legacy endpoints."""
import hashlib
import http.client
import http.server
import json
import os
import struct
import threading
import time
import unittest
import urllib.parse
import zlib

import harness

V3 = "/_matrix/client/v3"
MEDIA = "/_matrix/media/v3"
V1_MEDIA = "/_matrix/client/v1/media"


def png_header_only(width, height):
    """A PNG whose header claims width x height but holds one row of pixel data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


class MediaServer:
    """A server with one user, and helpers to talk to its media API."""

    def __init__(self, **extra):
        self.server = harness.Server(extra=extra).start()
        token = self.server.registration_token()
        self.user = harness.register(self.server.url, "uploader", "pw-uploader-long", token)
        self.other = harness.register(self.server.url, "other", "pw-other-long", token)
        self.host, port = self.server.url.removeprefix("http://").rsplit(":", 1)
        self.port = int(port)

    def stop(self):
        self.server.stop()

    def upload(self, data, content_type="application/octet-stream", token=None, path=MEDIA + "/upload", method="POST"):
        return harness.request(self.server.url, method, path, token=token or self.user["access_token"], raw=data,
                               headers={"Content-Type": content_type})

    def get(self, path, token=None):
        return harness.request(self.server.url, "GET", path, token=token or self.user["access_token"])

    def media_path(self, mxc, kind="download"):
        return f"{V1_MEDIA}/{kind}/{mxc.removeprefix('mxc://')}"


class Media(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = MediaServer(max_upload_bytes=str(300 << 20))

    @classmethod
    def tearDownClass(cls):
        cls.m.stop()

    def test_200_mb_upload_and_download_stream_through_little_memory(self):
        size, chunk = 200 << 20, os.urandom(1 << 20)
        peak = [self.m.server.status_kb()]
        start = peak[0]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], self.m.server.status_kb())
                time.sleep(0.02)
        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            sent = hashlib.sha256()
            conn = http.client.HTTPConnection(self.m.host, self.m.port, timeout=120)
            conn.putrequest("POST", MEDIA + "/upload?filename=big.bin")
            conn.putheader("Authorization", "Bearer " + self.m.user["access_token"])
            conn.putheader("Content-Type", "application/octet-stream")
            conn.putheader("Content-Length", str(size))
            conn.endheaders()
            for _ in range(size // len(chunk)):
                conn.send(chunk)
                sent.update(chunk)
            response = conn.getresponse()
            body = response.read()
            self.assertEqual(response.status, 200, body)
            mxc = json.loads(body)["content_uri"]
            conn.request("GET", self.m.media_path(mxc), headers={"Authorization": "Bearer " + self.m.user["access_token"]})
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            self.assertEqual(int(response.getheader("Content-Length")), size)
            received = hashlib.sha256()
            while True:
                piece = response.read(1 << 20)
                if not piece:
                    break
                received.update(piece)
            self.assertEqual(received.hexdigest(), sent.hexdigest())
            conn.close()
        finally:
            done.set()
            sampler.join()
        growth_mb = (peak[0] - start) / 1024
        self.assertLess(growth_mb, 20, f"RSS grew by {growth_mb:.1f} MB")

    def test_hostile_uploads_are_answered_and_the_server_lives_on(self):
        # Cut short: the client promises 1 MB and hangs up after 100 kB; nothing is stored.
        before = self.m.get("/_myelin/media/v1/uploads")[1]["media"]
        conn = http.client.HTTPConnection(self.m.host, self.m.port, timeout=10)
        conn.putrequest("POST", MEDIA + "/upload")
        conn.putheader("Authorization", "Bearer " + self.m.user["access_token"])
        conn.putheader("Content-Length", str(1 << 20))
        conn.endheaders()
        conn.send(b"x" * 100_000)
        conn.close()
        time.sleep(0.2)
        self.assertEqual(self.m.get("/_myelin/media/v1/uploads")[1]["media"], before)

        # Lying about its type: stored and served as declared, never sniffed, not thumbnailed.
        status, body = self.m.upload(b"<script>alert(1)</script>", "image/png")
        self.assertEqual(status, 200)
        mxc = body["content_uri"]
        status, _ = self.m.get(self.m.media_path(mxc))
        self.assertEqual(status, 200)
        status, body = self.m.get(self.m.media_path(mxc, "thumbnail") + "?width=32&height=32&method=crop")
        self.assertEqual((status, body["errcode"]), (400, "M_UNKNOWN"))

        # A decompression bomb: the header says 30000 x 30000; refused before decoding.
        status, body = self.m.upload(png_header_only(30000, 30000), "image/png")
        started = time.monotonic()
        status, error = self.m.get(self.m.media_path(body["content_uri"], "thumbnail") + "?width=96&height=96")
        self.assertEqual((status, error["errcode"]), (413, "M_TOO_LARGE"))
        self.assertLess(time.monotonic() - started, 2)

        # Formats myelin does not thumbnail.
        for data, kind in ((b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "application/pdf"),
                           (b'<svg xmlns="http://www.w3.org/2000/svg" width="900" height="900"/>', "image/svg+xml")):
            status, body = self.m.upload(data, kind)
            status, error = self.m.get(self.m.media_path(body["content_uri"], "thumbnail") + "?width=32&height=32")
            self.assertEqual((status, error["errcode"]), (400, "M_UNKNOWN"))
        self.assertEqual(self.m.get(self.m.media_path(mxc, "thumbnail") + "?width=0&height=5")[0], 400)
        self.assertEqual(self.m.get(self.m.media_path(mxc, "thumbnail") + "?width=x&height=5")[0], 400)
        self.assertEqual(self.m.get(f"{V1_MEDIA}/download/localhost/no..such")[0], 404)
        self.assertEqual(self.m.get(f"{V1_MEDIA}/download/elsewhere.example/abc")[0], 404)
        self.assertEqual(self.m.get("/_matrix/client/v3/account/whoami")[0], 200)   # still serving

    def test_uploads_are_refused_before_their_body_is_read(self):
        tmp = os.path.join(self.m.server.dir, "media", "tmp")
        conn = http.client.HTTPConnection(self.m.host, self.m.port, timeout=10)
        conn.putrequest("POST", MEDIA + "/upload")   # no access token, 20 MB announced, none sent
        conn.putheader("Content-Length", str(20 << 20))
        conn.endheaders()
        response = conn.getresponse()
        self.assertEqual((response.status, json.loads(response.read())["errcode"]), (401, "M_MISSING_TOKEN"))
        conn.close()
        self.assertEqual(os.listdir(tmp), [])

    def test_head_and_ranges(self):
        status, body = self.m.upload(b"0123456789", "text/plain")
        path = self.m.media_path(body["content_uri"])
        auth = {"Authorization": "Bearer " + self.m.user["access_token"]}
        conn = http.client.HTTPConnection(self.m.host, self.m.port, timeout=10)
        conn.request("HEAD", path, headers=auth)
        response = conn.getresponse()
        self.assertEqual((response.status, response.getheader("Content-Length"), response.read()), (200, "10", b""))
        for asked, status, content in (("bytes=2-4", 206, b"234"), ("bytes=-3", 206, b"789"), ("bytes=99-", 416, b""),
                                       ("bytes=x", 200, b"0123456789")):
            conn.request("GET", path, headers={**auth, "Range": asked})
            response = conn.getresponse()
            self.assertEqual((response.status, response.read()), (status, content), asked)
        conn.close()

    def test_file_names_in_content_disposition(self):
        status, body = self.m.upload(b"hello", "text/plain")
        path = self.m.media_path(body["content_uri"])
        auth = {"Authorization": "Bearer " + self.m.user["access_token"]}
        conn = http.client.HTTPConnection(self.m.host, self.m.port, timeout=10)
        # A token goes bare (RFC 6266), anything else percent-encoded in filename*.
        for name, expected in (("", "inline"), ("/notes.txt", "inline; filename=notes.txt"),
                               ("/n%C3%A4me%20with%20spaces.txt", "inline; filename*=utf-8''n%C3%A4me%20with%20spaces.txt")):
            conn.request("GET", path + name, headers=auth)
            response = conn.getresponse()
            response.read()
            self.assertEqual((response.status, response.getheader("Content-Disposition")), (200, expected), name)
        conn.close()

    def test_async_uploads_follow_the_spec(self):
        status, created = harness.request(self.m.server.url, "POST", "/_matrix/media/v1/create",
                                          token=self.m.user["access_token"])
        self.assertEqual(status, 200)
        self.assertGreater(created["unused_expires_at"], time.time() * 1000)
        mxc = created["content_uri"]
        status, error = self.m.get(self.m.media_path(mxc))
        self.assertEqual((status, error["errcode"]), (504, "M_NOT_YET_UPLOADED"))
        put = f"{MEDIA}/upload/{mxc.removeprefix('mxc://')}"
        status, error = self.m.upload(b"theirs", token=self.m.other["access_token"], path=put, method="PUT")
        self.assertEqual((status, error["errcode"]), (403, "M_FORBIDDEN"))
        self.assertEqual(self.m.upload(b"mine", "text/plain", path=put, method="PUT")[0], 200)
        status, error = self.m.upload(b"again", path=put, method="PUT")
        self.assertEqual((status, error["errcode"]), (409, "M_CANNOT_OVERWRITE_MEDIA"))
        status, error = self.m.upload(b"x", path=f"{MEDIA}/upload/localhost/unknownid", method="PUT")
        self.assertEqual((status, error["errcode"]), (404, "M_NOT_FOUND"))

    def test_owners_and_admins_delete_uploads_others_cannot(self):
        status, body = self.m.upload(b"private notes", "text/plain")
        media_id = body["content_uri"].rsplit("/", 1)[1]
        path = f"/_myelin/media/v1/uploads/{media_id}"
        status, error = harness.request(self.m.server.url, "DELETE", path, token=self.m.other["access_token"])
        self.assertEqual((status, error["errcode"]), (404, "M_NOT_FOUND"))
        listed = self.m.get("/_myelin/media/v1/uploads?limit=1")[1]
        self.assertEqual(len(listed["media"]), 1)
        # Paging visits every upload once, newest first.
        seen, token = [], ""
        while True:
            page = self.m.get("/_myelin/media/v1/uploads?limit=2" + (f"&from={token}" if token else ""))[1]
            seen += [entry["media_id"] for entry in page["media"]]
            token = page.get("next_batch")
            if not token:
                break
        everything = self.m.get("/_myelin/media/v1/uploads?limit=1000")[1]["media"]
        self.assertEqual(seen, [entry["media_id"] for entry in everything])
        self.assertIn(media_id, seen)
        self.assertEqual(self.m.get("/_myelin/media/v1/uploads?from=nonsense")[0], 400)
        self.assertEqual(harness.request(self.m.server.url, "DELETE", path, token=self.m.user["access_token"])[0], 200)
        self.assertEqual(self.m.get(self.m.media_path(body["content_uri"]))[0], 404)
        # An admin may delete anyone's upload.
        status, body = self.m.upload(b"reported content", "text/plain")
        self.m.server.cli("user", "create", "--user", "moderator", "--password", "pw-moderator-long", "--admin")
        status, admin = harness.request(self.m.server.url, "POST", V3 + "/login", {
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": "moderator"},
            "password": "pw-moderator-long"})
        path = "/_myelin/media/v1/uploads/" + body["content_uri"].rsplit("/", 1)[1]
        self.assertEqual(harness.request(self.m.server.url, "DELETE", path, token=admin["access_token"])[0], 200)
        self.assertEqual(self.m.get(self.m.media_path(body["content_uri"]))[0], 404)


class MediaSettings(unittest.TestCase):
    def test_quota_oversize_cli_and_legacy_switch(self):
        m = MediaServer(max_upload_bytes="1000000", quota_bytes_per_user="1500000",
                        legacy_unauthenticated_download="true")
        try:
            status, first = m.upload(os.urandom(900_000))
            self.assertEqual(status, 200)
            status, error = m.upload(os.urandom(900_000))
            self.assertEqual((status, error["errcode"]), (403, "M_FORBIDDEN"))
            status, error = m.upload(os.urandom(1_000_001))
            self.assertEqual((status, error["errcode"]), (413, "M_TOO_LARGE"))
            self.assertEqual(m.get(f"{V1_MEDIA}/config")[1]["m.upload.size"], 1_000_000)
            # The legacy endpoint, switched on, serves without a login.
            legacy = f"{MEDIA}/download/{first['content_uri'].removeprefix('mxc://')}"
            self.assertEqual(harness.request(m.server.url, "GET", legacy)[0], 200)
            # The CLI: delete one upload, then purge everything before tomorrow.
            status, second = m.upload(b"small", "text/plain")
            m.server.cli("media", "delete", first["content_uri"])
            self.assertEqual(m.get(m.media_path(first["content_uri"]))[0], 404)
            tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400))
            self.assertIn("1 media deleted", m.server.cli("media", "purge", "--before", tomorrow))
            self.assertEqual(m.get(m.media_path(second["content_uri"]))[0], 404)
            content = os.path.join(m.server.dir, "media", "content")
            self.assertEqual([files for _, _, files in os.walk(content) if files], [])
        finally:
            m.stop()


class Page(http.server.BaseHTTPRequestHandler):
    """A third-party site on loopback: /page has Open Graph tags, /hop redirects to ::1."""

    def do_GET(self):
        if self.path == "/hop":
            self.send_response(302)
            self.send_header("Location", f"http://[::1]:{self.server.server_port}/page")
            self.end_headers()
            return
        body = (b'<html><head><title>ignored</title><meta property="og:title" content="Hello &amp; welcome">'
                b'<meta property="og:image" content="http://tracker.example/p.png"></head></html>')
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class UrlPreviews(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
        threading.Thread(target=cls.site.serve_forever, daemon=True).start()
        cls.page = f"http://127.0.0.1:{cls.site.server_port}/page"

    @classmethod
    def tearDownClass(cls):
        cls.site.shutdown()

    def preview(self, m, url):
        return m.get(f"{V1_MEDIA}/preview_url?url=" + urllib.parse.quote(url, safe=""))

    def test_previews_are_off_by_default(self):
        m = MediaServer()
        try:
            status, error = self.preview(m, self.page)
            self.assertEqual((status, error["errcode"]), (404, "M_UNRECOGNIZED"))
        finally:
            m.stop()

    def test_private_addresses_are_refused_unless_allowed(self):
        m = MediaServer(url_previews="true")
        try:
            status, error = self.preview(m, self.page)   # loopback: refused
            self.assertEqual((status, error["errcode"]), (403, "M_FORBIDDEN"))
            status, error = self.preview(m, "file:///etc/passwd")
            self.assertEqual((status, error["errcode"]), (400, "M_INVALID_PARAM"))
        finally:
            m.stop()
        m = MediaServer(url_previews="true", url_preview_ip_allowlist='"127.0.0.1/32"')
        try:
            status, preview = self.preview(m, self.page)
            self.assertEqual((status, preview), (200, {"og:title": "Hello & welcome"}))
            # A redirect is checked again: ::1 is not on the allow-list.
            status, error = self.preview(m, self.page.replace("/page", "/hop"))
            self.assertEqual((status, error["errcode"]), (403, "M_FORBIDDEN"))
        finally:
            m.stop()


if __name__ == "__main__":
    unittest.main()
