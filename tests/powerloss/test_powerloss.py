"""Acknowledged writes survive a power cut.

The server runs on a simulated disk with a volatile write cache (volatile_cache.c, LD_PRELOAD):
a write reaches the disk only when its file is fsynced. Several threads send messages, set
account data and send state events while another reads the room; the power is cut mid-stream
(kill -9, then power_cut.cut drops every write not fsynced), the server restarts on the same
data folder without the shim, and every write answered 200, and every message the reader saw,
must be there.

- VolatileCache: the shim itself keeps exactly the fsynced data (so a broken shim cannot make
  the server's test pass), and SQLite on it keeps a commit exactly when its WAL was fsynced
  (also through another fd from another thread, as a group commit does).
- DurableByDefault: the default configuration loses no acknowledged write.
- DurableMedia: uploaded media survive with their record.
- NotDurableByChoice: with storage.fsync_every_commit: false (the documented trade-off) writes
  are lost, so the test can fail and the shim does drop what was not synced.
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import unittest

import harness
import power_cut

V3 = "/_matrix/client/v3"
WRITES = 1500  # acknowledged writes from the threads before the probes (several WAL checkpoints)
PROBES = 10  # sequential writes at the end, each watched for an fsync during its request


class Run:
    """One server on the simulated disk: its acknowledged writes, then the cut and what survived."""

    def __init__(self, test, extra=None):
        self.server = harness.Server(extra=extra)
        test.addCleanup(self.server.stop)
        with open(self.server.config) as file:
            config = file.read()
        for key, value in (extra or {}).items():
            assert f"{key}: {value}\n" in config, f"the config has no {key}"
        self.shadow = self.server.dir + "-shadow"
        # Every process that writes the folder must run on the simulated disk: the token is made
        # (by the CLI, in the database) before the server starts on it.
        token = self.server.registration_token()
        self.server.start(env=power_cut.shim_env(self.server.dir, self.shadow))
        # The database is open for writing: without a manifest the shim is not there, and a cut
        # would drop nothing.
        assert os.path.exists(os.path.join(self.shadow, "manifest")), "the shim is not loaded"
        self.user = harness.User(self.server, "power", token)
        self.room = self.user.ok("POST", "/createRoom", {"name": "power"})["room_id"]
        self.acknowledged, self.lock, self.stop = {}, threading.Lock(), threading.Event()
        self.observed = {}  # messages a reader saw: body -> event ID
        self.unsynced_probes = []  # probes answered 200 with no fsync during their request

    def write(self, key):
        """One write, named by key: (kind, name). Records it when it is answered 200."""
        kind, name = key
        room = harness.quote(self.room)
        if kind == "message":
            path, body = f"/rooms/{room}/send/m.room.message/{name}", {"msgtype": "m.text", "body": name}
        elif kind == "account_data":
            path, body = f"/user/{harness.quote(self.user.user_id)}/account_data/m.powerloss.{name}", {"n": name}
        else:
            path, body = f"/rooms/{room}/state/m.powerloss/{name}", {"n": name}
        status, reply = harness.request(self.server.url, "PUT", V3 + path, body, self.user.token, timeout=10)
        if status == 200:
            with self.lock:
                self.acknowledged[key] = reply.get("event_id") if reply else None
        return status == 200

    def reader(self):
        """Reads the room's latest messages until the power goes: what a reader saw must survive."""
        while not self.stop.is_set():
            try:
                status, page = self.user.call("GET", f"/rooms/{harness.quote(self.room)}/messages?dir=b&limit=20")
            except OSError:
                return
            if status == 200:
                with self.lock:
                    self.observed.update((event["content"]["body"], event["event_id"]) for event in page["chunk"]
                                         if event["type"] == "m.room.message")

    def writer(self, worker):
        kinds = ["message"] if worker < 3 else ["account_data", "state"]
        for i in range(100000):
            if self.stop.is_set():
                return
            try:
                self.write((kinds[i % len(kinds)], f"w{worker}-{i}"))
            except OSError:
                return  # the power is off

    def syncs(self):
        path = os.path.join(self.shadow, "syncs")
        return os.path.getsize(path) if os.path.exists(path) else 0

    def cut_mid_stream(self, quiet_probes):
        """Writes from four threads (and a reader), then PROBES sequential writes, each watched for an fsync during
        its request, then the power cut. quiet_probes: the threads stop before the probes, and the
        cut follows the first probe answered without an fsync (nothing else writes, so it is not on
        the disk); otherwise the probes run beside the threads and the cut comes mid-stream."""
        threads = [threading.Thread(target=self.writer, args=(w,)) for w in range(4)]
        threads.append(threading.Thread(target=self.reader))
        for thread in threads:
            thread.start()
        harness.wait_until(lambda: len(self.acknowledged) >= WRITES, timeout=40)
        if quiet_probes:
            self.stop_writers(threads)
        for i in range(PROBES):
            before = self.syncs()
            if self.write(("message", f"probe-{i}")) and self.syncs() == before:
                self.unsynced_probes.append(("message", f"probe-{i}"))
                if quiet_probes:
                    break
        self.cut_power()
        self.stop_writers(threads)

    def cut_power(self):
        self.server.stop(kill=True)
        power_cut.cut(self.server.dir, self.shadow)

    def restart(self):
        """The server again, on the same folder, without the shim."""
        self.server.start()
        self.user.url = self.server.url  # a new port

    def stop_writers(self, threads):
        self.stop.set()
        for thread in threads:
            thread.join()

    def lost(self):
        """The acknowledged writes the restarted server does not have."""
        self.restart()
        status, _ = self.user.call("GET", "/account/whoami")
        if status != 200:
            return list(self.acknowledged) + [("account", self.user.name)]
        seen, room = self.messages(), harness.quote(self.room)
        lost = []
        for (kind, name), event_id in self.acknowledged.items():
            if kind == "message":
                ok = seen.get(name) == event_id
            elif kind == "account_data":
                status, content = self.user.call("GET", f"/user/{harness.quote(self.user.user_id)}/account_data/"
                                                 f"m.powerloss.{name}")
                ok = status == 200 and content == {"n": name}
            else:
                status, content = self.user.call("GET", f"/rooms/{room}/state/m.powerloss/{name}")
                ok = status == 200 and content == {"n": name}
            if not ok:
                lost.append((kind, name))
        # Nobody may see a write before it is durable: what a reader saw counts as acknowledged.
        lost += [("seen", body) for body, event_id in self.observed.items() if seen.get(body) != event_id]
        return lost

    def messages(self):
        seen, token_from = {}, None
        while True:
            query = "?dir=b&limit=1000" + (f"&from={token_from}" if token_from else "")
            status, page = self.user.call("GET", f"/rooms/{harness.quote(self.room)}/messages{query}")
            if status != 200:
                return seen  # the room is gone: every message in it is lost
            for event in page["chunk"]:
                if event["type"] == "m.room.message":
                    seen[event["content"]["body"]] = event["event_id"]
            if "end" not in page:
                return seen
            token_from = page["end"]


