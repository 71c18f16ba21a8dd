"""Starts the real myelin binary on loopback for end-to-end tests.

A Server owns a temporary data folder, a generated config (port 0, so every test server gets
a free port) and the process. The binary comes from $MYELIN_BIN (ctest sets it) or build/myelin.
"""
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("MYELIN_BIN", os.path.join(ROOT, "build", "myelin"))


class Server:
    def __init__(self, rate_limits=False, registration_open=False, data_dir=None, extra=None, server_name="localhost",
                 sections=None):
        """extra: top-level or section keys replaced wherever they occur; sections: {section: {key: YAML value}}
        replaced only inside that section (federation.enabled and not the other sections' enabled)."""
        self.dir = data_dir or tempfile.mkdtemp(prefix="myelin-e2e-")
        self.config = os.path.join(self.dir, "myelin.yaml")
        self.federation_url = None
        if not os.path.exists(self.config):
            subprocess.run([BINARY, "generate-config", "--server-name", server_name, "--data-dir", ".",
                            "--output", self.config], check=True)
            with open(self.config) as file:
                text = file.read()
            text = re.sub(r"(\n  port: )\d+", r"\g<1>0", text)
            text = re.sub(r"(rate_limits:\n  #[^\n]*\n  enabled: )\w+", r"\g<1>" + ("true" if rate_limits else "false"), text)
            text = re.sub(r"(registration:\n  #[^\n]*\n  open: )\w+", r"\g<1>" + ("true" if registration_open else "false"), text)
            for key, value in (extra or {}).items():
                text = re.sub(r"(\n\s*" + re.escape(key) + r": )[^\n]*", r"\g<1>" + value, text)
            for section, values in (sections or {}).items():
                text = set_in_section(text, section, values)
            with open(self.config, "w") as file:
                file.write(text)
        self.process = None
        self.url = None

    def start(self, env=None):
        """Starts the server; env: variables added to this process's environment for it."""
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.process = subprocess.Popen([BINARY, "serve", "--config", self.config], stdout=subprocess.PIPE,
                                        stderr=self.log, env={**os.environ, **env} if env else None)
        line = self.process.stdout.readline().decode()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            raise RuntimeError("server did not start: " + line + self.read_log())
        self.url = match.group(1)
        if self._federation_listener():
            line = self.process.stdout.readline().decode()
            match = re.search(r"federation listening on (https://\S+)", line)
            if not match:
                raise RuntimeError("no federation listener: " + line + self.read_log())
            self.federation_url = match.group(1)
        return self

    def drain_stdout(self):
        """The rest of stdout (spdlog's lines) into the log from now on, so that a full pipe never
        blocks the server (for tests that make it log much and do not read stdout themselves)."""
        threading.Thread(target=_drain, args=(self.process.stdout, self.log), daemon=True).start()

    def _federation_listener(self):
        """Whether the config opens the federation listener (enabled, with a certificate and key)."""
        with open(self.config) as file:
            section = re.search(r"\nfederation:\n((?:  [^\n]*\n)*)", file.read())
        values = dict(re.findall(r"\n  (\w+): ([^\n]*)", "\n" + (section.group(1) if section else "")))
        return values.get("enabled") == "true" and values.get("tls_certificate", '""') != '""' \
            and values.get("tls_private_key", '""') != '""'

    def stop(self, kill=False):
        """Stops the server; a crash on the way out (a signal other than SIGTERM) fails the test."""
        stopped = False
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.process.wait(timeout=30)
            stopped = not kill
        if self.process:
            self.process.stdout.close()
            self.log.close()
            code = self.process.returncode
            self.process = None
            if stopped and code < 0 and code != -signal.SIGTERM:
                raise RuntimeError(f"the server died of signal {-code} on SIGTERM: " + self.read_log())
        self.process = None

    def read_log(self):
        try:
            return open(os.path.join(self.dir, "server.log")).read()[-4000:]
        except OSError:
            return ""

    def cli(self, *args):
        out = subprocess.run([BINARY, *args, "--config", self.config], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def registration_token(self, uses=None):
        args = ["registration-token", "create"]
        if uses is not None:
            args += ["--uses-allowed", str(uses)]
        return self.cli(*args)

    def status_kb(self, field="VmRSS"):
        """A memory figure of the running server from /proc (VmRSS now, VmHWM its peak), in kB."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0


def _drain(source, sink):
    try:
        for line in iter(source.readline, b""):
            sink.write(line)
            sink.flush()
    except (OSError, ValueError):  # closed by stop()
        pass


def set_in_section(text, section, values):
    """The config text with `key: value` lines replaced inside `section:` only (values are YAML text)."""
    start = text.index("\n" + section + ":\n")
    end = text.find("\n\n", start + 1)
    while end != -1 and text[end + 2:end + 3] == " ":  # a blank line inside the section
        end = text.find("\n\n", end + 1)
    end = len(text) if end == -1 else end
    body = text[start:end]
    for key, value in values.items():
        body, count = re.subn(r"(\n  " + re.escape(key) + r": )[^\n]*", lambda m: m.group(1) + value, body)
        if count != 1:
            raise KeyError(f"{section}.{key} is not in the config")
    return text[:start] + body + text[end:]


def request(base, method, path, body=None, token=None, raw=None, headers=None, timeout=30):
    """One HTTP request; returns (status, body): parsed JSON, raw bytes, or None when empty."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, _parsed(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _parsed(error.read())


def _parsed(text):
    """A response body as JSON, the raw bytes when it is not JSON (media), None when empty."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def register(base, username, password, registration_token):
    """Registers through user-interactive auth with a registration token; returns the body."""
    status, body = request(base, "POST", "/_matrix/client/v3/register",
                           {"username": username, "password": password})
    assert status == 401 and "session" in body, (status, body)
    status, body = request(base, "POST", "/_matrix/client/v3/register", {
        "username": username, "password": password,
        "auth": {"type": "m.login.registration_token", "token": registration_token, "session": body["session"]}})
    assert status == 200, (status, body)
    return body


def quote(text):
    """A path segment: every reserved character escaped (room, user and event IDs)."""
    return urllib.parse.quote(text, safe="")


class User:
    """A registered user talking to the client-server API with their access token."""

    def __init__(self, server, name, registration_token):
        self.server, self.url, self.name = server, server.url, name
        self.password = f"pw-{name}-long"
        body = register(server.url, name, self.password, registration_token)
        self.user_id, self.token, self.device = body["user_id"], body["access_token"], body["device_id"]

    def call(self, method, path, body=None, raw=None, headers=None, prefix="/_matrix/client/v3"):
        return request(self.url, method, prefix + path, body, self.token, raw=raw, headers=headers)

    def ok(self, method, path, body=None, prefix="/_matrix/client/v3"):
        status, result = self.call(method, path, body, prefix=prefix)
        assert status == 200, (path, status, result)
        return result


def eventually(check, seconds=15):
    """check() until it returns something true (or the time is up); returns its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def wait_until(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
