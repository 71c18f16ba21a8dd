#!/usr/bin/env python3
"""How fast one myelin server takes in another server's events through /send, with nothing else
in the way: a peer written in Python (the hostile suite's EvilPeer, its own key and TLS) joins a
room of hs1, makes MESSAGES message PDUs in a chain beforehand (hashed and signed), then sends
them as a real server would, in transactions of 50, one after another (a server keeps one
transaction in flight per destination). Each /send answer comes once hs1 has checked and written
every PDU in it, so the rate is hs1's: format, signatures, hash, auth, write, durable.

    scripts/build.sh && bench/federation_ingest.py [--messages 20000] [--senders 1]

--senders N: N peers at once, each with its own room (how hs1 does with several servers).
"""
import argparse
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import federation  # noqa: E402
import harness  # noqa: E402
from test_federation_hostile import EvilPeer, finish_event  # noqa: E402

PDUS_PER_TRANSACTION = 50


def chain(room, joined, sender, peer, count):
    """`count` message PDUs of `sender`, each after the one before, ready to send."""
    auth = [joined["power"], joined["member"]]
    if joined["version"] != "12":
        auth.insert(0, joined["create"])
    prev, depth, pdus = joined["prev"], joined["depth"], []
    now = int(time.time() * 1000)
    for n in range(count):
        depth += 1
        pdu = {"room_id": room, "sender": sender, "type": "m.room.message",
               "content": {"msgtype": "m.text", "body": f"ingest {n}"}, "depth": depth, "prev_events": prev,
               "auth_events": auth, "origin_server_ts": now + n}
        prev = [finish_event(pdu, peer.name, peer.key)]
        pdus.append(pdu)
    return pdus


def send_all(peer, server, pdus, errors):
    for start in range(0, len(pdus), PDUS_PER_TRANSACTION):
        batch = pdus[start:start + PDUS_PER_TRANSACTION]
        body = {"origin": peer.name, "origin_server_ts": int(time.time() * 1000), "pdus": batch}
        status, answer = peer.request(server, "PUT", f"/_matrix/federation/v1/send/ingest{start}", body)
        refused = [r for r in (answer or {}).get("pdus", {}).values() if r.get("error")] if status == 200 else None
        if status != 200 or refused:
            errors.append((status, refused[:1] if refused else answer))
            return


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--senders", type=int, default=1)
    args = parser.parse_args()
    pki = tempfile.mkdtemp(prefix="myelin-pki-")
    ca = federation.make_ca(pki)
    peers = [EvilPeer(f"peer{i}.test", ca, pki) for i in range(args.senders)]
    servers, _ = federation.federated_servers(names=("hs1.test",), ca=ca, others={p.name: p.port for p in peers})
    hs1 = servers[0]
    hs1.server_name, hs1.ca = "hs1.test", ca[0]
    hs1.drain_stdout()
    try:
        alice = harness.User(hs1, "alice", hs1.registration_token())
        work = []
        for peer in peers:
            room = alice.ok("POST", "/createRoom", {"preset": "public_chat"})["room_id"]
            sender = f"@bench:{peer.name}"
            joined = peer.join(hs1, room, sender)
            made = time.monotonic()
            pdus = chain(room, joined, sender, peer, args.messages)
            print(f"{peer.name}: {len(pdus)} PDUs made in {time.monotonic() - made:.1f} s")
            work.append((peer, pdus))
        rss_before = hs1.status_kb("VmHWM")
        errors = []
        threads = [threading.Thread(target=send_all, args=(peer, hs1, pdus, errors)) for peer, pdus in work]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        if errors:
            raise RuntimeError(f"refused: {errors[0]}")
        total = args.messages * args.senders
        print(f"| {total} PDUs from {args.senders} server(s) through /send, {PDUS_PER_TRANSACTION} per transaction "
              f"| {elapsed:.2f} s | {total / elapsed:.0f} events/s | hs1 peak RSS {rss_before // 1024} → "
              f"{hs1.status_kb('VmHWM') // 1024} MB |")
    finally:
        for peer in peers:
            peer.close()
        federation.stop_all(servers)


if __name__ == "__main__":
    main()