class DurableByDefault(unittest.TestCase):
    def test_acknowledged_writes_survive_a_power_cut(self):
        run = Run(self)
        run.cut_mid_stream(quiet_probes=False)
        lost = run.lost()
        self.assertEqual(len(lost), 0, f"{len(lost)} lost ({len(run.acknowledged)} writes acknowledged, "
                                       f"{len(run.observed)} messages seen): {lost[:5]}")
        # Beside the threads' fsyncs this is a weak check; the quiet control shows what it catches.
        self.assertEqual(run.unsynced_probes, [], "answered 200 before anything was fsynced")
        status, reply = run.user.call("PUT", f"/rooms/{harness.quote(run.room)}/send/m.room.message/after",
                                      {"msgtype": "m.text", "body": "after"})
        self.assertEqual(status, 200, reply)


class NotDurableByChoice(unittest.TestCase):
    def test_without_fsync_acknowledged_writes_are_lost(self):
        run = Run(self, extra={"fsync_every_commit": "false"})
        run.cut_mid_stream(quiet_probes=True)
        self.assertNotEqual(run.unsynced_probes, [], f"all {PROBES} probes were fsynced")
        self.assertIn(run.unsynced_probes[0], run.lost(), "a write answered without an fsync survived the power cut")


class DurableMedia(unittest.TestCase):
    """Uploads are acknowledged writes too: their bytes must survive with their record."""

    def test_uploads_survive_a_power_cut(self):
        run = Run(self)
        uploads = {}
        for i in range(3):
            content = b"upload %d " % i * 100
            status, body = run.user.call("POST", f"/upload?filename=u{i}.txt", raw=content, prefix="/_matrix/media/v3",
                                         headers={"Content-Type": "text/plain"})
            self.assertEqual(status, 200, body)
            uploads[body["content_uri"]] = content
        run.cut_power()
        run.restart()
        lost = [uri for uri, content in uploads.items() if self.download(run.user, uri) != content]
        self.assertEqual(lost, [], f"{len(lost)} of {len(uploads)} acknowledged uploads lost")

    def download(self, user, uri):
        try:
            status, content = user.call("GET", "/download/" + uri[len("mxc://"):], prefix="/_matrix/client/v1/media")
        except OSError:  # the connection closed without an answer
            return None
        return content if status == 200 else None


