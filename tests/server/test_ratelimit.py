"""test_ratelimit.py — rate limiting end to end: the in-memory token bucket (limit N: N
requests, then 429 with Retry-After, the reference body and X-RateLimit-* headers; per-key
limits; burst; disabled), and the Redis backend against a real redis-server started by the
test: limits hold, the bucket key rate_limit:{...}:bucket exists in Redis, two servers sharing
one Redis share the budget, Redis killed -> /health says degraded and requests are still
limited from memory, Redis back -> the server uses it again."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import nqserver
from nqserver import API, Server, ServerTestCase, free_port, wait_for
from test_http import parse_prometheus

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def limits(tc, r):
    """The X-RateLimit-* headers of r as ints (all three must be there)."""
    out = []
    for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        v = r.header(h)
        tc.assertIsNotNone(v, "%s missing: %r" % (h, r))
        out.append(int(v))
    return out


def assert_429(tc, r, limit):
    tc.assertEqual(r.status, 429, r)
    tc.assertGreaterEqual(int(r.header("Retry-After")), 1)
    lim, rem, reset = limits(tc, r)
    tc.assertEqual(lim, limit)
    tc.assertEqual(rem, 0)
    tc.assertGreaterEqual(reset, 1)
    j = r.json
    tc.assertEqual(j["code"], "RATE_LIMIT_EXCEEDED", r)
    tc.assertEqual(j["error"], "Rate limit exceeded", r)
    tc.assertEqual(j["limit"], limit, r)
    tc.assertEqual(j["remaining"], 0, r)
    tc.assertIsInstance(j["reset_in_seconds"], int, r)


class MemoryLimitTest(ServerTestCase):
    config = {"rate_limit": {"requests_per_hour": 5, "burst_allowance": 0}}

    def test_ip_limit(self):
        s = self.server
        rems = []
        for i in range(5):
            r = s.get("/health", key=None)
            self.assertEqual(r.status, 200, r)
            lim, rem, reset = limits(self, r)
            self.assertEqual(lim, 5)
            rems.append(rem)
        self.assertEqual(rems, [4, 3, 2, 1, 0])
        for path in ("/health", API + "/query", "/nope"):
            r = s.get(path, key=None)
            assert_429(self, r, 5)
        # wrong credentials spend the address' budget too (no free guessing)
        r = s.query("SELECT 1", key="nqdb_" + "1" * 32)
        self.assertIn(r.status, (401, 429), r)
        # an authenticated caller has its own bucket
        r = s.query("SELECT 1 AS x")
        self.assertEqual(r.status, 200, r)
        m = parse_prometheus(self, s.get("/metrics"))
        rej = sum(v for (n, lab), v in m.items()
                  if n == "neuroquantum_rate_limit_rejections_total" and dict(lab).get("scope") == "ip")
        self.assertGreaterEqual(rej, 3)

    def test_key_limits(self):
        s = self.server
        key_id = {}
        r = s.post(API + "/auth/generate-key", {"name": "three", "permissions": ["read"],
                                                "rate_limit_per_hour": 3})
        k3 = r.data["api_key"]
        kd = s.generate_key(["read"], name="default-limit")
        for i in range(3):
            r = s.query("SELECT 1 AS x", key=k3)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(limits(self, r)[:2], [3, 2 - i])
        assert_429(self, s.query("SELECT 1 AS x", key=k3), 3)
        assert_429(self, s.get(API + "/stats/performance", key=k3), 3)
        # a key without its own limit gets the configured one
        for i in range(5):
            self.assertEqual(s.query("SELECT 1 AS x", key=kd).status, 200)
        assert_429(self, s.query("SELECT 1 AS x", key=kd), 5)
        # the admin key (10000/hour from nqdb init) is not affected
        r = s.query("SELECT 1 AS x")
        self.assertEqual(r.status, 200)
        self.assertEqual(limits(self, r)[0], 10000)


class UserLimitTest(ServerTestCase):
    """A JWT user has a bucket of its own (the configured limit), apart from the address'."""
    config = {"rate_limit": {"requests_per_hour": 4, "burst_allowance": 0}}
    users = [("frank", "frank-password", "read")]

    def test_user_bucket(self):
        s = self.server
        r = s.post(API + "/auth/login", {"username": "frank", "password": "frank-password"}, key=None)
        self.assertEqual(r.status, 200, r)
        h = {"Authorization": "Bearer " + r.data["access_token"]}
        for i in range(4):
            r = s.query("SELECT 1 AS x", key=None, headers=h)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(limits(self, r)[:2], [4, 3 - i])
        assert_429(self, s.query("SELECT 1 AS x", key=None, headers=h), 4)
        # the address still has its own budget (the login took one token of it)
        r = s.get("/health", key=None)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(limits(self, r)[:2], [4, 2])
        m = parse_prometheus(self, s.get("/metrics", key=None))
        self.assertGreaterEqual(sum(v for (n, lab), v in m.items()
                                    if n == "neuroquantum_rate_limit_rejections_total"
                                    and dict(lab).get("scope") == "user"), 1)


