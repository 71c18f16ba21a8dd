"""myelin load harness. Starts a fresh server on loopback ($MYELIN_BIN or build/myelin) and
measures, with wrk (sends, to-device, download) and bench's sync_bench (long-polling /sync):
messages/s and send latency with 1, 10 and 50 senders in their own rooms and in one shared
room; /sync wake-up idle and under the 50-sender load; fan-out of one message to rooms of 2,
100 and 1,000 members, each with a /sync open; initial sync of an account in 500 rooms;
to-device messages/s; keys/claim; media download; thumbnails; search latency over a room of
100,000 messages; RSS. Every figure comes with
the server's CPU time (utime+stime from /proc/<pid>/stat over its phase, per message), the
clients' and everyone else's CPU over the phase and the load average when it began. Prints one
markdown table. See bench/README.md."""
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import harness  # noqa: E402
from client import Client, populate, upload_keys  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))  # each wrk phase
SENDERS = [int(n) for n in os.environ.get("BENCH_SENDERS", "1,10,50").split(",")]
MEMBERS = [int(n) for n in os.environ.get("BENCH_MEMBERS", "2,100,1000").split(",")]
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "200"))  # /sync wake-ups, keys/claims
FANOUT_MESSAGES = int(os.environ.get("BENCH_FANOUT_MESSAGES", "10"))
ROOMS = int(os.environ.get("BENCH_ROOMS", "500"))  # of the initial-sync account
SEARCH_MESSAGES = int(os.environ.get("BENCH_SEARCH_MESSAGES", "100000"))  # in the searched room
SYNC_BENCH = os.environ.get("SYNC_BENCH", os.path.join(HERE, "..", "build", "bench", "sync_bench"))
TICK = os.sysconf("SC_CLK_TCK")
MESSAGE = json.dumps({"msgtype": "m.text", "body": "a bench message of an ordinary length, forty-odd bytes"})


def client_cpu():
    """CPU seconds of this script and of its children that ended (wrk, sync_bench, vips)."""
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF,
                                                                        resource.RUSAGE_CHILDREN)))


def machine_cpu():
    """(busy, total) CPU seconds of the whole machine since boot, all cores (/proc/stat)."""
    with open("/proc/stat") as stat:
        values = [int(v) / TICK for v in stat.readline().split()[1:8]]
    return sum(values) - values[3] - values[4], sum(values)  # busy: neither idle nor iowait


class Phase:
    """Over a `with` block: the server's CPU seconds, the clients' (share of one core), everyone
    else's (in cores: the other engineers), the wall time; and the load average at entry."""

    def __init__(self, pid):
        self.pid = pid

    def cpu(self):
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime

    def __enter__(self):
        self.load = os.getloadavg()[0]
        self.cpu_start, self.client_start, self.started = self.cpu(), client_cpu(), time.monotonic()
        self.machine_start = machine_cpu()[0]
        return self

    def __exit__(self, *exc):
        self.seconds = self.cpu() - self.cpu_start
        self.wall = time.monotonic() - self.started
        client = client_cpu() - self.client_start
        self.client = client / self.wall
        self.others = max(0.0, machine_cpu()[0] - self.machine_start - self.seconds - client) / self.wall

    def per(self, count, unit="msg"):
        return per(self.seconds, count, unit)


def per(seconds, count, unit="msg"):
    """Server CPU seconds per counted thing, as text; the kernel counts in ticks (10 ms)."""
    if not count:
        return "-"
    value, bound = seconds / count, ""
    if not value:  # less than one tick
        value, bound = 1 / TICK / count, "< "
    return bound + (f"{value * 1e6:.0f} µs/{unit}" if value < 1e-3 else f"{value * 1e3:.2f} ms/{unit}")


