"""The federation listener of the real server: TLS on its own port with the certificate from the
config, the same API as the client port, certificates checked by the peer (a client trusting
the test CA accepts it, one that does not or that expects another name refuses it), and no
listener at all while federation is off (the default)."""
import http.client
import json
import socket
import ssl
import unittest
import urllib.parse

import federation
import harness

VERSION = "/_matrix/federation/v1/version"


def get_over_tls(url, path, context, server_hostname):
    """GET `path` from the https `url` (an address), verifying the certificate as `server_hostname`."""
    parsed = urllib.parse.urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_hostname) as tls:
            connection = http.client.HTTPConnection(server_hostname)
            connection.sock = tls
            connection.request("GET", path, headers={"Host": server_hostname})
            response = connection.getresponse()
            return response.status, json.loads(response.read())


class FederationListener(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers, cls.ca = federation.federated_servers()
        cls.hs1, cls.hs2 = cls.servers

    @classmethod
    def tearDownClass(cls):
        federation.stop_all(cls.servers)

    def trusting(self):
        return ssl.create_default_context(cafile=self.ca)

    def test_version_over_tls_to_a_client_trusting_the_ca(self):
        for server, name in ((self.hs1, "hs1.test"), (self.hs2, "hs2.test")):
            self.assertIsNotNone(server.federation_url)
            status, body = get_over_tls(server.federation_url, VERSION, self.trusting(), name)
            self.assertEqual(status, 200)
            self.assertEqual(body["server"]["name"], "myelin")
            self.assertIsInstance(body["server"]["version"], str)

    def test_the_client_port_serves_it_too_in_plain_http(self):
        status, body = harness.request(self.hs1.url, "GET", VERSION)
        self.assertEqual((status, body["server"]["name"]), (200, "myelin"))

    def test_a_client_not_trusting_the_ca_refuses_the_certificate(self):
        with self.assertRaises(ssl.SSLCertVerificationError):
            get_over_tls(self.hs1.federation_url, VERSION, ssl.create_default_context(), "hs1.test")

    def test_the_certificate_is_only_valid_for_its_own_name(self):
        with self.assertRaises(ssl.SSLCertVerificationError):
            get_over_tls(self.hs1.federation_url, VERSION, self.trusting(), "hs2.test")

    def test_plain_http_on_the_tls_port_gets_no_answer(self):
        parsed = urllib.parse.urlparse(self.hs1.federation_url)
        with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as raw:
            raw.sendall(b"GET " + VERSION.encode() + b" HTTP/1.1\r\nHost: hs1.test\r\n\r\n")
            self.assertNotIn(b"myelin", raw.recv(4096))
        # The server goes on serving.
        status, _ = get_over_tls(self.hs1.federation_url, VERSION, self.trusting(), "hs1.test")
        self.assertEqual(status, 200)

    def test_unknown_federation_paths_are_unrecognized(self):
        status, body = get_over_tls(self.hs1.federation_url, "/_matrix/federation/v1/nothing", self.trusting(),
                                    "hs1.test")
        self.assertEqual((status, body["errcode"]), (404, "M_UNRECOGNIZED"))


class FederationOffByDefault(unittest.TestCase):
    def test_no_listener_while_federation_is_disabled(self):
        import os
        import tempfile
        pki = tempfile.mkdtemp(prefix="myelin-pki-")
        ca = federation.make_ca(pki)
        cert, key = federation.make_certificate(pki, ca, "hs1.test")
        port = federation.free_port()
        server = harness.Server(server_name="hs1.test", sections={"federation": {
            "listen_address": '"127.0.0.1"', "listen_port": str(port),
            "tls_certificate": federation.quoted(cert), "tls_private_key": federation.quoted(key)}}).start()
        try:
            self.assertIsNone(server.federation_url)
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
            self.assertTrue(os.path.exists(cert))
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