class BurstTest(ServerTestCase):
    config = {"rate_limit": {"requests_per_hour": 3, "burst_allowance": 2}}

    def test_burst(self):
        s = self.server
        for i in range(5):
            r = s.get("/health", key=None)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(limits(self, r)[:2], [3, 4 - i])
        assert_429(self, s.get("/health", key=None), 3)


class DisabledTest(ServerTestCase):
    config = {"rate_limit": {"enabled": False, "requests_per_hour": 1, "burst_allowance": 0}}

    def test_disabled(self):
        s = self.server
        for _ in range(10):
            r = s.get("/health", key=None)
            self.assertEqual(r.status, 200, r)
            self.assertIsNone(r.header("X-RateLimit-Limit"))
        self.assertIs(r.data["security"]["rate_limiting_enabled"], False)


class Redis:
    """A redis-server of our own on a free loopback port, without persistence."""

    def __init__(self):
        if not os.access(REDIS_SERVER, os.X_OK):
            raise unittest.SkipTest("redis-server is not installed")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="nq-e2e-redis-", dir=nqserver.TMP_ROOT)
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.dir, "redis.log"), "ab")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--daemonize", "no"],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        wait_for(lambda: self.cli("PING").strip() == "PONG", timeout=20, interval=0.05,
                 what="redis-server to answer PING")
        return self

    def cli(self, *args):
        try:
            p = subprocess.run([REDIS_CLI, "-p", str(self.port)] + list(args), capture_output=True,
                               text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return ""
        return p.stdout if p.returncode == 0 else ""

    def keys(self, pattern="*"):
        return [k for k in self.cli("--scan", "--pattern", pattern).split("\n") if k]

    def stop(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self.log.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisTest(unittest.TestCase):
    """One Redis, two servers on it (each with its own data directory)."""

    @classmethod
    def setUpClass(cls):
        cls.redis = Redis().start()
        cfg = {"rate_limit": {"requests_per_hour": 6, "burst_allowance": 0},
               "redis": {"url": "redis://127.0.0.1:%d" % cls.redis.port,
                         "command_timeout_seconds": 1, "connection_timeout_seconds": 1},
               # the breaker's default 60 s open time would outlast test 3's wait for Redis
               "security": {"circuit_breaker": {"timeout_seconds": 1}}}
        cls.a = Server(cfg, name="redis-a")
        cls.b = Server(cfg, name="redis-b")
        try:
            cls.a.start()
            cls.b.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            for s in (cls.a, cls.b):
                if s.alive():
                    s.stop()
        finally:
            for s in (cls.a, cls.b):
                s.cleanup()
            cls.redis.cleanup()

    def health(self, s):
        r = s.get("/health")  # with the admin key: its own bucket, not the address'
        self.assertEqual(r.status, 200, r)
        return r.data

    def test_1_redis_backend(self):
        a, b = self.a, self.b
        for s in (a, b):
            h = self.health(s)
            self.assertEqual(h["status"], "healthy", h)
            self.assertIs(h["redis"]["configured"], True)
            self.assertEqual(h["redis"]["status"], "ok", h)
            self.assertIn("redis", h["redis"]["rate_limit_backend"])
        # a key with its own limit, through Redis
        r = a.post(API + "/auth/generate-key", {"name": "r4", "permissions": ["read"], "rate_limit_per_hour": 4})
        k4, kid = r.data["api_key"], r.data["key_id"]
        for i in range(4):
            r = a.query("SELECT 1 AS x", key=k4)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(limits(self, r)[:2], [4, 3 - i])
        assert_429(self, a.query("SELECT 1 AS x", key=k4), 4)
        keys = self.redis.keys("rate_limit:*")
        self.assertTrue(any(kid in k and k.endswith(":bucket") for k in keys), keys)
        self.assertTrue(all(k.startswith("rate_limit:") and k.endswith(":bucket") for k in keys), keys)
        ttl = int(self.redis.cli("PTTL", [k for k in keys if kid in k][0]).strip() or "-2")
        self.assertGreater(ttl, 0)

    def test_2_shared_budget(self):
        # anonymous requests from 127.0.0.1: one bucket in Redis, whichever server they reach
        a, b = self.a, self.b
        got = []
        for i in range(6):
            s = a if i % 2 == 0 else b
            r = s.get("/metrics", key=None)
            self.assertEqual(r.status, 200, r)
            got.append(limits(self, r)[1])
        self.assertEqual(got, [5, 4, 3, 2, 1, 0])
        assert_429(self, a.get("/metrics", key=None), 6)
        assert_429(self, b.get("/metrics", key=None), 6)
        self.assertTrue(any("127.0.0.1" in k for k in self.redis.keys("rate_limit:*")))

    def test_3_fallback_and_back(self):
        a = self.a
        r = a.post(API + "/auth/generate-key", {"name": "r2", "permissions": ["read"], "rate_limit_per_hour": 2})
        k2 = r.data["api_key"]
        self.assertEqual(a.query("SELECT 1 AS x", key=k2).status, 200)
        self.redis.stop()
        # failure_threshold (5) failed requests open the circuit breaker; /health reports it
        h = wait_for(lambda: (lambda d: d if d["status"] == "degraded" else None)(self.health(a)),
                     timeout=30, interval=0.2, what="/health to say degraded")
        self.assertEqual(h["redis"]["status"], "unavailable", h)
        self.assertIn("memory", h["redis"]["rate_limit_backend"])
        self.assertIn("circuit breaker", h["redis"]["rate_limit_backend"])
        # still limited, from memory, with the state Redis last reported
        self.assertEqual(a.query("SELECT 1 AS x", key=k2).status, 200)
        assert_429(self, a.query("SELECT 1 AS x", key=k2), 2)
        # the address' bucket, exhausted in Redis by test 2, stays exhausted
        self.assertEqual(a.get("/metrics", key=None).status, 429)
        # requests keep being answered
        self.assertEqual(a.query("SELECT 1 AS x").status, 200)
        self.assertIn("redis", a.stderr_text().lower())
        # Redis back (empty, on the same port): after the breaker's 1 s, success_threshold (3)
        # requests answered by Redis close it and the server uses Redis again
        self.redis.start()
        wait_for(lambda: self.health(a)["status"] == "healthy", timeout=40, interval=0.25,
                 what="/health to be healthy again after Redis restarted")
        h = self.health(a)
        self.assertEqual(h["redis"]["status"], "ok")
        r = a.post(API + "/auth/generate-key", {"name": "r1", "permissions": ["read"], "rate_limit_per_hour": 1})
        k1, kid = r.data["api_key"], r.data["key_id"]
        self.assertEqual(a.query("SELECT 1 AS x", key=k1).status, 200)
        assert_429(self, a.query("SELECT 1 AS x", key=k1), 1)
        self.assertTrue(any(kid in k for k in self.redis.keys("rate_limit:*")))


if __name__ == "__main__":
    nqserver.main()