class Bench:
    def __init__(self, server):
        self.server, self.rows, self.folder = server, [], tempfile.mkdtemp(prefix="myelin-bench-")
        self.port = int(server.url.rsplit(":", 1)[1])

    def row(self, figure, value, phase, cpu):
        self.rows.append((figure, value, cpu, f"{phase.client * 100:.0f} %", f"{phase.load:.2f}; {phase.others:.2f}"))

    def phase(self):
        return Phase(self.server.process.pid)

    def wrk(self, name, lines, connections, seconds, background=False):
        """Runs wrk -t1 over the request list (one tab-separated request a line, see load.lua)."""
        path = os.path.join(self.folder, name + ".requests")
        with open(path, "w") as file:
            file.write("".join("\t".join(line) + "\n" for line in lines))
        command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s",
                   os.path.join(HERE, "load.lua"), self.server.url, "--", path, f"{name}-{time.time_ns()}-"]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        return process if background else wrk_result(process)

    def sync_bench(self, room, sender, members, messages, pause_ms):
        path = os.path.join(self.folder, "members")
        with open(path, "w") as file:
            file.write("".join(token + "\n" for token in members))
        out = subprocess.run([SYNC_BENCH, "--port", str(self.port), "--room", room, "--sender", sender,
                              "--members", path, "--messages", str(messages), "--pause-ms", str(pause_ms),
                              "--server-pid", str(self.server.process.pid)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return json.loads(out.stdout)

    def rss(self):
        """VmRSS, and its parts: the heap and other private memory, and mapped files (the binary,
        its libraries: pages shared with every process that maps them)."""
        return (f"{self.status('VmRSS'):.1f} MB ({self.status('RssAnon'):.1f} MB anonymous,"
                f" {self.status('RssFile'):.1f} MB files)")

    def status(self, field):
        with open(f"/proc/{self.server.process.pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return 0.0


def wrk_result(process):
    out, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError("wrk failed: " + out)
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])


def spurious(result):
    """Syncs answered without the message (woken by something else) are parked again; said when any."""
    return f"; {result['spurious']} spurious wake-ups" if result["spurious"] else ""


def send_lines(senders, rooms):
    return [("PUT", f"/_matrix/client/v3/rooms/{harness.quote(room)}/send/m.room.message/{{txn}}", s["access_token"],
             MESSAGE) for s, room in zip(senders, rooms)]


def machine_busy(seconds=1.0):
    """Share of all cores busy (every process) over `seconds`: the other engineers' load."""
    busy0, total0 = machine_cpu()
    time.sleep(seconds)
    busy1, total1 = machine_cpu()
    return (busy1 - busy0) / max(1e-9, total1 - total0)


def sends(bench, users):
    """messages/s and send latency: each sender in its own room, then all in one shared room."""
    own = users["own_rooms"]
    for count in SENDERS:
        layouts = [("own room" + "s" * (count > 1), own[:count])]
        if count > 1:
            layouts.append(("one shared room", [users["shared"]] * count))
        for layout, rooms in layouts:
            with bench.phase() as phase:
                result = bench.wrk(f"send{count}", send_lines(users["senders"][:count], rooms), count, SECONDS)
            rate = result["requests"] / (result["duration_us"] / 1e6)
            bench.row(f"send, {count} sender{'s' if count > 1 else ''}, {layout}",
                      f"{rate:,.0f} msg/s; p50 {result['p50_us'] / 1e3:.2f} ms, p99 {result['p99_us'] / 1e3:.2f} ms;"
                      f" {result['errors']} errors", phase, phase.per(result["requests"]))


def wakeups(bench, users):
    """/sync wake-up: one receiver's long poll, one message at a time; idle, then under load."""
    room, sender, receiver = users["wake_room"], users["owner"]["access_token"], users["receiver"]["access_token"]
    with bench.phase() as phase:
        result = bench.sync_bench(room, sender, [receiver], SAMPLES, 5)
    bench.row("/sync wake-up, idle", wakeup_value(result), phase, per(result["server_cpu_ms"] / 1e3, SAMPLES))
    count = max(SENDERS)
    with bench.phase() as phase:  # the load runs until the samples are taken (wrk stops on SIGINT)
        load = bench.wrk("wakeload", send_lines(users["senders"][:count], users["own_rooms"][:count]), count, 600,
                         background=True)
        time.sleep(1)
        result = bench.sync_bench(room, sender, [receiver], SAMPLES, 5)
        load.send_signal(signal.SIGINT)
        sent = wrk_result(load)
    bench.row(f"/sync wake-up, under {count}-sender load", wakeup_value(result) +
              f"; {sent['requests'] / (sent['duration_us'] / 1e6):,.0f} msg/s beside", phase,
              phase.per(sent["requests"] + SAMPLES))


def wakeup_value(result):
    write, answer = result["write"], result["answer"]
    return (f"p50 {write['each_p50']:.2f} ms, p99 {write['each_p99']:.2f} ms, max {write['each_max']:.2f} ms "
            f"from the send's write (after its answer p50 {answer['each_p50']:.2f} ms, "
            f"p99 {answer['each_p99']:.2f} ms)" + spurious(result))


def fan_out(bench, users):
    """One message at a time into a room whose every member (the sender too) has a /sync open."""
    for size, room in zip(MEMBERS, users["fanout_rooms"]):
        members = [users["owner"]["access_token"]] + [g["access_token"] for g in users["guests"][:size - 1]]
        with bench.phase() as phase:
            result = bench.sync_bench(room, users["owner"]["access_token"], members, FANOUT_MESSAGES,
                                      50 + size // 4)
        write, answer = result["write"], result["answer"]
        bench.row(f"fan-out, room of {size} members, {size} syncs: first / last answer",
                  f"first p50 {write['first_p50']:.1f} ms, p99 {write['first_p99']:.1f} ms; "
                  f"last p50 {write['last_p50']:.1f} ms, p99 {write['last_p99']:.1f} ms from the send's write "
                  f"(after the send's answer: last p50 {answer['last_p50']:.1f} ms, p99 {answer['last_p99']:.1f} ms; "
                  f"send p50 {result['send_p50']:.1f} ms, p99 {result['send_p99']:.1f} ms)" + spurious(result),
                  phase, per(result["server_cpu_ms"] / 1e3, FANOUT_MESSAGES))


def initial_sync(bench, users):
    """GET /sync without since (no filter) of an account in ROOMS rooms: best and median of three."""
    client = Client(bench.server.url, users["crowd"]["access_token"])
    times = []
    with bench.phase() as phase:
        for _ in range(3):
            started = time.perf_counter()
            status, body = client.call("GET", "/sync?timeout=0")
            times.append((time.perf_counter() - started) * 1000)
            assert status == 200 and len(body["rooms"]["join"]) >= ROOMS, status
    bench.row(f"initial sync, account in {ROOMS} rooms", f"{sorted(times)[1]:.0f} ms (median of 3, first "
              f"{times[0]:.0f} ms)", phase, phase.per(3, "sync"))


def to_device(bench, users):
    """Each sender shares a "room key" with the four others of its group of five, one request
    carrying a message per device, as clients do; counted in messages."""
    senders = users["senders"][:max(SENDERS)]
    payload = {"algorithm": "m.olm.v1.curve25519-aes-sha2", "ciphertext": {"k": {"type": 0, "body": "x" * 500}}}
    lines = []
    for i, sender in enumerate(senders):
        group = senders[i - i % 5:i - i % 5 + 5]
        body = {"messages": {other["user_id"]: {"*": payload} for other in group if other is not sender}}
        lines.append(("PUT", "/_matrix/client/v3/sendToDevice/m.room.encrypted/{txn}", sender["access_token"],
                      json.dumps(body)))
    per_request = sum(len(json.loads(line[3])["messages"]) for line in lines) / len(lines)
    with bench.phase() as phase:
        result = bench.wrk("todevice", lines, len(lines), SECONDS / 2)
    messages = result["requests"] * per_request
    bench.row(f"to-device, {len(lines)} senders", f"{messages / (result['duration_us'] / 1e6):,.0f} messages/s; "
              f"request p50 {result['p50_us'] / 1e3:.2f} ms; {result['errors']} errors", phase, phase.per(messages))


def claims(bench, users):
    """keys/claim of one key from each of five devices (starting Olm sessions with a room)."""
    senders = users["senders"][:max(SENDERS)]
    for sender in senders:
        upload_keys(bench.server.url, sender, 50)
    client = Client(bench.server.url, senders[0]["access_token"])
    latencies = []
    with bench.phase() as phase:
        for i in range(SAMPLES):
            claim = {"one_time_keys": {}}
            for j in range(5):
                other = senders[(i + j) % len(senders)]
                claim["one_time_keys"].setdefault(other["user_id"], {})[other["device_id"]] = "signed_curve25519"
            started = time.perf_counter()
            status, body = client.call("POST", "/keys/claim", claim)
            latencies.append((time.perf_counter() - started) * 1000)
            assert status == 200 and body["one_time_keys"], body
    latencies.sort()
    bench.row("keys/claim of 5 devices", f"p50 {latencies[len(latencies) // 2]:.2f} ms, "
              f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.2f} ms", phase, phase.per(SAMPLES, "claim"))


def download(bench, users):
    """Four connections download the same 50 MB file back to back."""
    token = users["owner"]["access_token"]
    status, body = harness.request(bench.server.url, "POST", "/_matrix/media/v3/upload", token=token,
                                   raw=os.urandom(50 << 20), headers={"Content-Type": "application/octet-stream"})
    assert status == 200, body
    path = "/_matrix/client/v1/media/download/" + body["content_uri"].removeprefix("mxc://")
    with bench.phase() as phase:
        result = bench.wrk("download", [("GET", path, token, "")], 4, SECONDS / 2)
    megabytes = result["bytes"] / (1 << 20)
    bench.row("download, 4 clients, 50 MB file", f"{megabytes / (result['duration_us'] / 1e6):,.0f} MB/s",
              phase, phase.per(megabytes, "MB"))


def thumbnails(bench, users, count=10):
    """First (uncached) thumbnails of distinct 3000x2000 JPEG photos."""
    token, latencies = users["owner"]["access_token"], []
    with bench.phase() as phase:
        for i in range(count):
            photo = os.path.join(bench.folder, f"photo{i}.jpg")
            subprocess.run(["vips", "gaussnoise", photo + "[Q=85]", "3000", "2000", "--mean", str(100 + i)], check=True)
            with open(photo, "rb") as file:
                status, body = harness.request(bench.server.url, "POST", "/_matrix/media/v3/upload", token=token,
                                               raw=file.read(), headers={"Content-Type": "image/jpeg"})
            media = body["content_uri"].removeprefix("mxc://")
            started = time.perf_counter()
            status, _ = harness.request(bench.server.url, "GET",
                                        f"/_matrix/client/v1/media/thumbnail/{media}?width=320&height=240", token=token)
            latencies.append((time.perf_counter() - started) * 1000)
            assert status == 200
    latencies.sort()
    bench.row("thumbnail 3000x2000 JPEG -> 320x240", f"p50 {latencies[len(latencies) // 2]:.0f} ms, "
              f"max {latencies[-1]:.0f} ms", phase, phase.per(count, "upload+thumbnail"))


def search(bench, users):
    """POST /search over a room of SEARCH_MESSAGES messages, filled through the API by wrk (ten
    senders, a thousand different bodies): a word in every message, one in a tenth of them and
    one in five, each ranked and newest first; p50/p99 of a quarter of SAMPLES searches each."""
    senders = users["senders"][:10]
    owner = Client(bench.server.url, senders[0]["access_token"])
    room = owner.ok("POST", "/createRoom", {"preset": "public_chat"})["room_id"]
    for sender in senders[1:]:
        Client(bench.server.url, sender["access_token"]).ok("POST", f"/join/{harness.quote(room)}", {})
    path = f"/_matrix/client/v3/rooms/{harness.quote(room)}/send/m.room.message/{{txn}}"
    lines = [("PUT", path, senders[i % len(senders)]["access_token"],
              json.dumps({"msgtype": "m.text", "body": f"lorem ipsum number {i} says {'tenth ' * (i % 10 == 0)}"
                                                       f"dolor sit amet, consectetur word{i % 97} adipiscing"}))
             for i in range(1000)]
    sent, began = 0, time.monotonic()
    while sent < SEARCH_MESSAGES:  # a short first run measures the rate, the next ones aim just short
        seconds = 0.9 * (SEARCH_MESSAGES - sent) / (sent / (time.monotonic() - began)) if sent else 5
        result = bench.wrk("searchfill", lines, len(senders), max(1, seconds))
        assert result["errors"] == 0, result
        sent += result["requests"]
    fill_seconds = time.monotonic() - began
    for i in range(5):
        owner.ok("PUT", f"/rooms/{harness.quote(room)}/send/m.room.message/rare{i}",
                 {"msgtype": "m.text", "body": f"a xylophone appears, number {i}"})
    bench.rows.append((f"search room: {sent:,} messages sent by wrk", f"{sent / fill_seconds:,.0f} msg/s",
                       "-", "-", "-"))
    for word, matches in (("lorem", "every message"), ("tenth", "a tenth"), ("xylophone", "5 messages")):
        for order in ("rank", "recent"):
            body = {"search_categories": {"room_events": {"search_term": word, "order_by": order}}}
            latencies, samples = [], max(10, SAMPLES // 4)
            with bench.phase() as phase:
                for _ in range(samples):
                    started = time.perf_counter()
                    status, answer = owner.call("POST", "/search", body)
                    latencies.append((time.perf_counter() - started) * 1000)
                    assert status == 200 and answer["search_categories"]["room_events"]["results"], answer
            count = answer["search_categories"]["room_events"]["count"]
            latencies.sort()
            bench.row(f"search, {order} order, word in {matches} ({count:,} results)",
                      f"p50 {latencies[len(latencies) // 2]:.1f} ms, p99 {latencies[int(len(latencies) * 0.99) - 1]:.1f} ms",
                      phase, phase.per(samples, "search"))


def print_table(bench, context):
    print(f"\n{context}\n")
    print("| figure | value | server CPU | client CPU | load at start; others' CPU (cores) |")
    print("| --- | --- | --- | --- | --- |")
    for row in bench.rows:
        print("| " + " | ".join(row) + " |")


PHASES = [globals()[name] for name in os.environ.get(
    "BENCH_PHASES", "wakeups,sends,fan_out,initial_sync,to_device,claims,download,thumbnails,search").split(",")]


def main():
    busy = machine_busy()
    began, load = time.monotonic(), os.getloadavg()
    # Every simulated client comes from 127.0.0.1: no per-address connection cap.
    server = harness.Server(rate_limits=False, registration_open=True,
                            extra={"max_connections_per_address": "0", "guest_access": "true"}).start()
    bench = Bench(server)
    try:
        time.sleep(0.5)
        rss_idle = bench.rss()
        users = populate(server, max(SENDERS), MEMBERS, ROOMS)
        bench.rows.append(("setup (accounts, rooms, joins)", f"{time.monotonic() - began:.0f} s", "-", "-", "-"))
        hwm_setup = bench.status("VmHWM")
        with open(f"/proc/{server.process.pid}/clear_refs", "w") as file:
            file.write("5")  # resets VmHWM: the peak of the load phases, without setup's argon2id
        for measure in PHASES:
            measure(bench, users)
        bench.rows.append(("RSS idle (VmRSS after start)", rss_idle, "-", "-", "-"))
        bench.rows.append(("RSS at the end of the bench (VmRSS)", bench.rss(), "-", "-", "-"))
        time.sleep(31)  # the server gives freed memory back to the system every 30 s
        bench.rows.append(("RSS 31 s after the bench (VmRSS)", bench.rss(), "-", "-", "-"))
        bench.rows.append(("peak RSS during the bench (VmHWM, reset after setup)", f"{bench.status('VmHWM'):.1f} MB",
                           "-", "-", "-"))
        bench.rows.append(("peak RSS of setup (VmHWM: argon2id's buffers)", f"{hwm_setup:.1f} MB", "-", "-", "-"))
        print_table(bench, f"{harness.BINARY}; {os.cpu_count()} cores; before the bench {busy * 100:.0f} % of the "
                    f"CPUs busy, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; bench "
                    f"{time.monotonic() - began:.0f} s; wrk -t1, phases of {SECONDS:g} s")
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)
        shutil.rmtree(bench.folder, ignore_errors=True)


if __name__ == "__main__":
    main()