CHILD = r"""
import ctypes, os, threading

def put(name, data, flags=os.O_WRONLY | os.O_CREAT):
    fd = os.open(name, flags, 0o600)
    os.write(fd, data)
    return fd

fd = put("a", b"synced-1"); os.fsync(fd); os.pwrite(fd, b"XXXXXX", 0); os.write(fd, b"-unsynced")
put("b", b"never synced")
fd = put("c", b"c1"); os.fdatasync(os.open("c", os.O_RDONLY)); os.write(fd, b"c2")  # fsync is per inode
fd = put("d", b"renamed"); os.fsync(fd); os.rename("d", "d2")
fd = put("e", b"deleted"); os.fsync(fd); os.unlink("e")
fd = put("f", b"0123456789"); os.fsync(fd); os.ftruncate(fd, 4)
fd = put("g", b"0123456789"); os.fsync(fd); os.ftruncate(fd, 4); os.ftruncate(fd, 10); os.fsync(fd)
put("old", b"new", os.O_WRONLY | os.O_TRUNC)
os.mkdir("sub"); fd = put("sub/x", b"in a folder"); os.fsync(fd)
put("t.tmp", b"unsynced, then renamed"); os.rename("t.tmp", "t")
fd = put("db-shm", b"shared memory"); os.fsync(fd)

def appender(worker, fd, lines):
    for i in range(lines):
        os.write(fd, b"%d-%04d\n" % (worker, i))

def positioned(worker, fd, first, last):
    for i in range(first, last):
        os.pwrite(fd, b"%d%07d" % (worker, i), (i * 4 + worker) * 8)

def together(target, args):
    threads = [threading.Thread(target=target, args=(w,) + args) for w in range(4)]
    for thread in threads: thread.start()
    for thread in threads: thread.join()

log = os.open("log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
blocks = os.open("blocks", os.O_RDWR | os.O_CREAT, 0o600)
together(appender, (log, 500)); together(positioned, (blocks, 0, 500))
os.fsync(log); os.fsync(blocks)
together(appender, (log, 100)); together(positioned, (blocks, 500, 600))

libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
stdio = libc.fopen(b"stdio", b"w")
libc.fputs(b"through stdio", ctypes.c_void_p(stdio)); libc.fflush(ctypes.c_void_p(stdio))
os.fsync(libc.fileno(ctypes.c_void_p(stdio)))
libc.fputs(b", unsynced", ctypes.c_void_p(stdio)); libc.fflush(ctypes.c_void_p(stdio))
os._exit(0)  # the power goes: nothing is closed
"""


