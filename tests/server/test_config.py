"""test_config.py — settings that change what the running server does, end to end (TLS is in
test_tls.py): structured logs (every line JSON, the request id on the request's line, the
level obeyed, logging.file_path), the monitoring switches (moved /health and /metrics,
performance_stats, websocket_enabled), security.csrf_protection, security_headers off,
environment overrides that apply over the file, and X-Token-Refresh-Due."""

import json
import os
import unittest
import uuid

import nqserver
from nqserver import API, Server, ServerTestCase, wait_for


class LogTest(ServerTestCase):
    config = {"logging": {"level": "info", "format": "json"}}

    def test_json_lines_with_request_id(self):
        s = self.server
        rid = "log-test-" + uuid.uuid4().hex
        self.assertEqual(s.query("SELECT 1 AS x", headers={"X-Request-ID": rid}).status, 200)
        self.assertEqual(s.query("SELEC broken", headers={"X-Request-ID": rid + "-bad"}).status, 400)

        def lines():
            out = []
            for line in s.stderr_text().splitlines():
                if line.startswith("---- start"):
                    continue
                out.append(line)
            return out

        wait_for(lambda: any(rid + "-bad" in l for l in lines()), timeout=10, what="the log line")
        recs = []
        for line in lines():
            try:
                recs.append(json.loads(line))
            except ValueError:
                self.fail("a log line that is not JSON: %r" % line)
        mine = [r for r in recs if r.get("request_id") == rid]
        self.assertTrue(mine, recs[-5:])
        self.assertTrue(any(r.get("status") == 200 and r.get("path") == API + "/query" for r in mine), mine)
        bad = [r for r in recs if r.get("request_id") == rid + "-bad"]
        self.assertTrue(any(r.get("status") == 400 for r in bad), bad)
        for r in recs:
            self.assertIn("ts", r)
            self.assertIn(r.get("level"), ("trace", "debug", "info", "warn", "error"), r)


class QuietLogTest(ServerTestCase):
    """logging.level = warn: no request lines."""

    config = {"logging": {"level": "warn", "format": "plain"}}

    def test_level(self):
        s = self.server
        rid = "quiet-" + uuid.uuid4().hex
        for _ in range(3):
            self.assertEqual(s.get("/health", key=None, headers={"X-Request-ID": rid}).status, 200)
        self.assertNotIn(rid, s.stderr_text())


class LogFileTest(unittest.TestCase):
    """logging.file_path: the log goes to the file, not to standard error."""

    def test_file_path(self):
        s = Server(name="logfile")
        try:
            path = os.path.join(s.root, "server.log")
            s.config = nqserver.merge(s.config, {"logging": {"file_path": path}})
            s.start()
            rid = "file-" + uuid.uuid4().hex
            self.assertEqual(s.get("/health", key=None, headers={"X-Request-ID": rid}).status, 200)
            wait_for(lambda: os.path.exists(path) and rid in open(path).read(), timeout=10,
                     what="the request in the log file")
            self.assertNotIn(rid, s.stderr_text())
            s.stop()
        finally:
            s.cleanup()


class MonitoringSwitchesTest(ServerTestCase):
    config = {"monitoring": {"health_check_endpoint": "/status", "prometheus_endpoint": "/prom",
                             "performance_stats": False, "websocket_enabled": False},
              "security": {"security_headers": False}}

    def test_moved_and_disabled(self):
        s = self.server
        r = s.get("/status", key=None)
        self.assertEnvelope(r, 200)
        self.assertEqual(r.data["status"], "healthy")
        self.assertEqual(s.get("/health", key=None).status, 404)
        r = s.get("/prom", key=None)
        self.assertEqual(r.status, 200, r)
        self.assertIn("neuroquantum_", r.text)
        self.assertEqual(s.get("/metrics", key=None).status, 404)
        self.assertEnvelope(s.get(API + "/stats/performance"), 404, "NotFound")
        r = s.get("/ws", headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                  "Sec-WebSocket-Version": "13"})
        self.assertEqual(r.status, 404, r)
        self.assertIs(s.get("/status", key=None).data["features"]["real_time_updates"], False)
        # security_headers = false
        self.assertIsNone(r.header("X-Frame-Options"))
        self.assertEqual(s.query("SELECT 1 AS x").status, 200)


class CsrfTest(ServerTestCase):
    config = {"security": {"csrf_protection": True},
              "cors": {"allowed_origins": ["https://app.example"]}}

    def test_csrf(self):
        s = self.server
        for origin, want in (("https://evil.example", 403), ("https://app.example", 200), (None, 200)):
            h = {"Origin": origin} if origin else {}
            r = s.query("SELECT 1 AS x", headers=h)
            self.assertEqual(r.status, want, (origin, r))
        # a GET from anywhere is served (without CORS headers for a foreign origin)
        r = s.get(API + "/stats/performance", headers={"Origin": "https://evil.example"})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))
        r = s.request("DELETE", API + "/tables/x/data", {"filters": {}}, headers={"Origin": "https://evil.example"})
        self.assertEqual(r.status, 403, r)


class EnvOverrideTest(unittest.TestCase):
    """NEUROQUANTUM_* variables apply over the configuration file."""

    def test_env_over_file(self):
        s = Server({"rate_limit": {"requests_per_hour": 1000, "burst_allowance": 0}},
                   env={"NEUROQUANTUM_RATE_LIMIT_REQUESTS_PER_HOUR": "3",
                        "NEUROQUANTUM_SECURITY_MAX_PAYLOAD_SIZE": "2000"}, name="env")
        try:
            s.start()
            r = s.get("/health", key=None)
            self.assertEqual(r.header("X-RateLimit-Limit"), "3", r)
            r = s.query("SELECT '%s' AS x" % ("z" * 3000))
            self.assertEqual(r.status, 413, r)
            s.stop()
        finally:
            s.cleanup()


class RefreshDueTest(ServerTestCase):
    """jwt.refresh_threshold_minutes larger than the token's lifetime: every answer to a
    request made with the access token carries X-Token-Refresh-Due: true; an API key's never."""
    config = {"jwt": {"expiration_hours": 1, "refresh_threshold_minutes": 120}}
    users = [("erin", "erin-password", "read")]

    def test_refresh_due(self):
        s = self.server
        r = s.post(API + "/auth/login", {"username": "erin", "password": "erin-password"}, key=None)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.data["expires_in"], 3600)
        tok = r.data["access_token"]
        r = s.request("POST", API + "/query", {"query": "SELECT 1 AS x"}, key=None,
                      headers={"Authorization": "Bearer " + tok})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("X-Token-Refresh-Due"), "true")
        self.assertIsNone(s.query("SELECT 1 AS x").header("X-Token-Refresh-Due"))


if __name__ == "__main__":
    nqserver.main()
