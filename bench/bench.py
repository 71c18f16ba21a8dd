"""myelin load harness: message throughput with 50 concurrent senders, /sync wake-up latency,
to-device throughput, keys/claim latency, media download throughput, thumbnail latency and
resident memory, against a fresh server on loopback. Prints a table; bounded in time."""
import asyncio
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import harness  # noqa: E402
import olm  # noqa: E402

SENDERS = int(os.environ.get("BENCH_SENDERS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "200"))


class Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough of the protocol."""

    def __init__(self, host, port, token):
        self.host, self.port, self.token = host, port, token

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {self.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
        self.writer.write(head + data)
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        payload = await self.reader.readexactly(length)
        return int(status_line.split()[1]), payload

    def close(self):
        self.writer.close()


async def load(host, port, tokens, seconds, next_request):
    """Every token sends requests back to back on its own connection for `seconds`;
    next_request(index, i) gives (method, path, body, weight). Returns weight/s and errors."""
    count, errors = 0, 0
    deadline = time.monotonic() + seconds

    async def sender(index):
        nonlocal count, errors
        connection = await Connection(host, port, tokens[index]).open()
        i = 0
        while time.monotonic() < deadline:
            method, path, body, weight = next_request(index, i)
            status, _ = await connection.request(method, path, body)
            i += 1
            if status == 200:
                count += weight
            else:
                errors += 1
        connection.close()

    began = time.monotonic()
    await asyncio.gather(*(sender(i) for i in range(len(tokens))))
    return count / (time.monotonic() - began), errors


def throughput(host, port, tokens, rooms):
    def send(index, i):
        return ("PUT", f"/_matrix/client/v3/rooms/{rooms[index]}/send/m.room.message/b{index}-{i}",
                {"msgtype": "m.text", "body": f"bench {index} {i}"}, 1)
    return load(host, port, tokens, SECONDS, send)


async def wakeup_latency(host, port, sender_token, receiver_token, room):
    sender = await Connection(host, port, sender_token).open()
    receiver = await Connection(host, port, receiver_token).open()
    status, body = await receiver.request("GET", "/_matrix/client/v3/sync?timeout=0")
    since = json.loads(body)["next_batch"]
    latencies = []
    for i in range(SAMPLES):
        waiting = asyncio.ensure_future(receiver.request("GET", f"/_matrix/client/v3/sync?since={since}&timeout=30000"))
        await asyncio.sleep(0.005)
        started = time.perf_counter()
        await sender.request("PUT", f"/_matrix/client/v3/rooms/{room}/send/m.room.message/lat{i}",
                             {"msgtype": "m.text", "body": "ping"})
        status, body = await waiting
        latencies.append((time.perf_counter() - started) * 1000)
        since = json.loads(body)["next_batch"]
    sender.close()
    receiver.close()
    latencies.sort()
    return latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1]


def to_device_throughput(host, port, tokens, room_members):
    """Each sender shares a "room key" with the four other members of its room, one request
    carrying a message per device, as clients do; returns messages queued per second."""
    payload = {"algorithm": "m.olm.v1.curve25519-aes-sha2", "ciphertext": {"k": {"type": 0, "body": "x" * 500}}}

    def share(index, i):
        others = [user for user in room_members[index] if user != f"@bench{index}:localhost"]
        return ("PUT", f"/_matrix/client/v3/sendToDevice/m.room.encrypted/td{index}-{i}",
                {"messages": {user: {"*": payload} for user in others}}, len(others))
    return load(host, port, tokens, SECONDS / 2, share)


def upload_keys(url, token, user_id, device_id, count):
    account = olm.Account()
    def sign(obj):
        text = json.dumps(obj, sort_keys=True, separators=(",", ":"))
        return dict(obj, signatures={user_id: {f"ed25519:{device_id}": account.sign(text)}})
    device_keys = sign({"user_id": user_id, "device_id": device_id, "algorithms": ["m.olm.v1.curve25519-aes-sha2"],
                        "keys": {f"{alg}:{device_id}": key for alg, key in account.identity_keys.items()}})
    account.generate_one_time_keys(count)
    one_time = {f"signed_curve25519:{kid}": sign({"key": key})
                for kid, key in account.one_time_keys["curve25519"].items()}
    status, body = harness.request(url, "POST", "/_matrix/client/v3/keys/upload",
                                   {"device_keys": device_keys, "one_time_keys": one_time}, token)
    assert status == 200, body


async def claim_latency(host, port, token, devices):
    """keys/claim of one key from each of five devices (starting Olm sessions with a room)."""
    connection = await Connection(host, port, token).open()
    latencies = []
    for i in range(SAMPLES):
        batch = [devices[(i + j) % len(devices)] for j in range(5)]
        claim = {"one_time_keys": {}}
        for user, device in batch:
            claim["one_time_keys"].setdefault(user, {})[device] = "signed_curve25519"
        started = time.perf_counter()
        status, body = await connection.request("POST", "/_matrix/client/v3/keys/claim", claim)
        latencies.append((time.perf_counter() - started) * 1000)
        assert status == 200 and json.loads(body)["one_time_keys"], body
    connection.close()
    latencies.sort()
    return latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1]


async def download_throughput(host, port, token, path, size):
    """Four clients download the same file back to back; returns MB/s."""
    total = 0
    deadline = time.monotonic() + SECONDS / 2

    async def client():
        nonlocal total
        reader, writer = await asyncio.open_connection(host, port)
        while time.monotonic() < deadline:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            remaining = size
            while remaining:
                chunk = await reader.read(min(remaining, 1 << 20))
                remaining -= len(chunk)
            total += size
        writer.close()

    began = time.monotonic()
    await asyncio.gather(*(client() for _ in range(4)))
    return total / (1 << 20) / (time.monotonic() - began)


def thumbnail_latency(url, token, count=10):
    """First (uncached) thumbnails of distinct 3000x2000 JPEG photos; returns p50 and max in ms."""
    import subprocess
    import tempfile
    latencies = []
    with tempfile.TemporaryDirectory() as folder:
        for i in range(count):
            photo = os.path.join(folder, f"photo{i}.jpg")
            subprocess.run(["vips", "gaussnoise", photo + "[Q=85]", "3000", "2000", "--mean", str(100 + i)], check=True)
            with open(photo, "rb") as file:
                status, body = harness.request(url, "POST", "/_matrix/media/v3/upload", token=token, raw=file.read(),
                                               headers={"Content-Type": "image/jpeg"})
            media = body["content_uri"].removeprefix("mxc://")
            started = time.perf_counter()
            status, _ = harness.request(url, "GET", f"/_matrix/client/v1/media/thumbnail/{media}?width=320&height=240",
                                        token=token)
            latencies.append((time.perf_counter() - started) * 1000)
            assert status == 200
    latencies.sort()
    return latencies[len(latencies) // 2], latencies[-1]


def main():
    # Every simulated client comes from 127.0.0.1: no per-address connection cap.
    server = harness.Server(rate_limits=False, extra={"max_connections_per_address": "0"}).start()
    try:
        time.sleep(0.5)
        rss_idle = server.rss_kb()
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        registration = server.registration_token()
        logins = [harness.register(server.url, f"bench{i}", "pw-bench-long", registration) for i in range(SENDERS)]
        tokens = [login["access_token"] for login in logins]
        rooms = []
        for i in range(0, SENDERS, 5):  # rooms of five members each
            status, room = harness.request(server.url, "POST", "/_matrix/client/v3/createRoom", {}, tokens[i])
            rooms.append(room["room_id"])
            for j in range(i + 1, min(i + 5, SENDERS)):
                harness.request(server.url, "POST", f"/_matrix/client/v3/rooms/{room['room_id']}/invite",
                                {"user_id": f"@bench{j}:localhost"}, tokens[i])
                harness.request(server.url, "POST", f"/_matrix/client/v3/join/{room['room_id']}", {}, tokens[j])
        member_rooms = [rooms[i // 5] for i in range(SENDERS)]
        room_members = [[f"@bench{j}:localhost" for j in range(i - i % 5, min(i - i % 5 + 5, SENDERS))]
                        for i in range(SENDERS)]
        rate, errors = asyncio.run(throughput(host, int(port), tokens, member_rooms))
        p50, p99 = asyncio.run(wakeup_latency(host, int(port), tokens[0], tokens[1], rooms[0]))
        td_rate, td_errors = asyncio.run(to_device_throughput(host, int(port), tokens, room_members))
        for login in logins:
            upload_keys(server.url, login["access_token"], login["user_id"], login["device_id"], 50)
        devices = [(login["user_id"], login["device_id"]) for login in logins]
        claim_p50, claim_p99 = asyncio.run(claim_latency(host, int(port), tokens[0], devices))
        blob = os.urandom(50 << 20)
        status, body = harness.request(server.url, "POST", "/_matrix/media/v3/upload", token=tokens[0], raw=blob,
                                       headers={"Content-Type": "application/octet-stream"})
        download_path = "/_matrix/client/v1/media/download/" + body["content_uri"].removeprefix("mxc://")
        del blob
        mb_per_s = asyncio.run(download_throughput(host, int(port), tokens[0], download_path, 50 << 20))
        thumb_p50, thumb_max = thumbnail_latency(server.url, tokens[0])
        rss_loaded = server.rss_kb()
        print(f"{'metric':<34}{'value':>12}  target")
        print(f"{'messages/s (' + str(SENDERS) + ' senders, ' + str(int(SECONDS)) + ' s)':<34}{rate:>12.0f}  >= 5000")
        print(f"{'send errors':<34}{errors:>12}")
        print(f"{'sync wake-up p50 (ms)':<34}{p50:>12.2f}")
        print(f"{'sync wake-up p99 (ms)':<34}{p99:>12.2f}  <= 10")
        print(f"{'to-device messages/s':<34}{td_rate:>12.0f}")
        print(f"{'to-device errors':<34}{td_errors:>12}")
        print(f"{'keys/claim of 5 devices p50 (ms)':<34}{claim_p50:>12.2f}")
        print(f"{'keys/claim of 5 devices p99 (ms)':<34}{claim_p99:>12.2f}")
        print(f"{'download MB/s (4 clients, 50 MB)':<34}{mb_per_s:>12.0f}")
        print(f"{'thumbnail 3000x2000 -> 320x240 p50':<34}{thumb_p50:>12.1f}")
        print(f"{'thumbnail 3000x2000 -> 320x240 max':<34}{thumb_max:>12.1f}")
        print(f"{'RSS idle (MB)':<34}{rss_idle / 1024:>12.1f}  <= 20")
        print(f"{'RSS after load (MB)':<34}{rss_loaded / 1024:>12.1f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
