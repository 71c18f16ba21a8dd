"""The bench's setup client: keep-alive JSON requests, accounts and rooms. Fast without a bench
backdoor in the server: the few password accounts (room creators, senders) register in
parallel, so their argon2id hashes use both cores, and the fan-out crowd are guest accounts
(POST /register?kind=guest, no password) joining rooms whose m.room.guest_access is can_join."""
import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import olm

PASSWORD = "pw-bench-long-enough"
GUEST_ROOM = {"preset": "public_chat", "initial_state": [
    {"type": "m.room.guest_access", "state_key": "", "content": {"guest_access": "can_join"}}]}


class Client:
    """One keep-alive connection; `call` returns (status, parsed JSON body or None)."""

    def __init__(self, url, token=None):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.connection, self.token = http.client.HTTPConnection(host, int(port), timeout=60), token

    def call(self, method, path, body=None, prefix="/_matrix/client/v3"):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        self.connection.request(method, prefix + path, json.dumps(body) if body is not None else None, headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None

    def ok(self, method, path, body=None):
        status, result = self.call(method, path, body)
        assert status == 200, (method, path, status, result)
        return result


def parallel(url, function, items, workers=4):
    """function(client, item) for every item, on `workers` threads with a connection each."""
    local = threading.local()

    def run(item):
        if not hasattr(local, "client"):
            local.client = Client(url)
        return function(local.client, item)
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, items))


def register(client, username):
    """Open registration: user-interactive auth with m.login.dummy."""
    body = {"username": username, "password": PASSWORD}
    status, answer = client.call("POST", "/register", body)
    assert status == 401 and "session" in answer, (status, answer)
    auth_body = dict(body, auth={"type": "m.login.dummy", "session": answer["session"]})
    status, answer = client.call("POST", "/register", auth_body)
    assert status == 200, (status, answer)
    return answer


def guest(client, _):
    status, answer = client.call("POST", "/register?kind=guest", {})
    assert status == 200, (status, answer)
    return answer


def as_user(client, user):
    client.token = user["access_token"]
    return client


def upload_keys(url, user, count):
    """Device keys and `count` signed one-time keys for the user's device."""
    account, user_id, device_id = olm.Account(), user["user_id"], user["device_id"]

    def sign(obj):
        text = json.dumps(obj, sort_keys=True, separators=(",", ":"))
        return dict(obj, signatures={user_id: {f"ed25519:{device_id}": account.sign(text)}})
    device_keys = sign({"user_id": user_id, "device_id": device_id, "algorithms": ["m.olm.v1.curve25519-aes-sha2"],
                        "keys": {f"{alg}:{device_id}": key for alg, key in account.identity_keys.items()}})
    account.generate_one_time_keys(count)
    one_time = {f"signed_curve25519:{kid}": sign({"key": key})
                for kid, key in account.one_time_keys["curve25519"].items()}
    Client(url, user["access_token"]).ok("POST", "/keys/upload",
                                         {"device_keys": device_keys, "one_time_keys": one_time})


def populate(server, senders, members, rooms):
    """Accounts and rooms for every phase; returns them by name (see bench.py for their use)."""
    url = server.url
    names = ["owner", "crowd"] + [f"sender{i}" for i in range(senders)]
    accounts = dict(zip(names, parallel(url, register, names)))
    users = {"owner": accounts["owner"], "crowd": accounts["crowd"],
             "senders": [accounts[f"sender{i}"] for i in range(senders)]}
    users["own_rooms"] = parallel(url, lambda c, u: as_user(c, u).ok("POST", "/createRoom", {})["room_id"],
                                  users["senders"])
    shared = Client(url, users["senders"][0]["access_token"]).ok("POST", "/createRoom", GUEST_ROOM)["room_id"]
    parallel(url, lambda c, u: as_user(c, u).ok("POST", f"/join/{shared}", {}), users["senders"][1:])
    users["shared"] = shared
    owner = Client(url, users["owner"]["access_token"])
    users["wake_room"] = owner.ok("POST", "/createRoom", GUEST_ROOM)["room_id"]
    users["receiver"] = guest(Client(url), None)
    as_user(Client(url), users["receiver"]).ok("POST", f"/join/{users['wake_room']}", {})
    sizes = members
    users["fanout_rooms"] = [owner.ok("POST", "/createRoom", GUEST_ROOM)["room_id"] for _ in sizes]
    users["guests"] = parallel(url, guest, range(max(sizes) - 1))
    joins = [(g, room) for size, room in zip(sizes, users["fanout_rooms"]) for g in users["guests"][:size - 1]]
    parallel(url, lambda c, pair: as_user(c, pair[0]).ok("POST", f"/join/{pair[1]}", {}), joins)
    crowd = Client(url, users["crowd"]["access_token"])
    for _ in range(rooms):
        crowd.ok("POST", "/createRoom", {})
    return users
