"""Servers that federate with each other on loopback: a certificate authority made for the test
with the openssl CLI, a certificate per server name signed by it, and each server's
federation.resolve mapping every name to its federation port (found free beforehand, since each
config must name the others' ports before any server starts)."""
import http.server
import os
import socket
import ssl
import subprocess
import tempfile
import threading

import harness


def make_ca(folder):
    """A fresh CA in `folder`; returns (certificate path, key path)."""
    cert, key = os.path.join(folder, "ca.crt"), os.path.join(folder, "ca.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-subj", "/CN=myelin-test-ca", "-days", "2"],
                   check=True, capture_output=True)
    return cert, key


def make_certificate(folder, ca, name, ips=()):
    """A certificate for `name` (DNS) and the addresses `ips` signed by `ca`; returns
    (certificate path, key path)."""
    ca_cert, ca_key = ca
    cert, key, csr = (os.path.join(folder, name + suffix) for suffix in (".crt", ".key", ".csr"))
    ext = os.path.join(folder, name + ".ext")
    with open(ext, "w") as file:
        file.write(f"subjectAltName=DNS:{name}" + "".join(f",IP:{ip}" for ip in ips) + "\n")
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", csr, "-subj", "/CN=" + name], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
                    "-out", cert, "-days", "2", "-extfile", ext], check=True, capture_output=True)
    return cert, key


class PeerServer:
    """An HTTPS server on a free loopback port for a test's own federation peer `name` (its
    certificate signed by `ca`), answering each request on a thread of its own with
    handle(handler, method). `port`; stop it with close()."""

    def __init__(self, folder, ca, name, handle, ips=()):
        cert, key = make_certificate(folder, ca, name, ips=ips)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                handle(self, "GET")

            def do_PUT(self):
                handle(self, "PUT")

            def do_POST(self):
                handle(self, "POST")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port():
    """A loopback port free now (another process could take it before the server binds it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def quoted(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def federated_servers(names=("hs1.test", "hs2.test"), per_server=None, ca=None, others=None, **server_args):
    """Servers (started) named `names`, each trusting the test CA and reaching the others (and
    itself) through federation.resolve. per_server: {name: {key: value}}, config keys replaced in
    that server's config only (as harness.Server's `extra`). ca: (certificate, key) from make_ca,
    when the test signs other certificates with it; others: {name: port}, servers on loopback
    that are not myelin (the test's own peers), added to every resolve map; server_args go to
    every harness.Server (`sections` beside the federation section). Returns (servers, CA
    certificate path); stop them with stop_all(servers)."""
    pki = tempfile.mkdtemp(prefix="myelin-pki-")
    ca = ca or make_ca(pki)
    ports = {name: free_port() for name in names}
    ports.update(others or {})
    resolve = "{" + ", ".join(f"{quoted(name)}: {quoted('127.0.0.1:' + str(port))}" for name, port in ports.items()) + "}"
    servers = []
    try:
        for name in names:
            cert, key = make_certificate(pki, ca, name)
            args = dict(server_args)
            args["extra"] = {**server_args.get("extra", {}), **(per_server or {}).get(name, {})}
            args["sections"] = {**server_args.get("sections", {}), "federation": {
                "enabled": "true", "listen_address": quoted("127.0.0.1"), "listen_port": str(ports[name]),
                "tls_certificate": quoted(cert), "tls_private_key": quoted(key), "ca_file": quoted(ca[0]),
                "resolve": resolve}}
            server = harness.Server(server_name=name, **args)
            servers.append(server.start())
    except Exception:
        stop_all(servers)
        raise
    return servers, ca[0]


def stop_all(servers):
    for server in servers:
        server.stop()
