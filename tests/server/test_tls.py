#!/usr/bin/python3
"""TLS: with [server.tls] cert_file/key_file the server speaks HTTPS (and only HTTPS), the
certificate it presents is the configured one, API calls and the WebSocket upgrade work over
it, HSTS is sent, and with ca_file a client without a certificate signed by that CA is refused.

The certificates are made for the test with the openssl command (a throw-away CA, a server
certificate for 127.0.0.1 signed by it, and a client certificate signed by it)."""

import http.client
import os
import ssl
import subprocess
import tempfile
import unittest

import nqserver
from nqserver import API


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_pki(d):
    """ca.pem/ca.key, server.pem/server.key (SAN IP 127.0.0.1), client.pem/client.key."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=nqdb test CA", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for who in ("server", "client"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", who + ".key", "-out",
                who + ".csr", "-subj", "/CN=" + ("127.0.0.1" if who == "server" else "client"),
                cwd=d)
        ext = ["-extfile", "san.ext"] if who == "server" else []
        openssl("x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", who + ".pem", "-days", "2", *ext, cwd=d)


class TlsServer(nqserver.Server):
    def __init__(self, pki, client_cert=False, **kw):
        super().__init__(**kw)
        self.pki = pki
        self.client_cert = client_cert

    def context(self, with_client_cert=None):
        ctx = ssl.create_default_context(cafile=os.path.join(self.pki, "ca.pem"))
        if with_client_cert if with_client_cert is not None else self.client_cert:
            ctx.load_cert_chain(os.path.join(self.pki, "client.pem"),
                                os.path.join(self.pki, "client.key"))
        return ctx

    def connect(self, timeout=60.0):
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                           context=self.context())


@unittest.skipUnless(os.path.exists("/usr/bin/openssl"), "the openssl command is not installed")
class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = tempfile.mkdtemp(prefix="nq-e2e-pki-")
        make_pki(cls.pki)
        tls = {"cert_file": os.path.join(cls.pki, "server.pem"),
               "key_file": os.path.join(cls.pki, "server.key")}
        cls.server = TlsServer(cls.pki, config={"server": {"tls": tls}}, name="tls").start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def test_https_api(self):
        s = self.server
        r = s.get("/health", key=None)
        self.assertEqual(r.status, 200)
        self.assertTrue(r.data["security"]["tls"])
        self.assertIn("max-age=", r.header("Strict-Transport-Security") or "")
        self.assertEqual(s.query("CREATE TABLE tls_t (id INTEGER PRIMARY KEY, v TEXT)").status, 200)
        self.assertEqual(s.query("INSERT INTO tls_t (v) VALUES (?)", ["over tls"]).status, 200)
        self.assertEqual(s.rows("SELECT v FROM tls_t"), [{"v": "over tls"}])

    def test_plain_http_refused(self):
        c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        with self.assertRaises((http.client.HTTPException, ConnectionError, OSError)):
            c.request("GET", "/health")
            r = c.getresponse()
            r.read()
            if r.status:  # an answer in plain HTTP would be a failure
                raise AssertionError("plain HTTP answered %d" % r.status)
        c.close()

    def test_certificate_is_the_configured_one(self):
        with open(os.path.join(self.pki, "server.pem")) as f:
            want = ssl.PEM_cert_to_DER_cert(f.read())
        c = self.server.connect()
        c.connect()
        self.assertEqual(c.sock.getpeercert(binary_form=True), want)
        c.close()

    def test_websocket_over_tls(self):
        import websocket  # python3-websocket
        ws = websocket.create_connection(
            "wss://127.0.0.1:%d/ws" % self.server.port,
            header=["X-API-Key: " + self.server.admin_key], timeout=10,
            sslopt={"ca_certs": os.path.join(self.pki, "ca.pem")})
        try:
            ws.send('{"type":"ping"}')
            self.assertIn('"type":"pong"', ws.recv())
        finally:
            ws.close()


@unittest.skipUnless(os.path.exists("/usr/bin/openssl"), "the openssl command is not installed")
class MutualTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = tempfile.mkdtemp(prefix="nq-e2e-pki-")
        make_pki(cls.pki)
        tls = {"cert_file": os.path.join(cls.pki, "server.pem"),
               "key_file": os.path.join(cls.pki, "server.key"),
               "ca_file": os.path.join(cls.pki, "ca.pem")}
        cls.server = TlsServer(cls.pki, client_cert=True, config={"server": {"tls": tls}},
                               name="mtls").start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def test_client_certificate_required(self):
        s = self.server
        self.assertEqual(s.get("/health", key=None).status, 200)  # with the client certificate
        # without one the TLS handshake may succeed (the certificate request is optional in
        # TLS), but no request gets through: 403, or a refused handshake
        c = http.client.HTTPSConnection("127.0.0.1", s.port, timeout=10,
                                        context=s.context(with_client_cert=False))
        try:
            c.request("GET", "/health")
            r = c.getresponse()
            body = r.read()
            self.assertEqual(r.status, 403, body)
            self.assertIn(b"client certificate", body)
        except (ssl.SSLError, ConnectionError) as e:
            self.assertTrue(str(e))
        finally:
            c.close()

if __name__ == "__main__":
    nqserver.main()
