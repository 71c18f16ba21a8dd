#!/usr/bin/env python3
"""Federation figures between two myelin servers on loopback (TLS from a CA made for the run):

1. join: a user of hs1 joins, by alias, a room of hs2 that holds STATE state events (20,000 by
   default, made through the client API by a generator); the join's time and hs1's RSS before
   and after, and its peak (VmHWM).
2. ingest: hs2's user sends MESSAGES messages into that room; how fast hs1 takes them in
   through /send (from the first send until hs1's sync has the last), beside hs2's own rate.

    scripts/build.sh && bench/federation.py [--state 20000] [--messages 5000]
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import federation  # noqa: E402
import harness  # noqa: E402


def put_many(base, token, paths_and_bodies, threads=4):
    """PUTs each (path, body) over `threads` keep-alive connections, in order on each; returns
    the elapsed seconds and each connection's last answer."""
    parsed = urllib.parse.urlparse(base)
    chunks = [paths_and_bodies[i::threads] for i in range(threads)]
    errors = []
    last = [None] * threads

    def worker(index, chunk):
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        for path, body in chunk:
            connection.request("PUT", path, json.dumps(body),
                               {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            response = connection.getresponse()
            last[index] = json.loads(response.read() or b"null")
            if response.status != 200:
                errors.append((path, response.status))
        connection.close()

    started = time.monotonic()
    workers = [threading.Thread(target=worker, args=(i, chunk)) for i, chunk in enumerate(chunks)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. {errors[0]}")
    return time.monotonic() - started, last


def count_messages(user, room):
    """The m.room.message events of the room in the user's server's timeline."""
    count, token = 0, None
    while True:
        path = f"/rooms/{room}/messages?dir=b&limit=1000" + (f"&from={token}" if token else "")
        body = user.ok("GET", path)
        count += sum(1 for e in body["chunk"] if e["type"] == "m.room.message")
        if not body.get("end") or not body["chunk"]:
            return count
        token = body["end"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--state", type=int, default=20000)
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args()
    servers, _ = federation.federated_servers()
    hs1, hs2 = servers
    try:
        owner = harness.User(hs2, "owner", hs2.registration_token())
        joiner = harness.User(hs1, "joiner", hs1.registration_token())
        room_id = owner.ok("POST", "/createRoom", {"preset": "public_chat", "room_alias_name": "big"})["room_id"]
        room = harness.quote(room_id)
        fill, _ = put_many(hs2.url, owner.token, [
            (f"/_matrix/client/v3/rooms/{room}/state/org.bench.state/k{i}", {"i": i}) for i in range(args.state)])
        print(f"setup: {args.state} state events into hs2's room in {fill:.1f} s ({args.state / fill:.0f}/s)")

        rss_before = hs1.status_kb("VmRSS")
        started = time.monotonic()
        joiner.ok("POST", "/join/" + harness.quote("#big:hs2.test"))
        join_s = time.monotonic() - started
        print(f"| join of a room with {args.state} state events | {join_s:.2f} s | hs1 RSS {rss_before / 1024:.1f} → "
              f"{hs1.status_kb('VmRSS') / 1024:.1f} MB, peak {hs1.status_kb('VmHWM') / 1024:.1f} MB |")

        started = time.monotonic()
        send_s, last = put_many(hs2.url, owner.token, [
            (f"/_matrix/client/v3/rooms/{room}/send/m.room.message/t{i}", {"msgtype": "m.text", "body": f"m{i}"})
            for i in range(args.messages)])
        # Each connection sent in order: once its last event is on hs1, the sender has sent all of it.
        for answer in last:
            harness.wait_until(lambda: joiner.call("GET", f"/rooms/{room}/event/{harness.quote(answer['event_id'])}")[0]
                               == 200, timeout=300, interval=0.01)
        ingest_s = time.monotonic() - started
        arrived = count_messages(joiner, room)
        print(f"| {args.messages} messages sent on hs2 (4 senders) | {args.messages / send_s:.0f} msg/s on hs2 | "
              f"the last on hs1 after {ingest_s:.2f} s: {args.messages / ingest_s:.0f} events/s through /send; "
              f"{arrived} of {args.messages} in hs1's timeline |")
        print(f"hs1 RSS after: {hs1.status_kb('VmRSS') / 1024:.1f} MB (peak {hs1.status_kb('VmHWM') / 1024:.1f} MB)")
    finally:
        federation.stop_all(servers)


if __name__ == "__main__":
    main()