SQLITE_CHILD = r"""
import os, sqlite3, sys, threading
sync, acked = sys.argv[1] == "sync", open(sys.argv[2], "w")  # the acknowledgements: outside the folder
db = sqlite3.connect("x.db", isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = NORMAL")  # syncs at checkpoints only
db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)")
db.execute("PRAGMA wal_checkpoint")
wal = os.open("x.db-wal", os.O_RDONLY)
for batch in range(401):
    if batch == 400:
        db.execute("PRAGMA wal_autocheckpoint = 0")  # the last batch: no checkpoint syncs it
    keys = [f"{batch}-{i}" for i in range(5)]
    db.execute("BEGIN")
    for key in keys:
        db.execute("INSERT INTO t VALUES (?, ?)", (key, os.urandom(300)))
    db.execute("COMMIT")
    if sync:  # the WAL made durable by another thread through its own fd, before the answer
        thread = threading.Thread(target=os.fdatasync, args=(wal,))
        thread.start()
        thread.join()
    acked.write("".join(key + "\n" for key in keys))
    acked.flush()
os._exit(0)
"""


class VolatileCache(unittest.TestCase):
    def test_sqlite_commits_survive_when_their_wal_is_fsynced(self):
        for mode in ("sync", "nosync"):
            data = tempfile.mkdtemp(prefix="myelin-powerloss-")
            self.addCleanup(shutil.rmtree, data)
            acked = data + "-acked"
            self.addCleanup(os.remove, acked)
            subprocess.run([sys.executable, "-c", SQLITE_CHILD, mode, acked], cwd=data, check=True,
                           env={**os.environ, **power_cut.shim_env(data, data + "-shadow")})
            power_cut.cut(data, data + "-shadow")
            db = sqlite3.connect(os.path.join(data, "x.db"))
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            kept = {row[0] for row in db.execute("SELECT k FROM t")}
            db.close()
            with open(acked) as file:
                lost = [key for key in file.read().split() if key not in kept]
            if mode == "sync":
                self.assertEqual(lost, [])
            else:
                self.assertLessEqual({f"400-{i}" for i in range(5)}, set(lost))

    def test_only_fsynced_writes_survive_the_cut(self):
        data = tempfile.mkdtemp(prefix="myelin-powerloss-")
        self.addCleanup(shutil.rmtree, data)
        shadow = data + "-shadow"
        for name, content in (("old", b"old content"), ("keep", b"never opened for writing")):
            with open(os.path.join(data, name), "wb") as file:
                file.write(content)
        subprocess.run([sys.executable, "-c", CHILD], cwd=data, check=True,
                       env={**os.environ, **power_cut.shim_env(data, shadow)})
        self.assertEqual(self.read(data, "a"), b"XXXXXX-1-unsynced")  # the process saw its writes
        self.assertEqual(len(self.read(data, "log")), 4 * 600 * 7)
        self.assertEqual(self.read(data, "stdio"), b"through stdio, unsynced")

        power_cut.cut(data, shadow)
        log = self.read(data, "log")
        self.assertEqual(sorted(log.splitlines()), sorted(b"%d-%04d" % (w, i) for w in range(4) for i in range(500)))
        blocks = self.read(data, "blocks")
        self.assertEqual(blocks, b"".join(b"%d%07d" % (i % 4, i // 4) for i in range(4 * 500)))
        self.assertEqual({name: self.read(data, name) for name in self.listing(data) - {"log", "blocks"}}, {
            "a": b"synced-1",
            "c": b"c1",
            "d2": b"renamed",
            "f": b"0123456789",
            "g": b"0123" + bytes(6),
            "old": b"old content",
            "keep": b"never opened for writing",
            os.path.join("sub", "x"): b"in a folder",
            "stdio": b"through stdio",
        })

    def read(self, folder, name):
        with open(os.path.join(folder, name), "rb") as file:
            return file.read()

    def listing(self, folder):
        return {os.path.relpath(os.path.join(root, name), folder) for root, _, names in os.walk(folder)
                for name in names}


if __name__ == "__main__":
    unittest.main()
