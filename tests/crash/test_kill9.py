"""Acknowledged writes survive kill -9: messages are sent from several threads, the server is
killed mid-stream, restarted on the same data folder, and every message whose send was
answered 200 must be in the room's history."""
import threading
import time
import unittest
import urllib.parse

import harness

V3 = "/_matrix/client/v3"


class KillNine(unittest.TestCase):
    def test_acknowledged_messages_survive(self):
        server = harness.Server().start()
        try:
            body = harness.register(server.url, "crash", "pw-crash-long", server.registration_token())
            token = body["access_token"]
            status, room = harness.request(server.url, "POST", V3 + "/createRoom", {"name": "crash"}, token)
            room_path = f"{V3}/rooms/{urllib.parse.quote(room['room_id'])}"

            acknowledged, lock, stop = {}, threading.Lock(), threading.Event()

            def sender(worker):
                for i in range(100000):
                    if stop.is_set():
                        return
                    text = f"w{worker}-{i}"
                    try:
                        status, reply = harness.request(server.url, "PUT", f"{room_path}/send/m.room.message/{text}",
                                                        {"msgtype": "m.text", "body": text}, token, timeout=5)
                    except OSError:
                        return  # the server is gone
                    if status == 200:
                        with lock:
                            acknowledged[text] = reply["event_id"]

            threads = [threading.Thread(target=sender, args=(w,)) for w in range(4)]
            for thread in threads:
                thread.start()
            harness.wait_until(lambda: len(acknowledged) >= 200, timeout=30)
            server.stop(kill=True)
            stop.set()
            for thread in threads:
                thread.join()
            self.assertGreater(len(acknowledged), 0)

            server.start()
            seen, token_from = {}, None
            while True:
                query = "?dir=b&limit=1000" + (f"&from={token_from}" if token_from else "")
                status, page = harness.request(server.url, "GET", room_path + "/messages" + query, token=token)
                self.assertEqual(status, 200, page)
                for event in page["chunk"]:
                    if event["type"] == "m.room.message":
                        seen[event["content"]["body"]] = event["event_id"]
                if "end" not in page:
                    break
                token_from = page["end"]
            missing = [text for text in acknowledged if seen.get(text) != acknowledged[text]]
            self.assertEqual(missing, [], f"{len(missing)} of {len(acknowledged)} acknowledged messages lost")
            # The restarted server keeps accepting writes and the sequence continues.
            status, reply = harness.request(server.url, "PUT", f"{room_path}/send/m.room.message/after-restart",
                                            {"msgtype": "m.text", "body": "after"}, token)
            self.assertEqual(status, 200, reply)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
