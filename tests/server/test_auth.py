"""test_auth.py — authentication and access end to end: 401 on every protected route without
credentials, API keys in X-API-Key and as Authorization: Bearer, garbage/revoked keys, the
permission matrix (a key with each single permission against every route), generate-key and
revoke-key (admin only, 5 generations per hour per client IP), the admin IP whitelist (with
and without a trusted proxy), users created with `nqdb user create --password-stdin`, login
-> JWT on the routes, refresh-token rotation and reuse detection, logout, and forged or
expired JWTs."""

import base64
import hashlib
import hmac
import json
import time

import nqserver
from nqserver import API, ServerTestCase, Server
from test_http import ROUTES

PERMS = ["admin", "neuromorphic", "quantum", "dna", "read", "write"]
JWT_SECRET = "e2e-test-secret-0123456789abcdefghijklmnop"
NO_KEY = "nqdb_" + "0" * 32

PUBLIC = {("GET", "/health"), ("GET", "/metrics"), ("GET", "/api-docs/openapi.json"),
          ("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/refresh")}

# (method, path, body, the permission the route needs (None: any authenticated caller))
MATRIX = [
    ("POST", "/api/v1/auth/generate-key", {"name": "mx", "permissions": ["read"]}, "admin"),
    ("POST", "/api/v1/auth/revoke-key", {"api_key": NO_KEY}, "admin"),
    ("POST", "/api/v1/query", {"query": "SELECT count(*) AS n FROM mx"}, "read"),
    ("POST", "/api/v1/query", {"query": "UPDATE mx SET v = v WHERE id < 0"}, "write"),
    ("POST", "/api/v1/tables", {"schema": {"name": "mx", "columns": [{"name": "id", "data_type": "Integer"}]},
                                "if_not_exists": True}, "write"),
    ("POST", "/api/v1/tables/mx/data", {"records": [{"v": "m"}]}, "write"),
    ("PUT", "/api/v1/tables/mx/data", {"filters": {"id": -1}, "updates": {"v": "x"}}, "write"),
    ("DELETE", "/api/v1/tables/mx/data", {"filters": {"id": -1}}, "write"),
    ("POST", "/api/v1/tables/mx/query", {"limit": 1}, "read"),
    ("POST", "/api/v1/neural/train", {}, "neuromorphic"),
    ("GET", "/api/v1/neural/train/n1", None, None),
    # needs quantum (the route) and read (the results are rows): only admin holds both here
    ("POST", "/api/v1/quantum/search", {}, "quantum+read"),
    ("POST", "/api/v1/dna/compress", {"sequences": ["ACGT"], "algorithm": "TwoBit"}, "dna"),
    ("POST", "/api/v1/dna/decompress", {}, "dna"),
    ("POST", "/api/v1/biometric/eeg/enroll", {}, "admin"),
    ("POST", "/api/v1/biometric/eeg/authenticate", {}, None),
    ("POST", "/api/v1/biometric/eeg/update", {}, "admin"),
    ("GET", "/api/v1/biometric/eeg/users", None, "admin"),
    ("DELETE", "/api/v1/biometric/eeg/users/u1", None, "admin"),
    ("POST", "/api/v1/biometric/enroll", {}, "admin"),
    ("POST", "/api/v1/biometric/verify", {}, None),
    ("GET", "/api/v1/stats/performance", None, "read"),
    ("GET", "/api/v1/advisor/indexes", None, "read"),
    ("DELETE", "/api/v1/advisor/indexes/statistics", None, "admin"),
]


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_parts(tok):
    h, p, s = tok.split(".")
    return json.loads(b64url_dec(h)), json.loads(b64url_dec(p)), s


def jwt_sign(header, payload, secret=JWT_SECRET):
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), (h + "." + p).encode(), hashlib.sha256).digest()
    return h + "." + p + "." + b64url(sig)


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


class AuthTest(ServerTestCase):
    config = {"jwt": {"secret": JWT_SECRET}}
    users = [("alice@example.com", "correct horse battery", "read,write"),
             ("reader", "reader-password", "read"),
             ("boss", "boss-password-1", "admin")]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        r = s.query("CREATE TABLE mx (id INTEGER PRIMARY KEY, v TEXT)")
        assert r.status == 200, r
        cls.keys = {p: s.generate_key([p], name="only-" + p) for p in PERMS}

    def login(self, user, password):
        r = self.server.post(API + "/auth/login", {"username": user, "password": password}, key=None)
        self.assertEnvelope(r, 200)
        return r.data

    # ---- no credentials / bad credentials ----------------------------------------------------

    def test_401_on_every_protected_route(self):
        s = self.server
        for method, path in ROUTES:
            p = path.replace("{table_name}", "mx").replace("{network_id}", "n1")
            p = p.replace("{user_id}", "u1")
            body = {} if method in ("POST", "PUT", "DELETE") and path != "/ws" else None
            r = s.request(method, p, body, key=None)
            if (method, path) in PUBLIC:
                self.assertNotEqual(r.status, 401, "%s %s is public: %r" % (method, p, r))
                continue
            with self.subTest(route="%s %s" % (method, p)):
                self.assertEnvelope(r, 401, "Unauthorized")

    def test_bad_credentials(self):
        s = self.server
        cases = [{"X-API-Key": "garbage"}, {"X-API-Key": NO_KEY}, {"X-API-Key": ""},
                 {"X-API-Key": self.server.admin_key + "0"}, {"X-API-Key": self.server.admin_key[:-1]},
                 {"X-API-Key": self.server.admin_key.upper()},
                 {"Authorization": "Bearer " + NO_KEY}, {"Authorization": "Bearer not.a.jwt"},
                 {"Authorization": "Bearer "}, {"Authorization": "Basic YWRtaW46YWRtaW4="},
                 {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJib3NzIn0."}]
        for h in cases:
            with self.subTest(headers=h):
                r = s.request("POST", API + "/query", {"query": "SELECT 1"}, key=None, headers=h)
                if r.status == 401:
                    self.assertEnvelope(r, 401, "Unauthorized")
                else:
                    self.fail("%r was accepted: %r" % (h, r))

    def test_api_key_header_and_bearer(self):
        s = self.server
        r = s.query("SELECT 1 AS x")
        self.assertEqual(r.status, 200, r)
        r = s.request("POST", API + "/query", {"query": "SELECT 1 AS x"}, key=None,
                      headers=bearer(s.admin_key))
        self.assertEqual(r.status, 200, r)
        r = s.request("POST", API + "/query", {"query": "SELECT 1 AS x"}, key=None,
                      headers={"authorization": "bearer " + s.admin_key})
        self.assertEqual(r.status, 200, r)

    # ---- permission matrix -------------------------------------------------------------------

    def test_permission_matrix(self):
        s = self.server
        for perm, key in self.keys.items():
            for method, path, body, need in MATRIX:
                with self.subTest(key=perm, route="%s %s" % (method, path), need=need):
                    r = s.request(method, path, body, key=key)
                    allowed = need is None or perm == need or perm == "admin"
                    if allowed:
                        self.assertNotIn(r.status, (401, 403), r)
                        self.assertLess(r.status, 500 if r.status != 501 else 502, r)
                    else:
                        self.assertEnvelope(r, 403, "Forbidden")

    def test_jwt_permissions(self):
        s = self.server
        alice = self.login("alice@example.com", "correct horse battery")
        reader = self.login("reader", "reader-password")
        boss = self.login("boss", "boss-password-1")
        self.assertEqual(sorted(alice["permissions"]), ["read", "write"])
        self.assertEqual(reader["permissions"], ["read"])
        for d in (alice, reader, boss):
            self.assertEqual(d["token_type"], "Bearer")
            self.assertEqual(d["expires_in"], 24 * 3600)
            self.assertEqual(len(d["access_token"].split(".")), 3)
            self.assertTrue(d["refresh_token"])
        at = {"alice": alice["access_token"], "reader": reader["access_token"], "boss": boss["access_token"]}
        perms = {"alice": {"read", "write"}, "reader": {"read"}, "boss": {"admin"}}
        for who, tok in at.items():
            for method, path, body, need in MATRIX:
                with self.subTest(user=who, route="%s %s" % (method, path)):
                    r = s.request(method, path, body, key=None, headers=bearer(tok))
                    allowed = need is None or need in perms[who] or "admin" in perms[who]
                    if allowed:
                        self.assertNotIn(r.status, (401, 403), r)
                    else:
                        self.assertEnvelope(r, 403, "Forbidden")

    def test_websocket_with_jwt(self):
        try:
            import websocket
        except ImportError:
            self.skipTest("the python3 websocket module is missing")
        s = self.server
        url = "ws://127.0.0.1:%d/ws" % s.port
        reader = self.login("reader", "reader-password")
        ws = websocket.create_connection(url, header=["Authorization: Bearer " + reader["access_token"]],
                                         timeout=30)
        try:
            ws.send(json.dumps({"type": "stream_query", "query": "DELETE FROM mx"}))
            m = json.loads(ws.recv())
            self.assertEqual((m["type"], m["code"]), ("error", "PERMISSION_DENIED"), m)
            ws.send(json.dumps({"type": "stream_query", "query": "SELECT count(*) AS n FROM mx"}))
            types = []
            while "query_completed" not in types:
                types.append(json.loads(ws.recv())["type"])
            self.assertIn("query_batch", types)
        finally:
            ws.close()
        bad = jwt_sign(*jwt_parts(reader["access_token"])[:2], secret="x" * 40)
        with self.assertRaises(websocket.WebSocketBadStatusException) as cm:
            websocket.create_connection(url, header=["Authorization: Bearer " + bad], timeout=30)
        self.assertEqual(cm.exception.status_code, 401)

    # ---- keys ------------------------------------------------------------------------------

    def test_generate_and_revoke(self):
        s = self.server
        r = s.post(API + "/auth/generate-key", {"name": "gen1", "permissions": ["read", "write"],
                                                "expiry_hours": 48, "rate_limit_per_hour": 77})
        j = self.assertEnvelope(r, 200)
        d = j["data"]
        self.assertRegex(d["api_key"], r"^nqdb_[0-9a-f]{32}$")
        self.assertEqual(d["name"], "gen1")
        self.assertEqual(sorted(d["permissions"]), ["read", "write"])
        self.assertEqual(d["rate_limit_per_hour"], 77)
        self.assertTrue(d["expires_at"].endswith("+00:00"))
        self.assertIn("warning", d)
        key = d["api_key"]
        self.assertEqual(s.query("SELECT 1 AS x", key=key).status, 200)
        r = s.post(API + "/auth/revoke-key", {"api_key": key})
        self.assertEnvelope(r, 200)
        r = s.query("SELECT 1 AS x", key=key)
        self.assertEnvelope(r, 401, "Unauthorized")
        r = s.post(API + "/auth/revoke-key", {"api_key": key})
        self.assertEnvelope(r, 404, "NotFound")
        # revoke by the public id
        r = s.post(API + "/auth/generate-key", {"name": "gen2", "permissions": ["read"]})
        d = self.assertEnvelope(r, 200)["data"]
        self.assertEqual(s.query("SELECT 1 AS x", key=d["api_key"]).status, 200)
        self.assertEnvelope(s.post(API + "/auth/revoke-key", {"api_key": d["key_id"]}), 200)
        self.assertEnvelope(s.query("SELECT 1 AS x", key=d["api_key"]), 401, "Unauthorized")
        # validation
        r = s.post(API + "/auth/generate-key", {"name": "gen3", "permissions": ["read", "root"]})
        self.assertEnvelope(r, 400)
        self.assertIn("root", json.dumps(r.error))
        r = s.post(API + "/auth/generate-key", {"name": "gen3", "permissions": []})
        self.assertValidation(r, "permissions")
        r = s.post(API + "/auth/generate-key", {"name": "", "permissions": ["read"]})
        self.assertValidation(r, "name")
        r = s.post(API + "/auth/generate-key", {"permissions": ["read"]})
        self.assertValidation(r, "name")
        r = s.post(API + "/auth/revoke-key", {"api_key": "garbage"})
        self.assertEnvelope(r, 404, "NotFound")
        # a non-admin cannot revoke (even its own key)
        k = self.keys["write"]
        r = s.post(API + "/auth/revoke-key", {"api_key": k}, key=k)
        self.assertEnvelope(r, 403, "Forbidden")
        self.assertEqual(r.error["Forbidden"], "Admin permission required to revoke API keys")
        r = s.post(API + "/auth/generate-key", {"name": "x", "permissions": ["admin"]}, key=k)
        self.assertEnvelope(r, 403, "Forbidden")
        self.assertEqual(r.error["Forbidden"], "Admin permission required to generate API keys")

    def test_admin_key_revoked_by_itself_is_gone(self):
        s = self.server
        k = s.generate_key(["admin"], name="second-admin")
        self.assertEnvelope(s.post(API + "/auth/revoke-key", {"api_key": k}, key=k), 200)
        self.assertEnvelope(s.query("SELECT 1", key=k), 401, "Unauthorized")
        self.assertEqual(s.query("SELECT 1 AS x").status, 200)

    # ---- login, refresh, logout --------------------------------------------------------------

    def test_login_failures(self):
        s = self.server
        for body in ({"username": "alice@example.com", "password": "wrong password"},
                     {"username": "nobody", "password": "whatever-123"},
                     {"username": "ALICE@example.com", "password": "correct horse battery"}):
            r = s.post(API + "/auth/login", body, key=None)
            self.assertEnvelope(r, 401, "Unauthorized")
        # the same message for an unknown user and a wrong password
        a = s.post(API + "/auth/login", {"username": "nobody", "password": "x" * 10}, key=None)
        b = s.post(API + "/auth/login", {"username": "reader", "password": "x" * 10}, key=None)
        self.assertEqual(a.error, b.error)
        self.assertValidation(s.post(API + "/auth/login", {"username": "reader"}, key=None), "password")
        self.assertValidation(s.post(API + "/auth/login", {"password": "x" * 10}, key=None), "username")

    def test_refresh_rotation_and_reuse(self):
        s = self.server
        d0 = self.login("alice@example.com", "correct horse battery")
        r = s.post(API + "/auth/refresh", {"refresh_token": d0["refresh_token"]}, key=None)
        d1 = self.assertEnvelope(r, 200)["data"]
        self.assertNotEqual(d1["refresh_token"], d0["refresh_token"])
        self.assertNotEqual(d1["access_token"], d0["access_token"])
        r = s.request("POST", API + "/query", {"query": "SELECT 1 AS x"}, key=None,
                      headers=bearer(d1["access_token"]))
        self.assertEqual(r.status, 200, r)
        r = s.post(API + "/auth/refresh", {"refresh_token": d1["refresh_token"]}, key=None)
        d2 = self.assertEnvelope(r, 200)["data"]
        # the first token again: reuse -> refused, and the whole family is revoked
        r = s.post(API + "/auth/refresh", {"refresh_token": d0["refresh_token"]}, key=None)
        self.assertEnvelope(r, 401, "Unauthorized")
        r = s.post(API + "/auth/refresh", {"refresh_token": d2["refresh_token"]}, key=None)
        self.assertEnvelope(r, 401, "Unauthorized")
        # another login's family is not affected
        e0 = self.login("alice@example.com", "correct horse battery")
        self.assertEnvelope(s.post(API + "/auth/refresh", {"refresh_token": e0["refresh_token"]},
                                   key=None), 200)
        self.assertEnvelope(s.post(API + "/auth/refresh", {"refresh_token": "nqr_" + "f" * 64},
                                   key=None), 401, "Unauthorized")

    def test_logout(self):
        s = self.server
        d = self.login("reader", "reader-password")
        h = bearer(d["access_token"])
        self.assertEqual(s.request("POST", API + "/query", {"query": "SELECT 1 AS x"}, key=None,
                                   headers=h).status, 200)
        r = s.request("POST", API + "/auth/logout", {"refresh_token": d["refresh_token"]}, key=None,
                      headers=h)
        self.assertEnvelope(r, 200)
        r = s.request("POST", API + "/query", {"query": "SELECT 1 AS x"}, key=None, headers=h)
        self.assertEnvelope(r, 401, "Unauthorized")
        r = s.post(API + "/auth/refresh", {"refresh_token": d["refresh_token"]}, key=None)
        self.assertEnvelope(r, 401, "Unauthorized")
        # logout needs a session: an API key alone is told so
        r = s.post(API + "/auth/logout", {})
        self.assertEnvelope(r, 400)
        r = s.post(API + "/auth/logout", {}, key=None)
        self.assertEnvelope(r, 401, "Unauthorized")

    def test_forged_and_expired_jwts(self):
        s = self.server
        d = self.login("reader", "reader-password")
        hdr, pay, _ = jwt_parts(d["access_token"])
        self.assertEqual(hdr.get("alg"), "HS256")
        self.assertEqual(pay.get("sub"), "reader")
        for k in ("exp", "iat"):
            self.assertIsInstance(pay.get(k), int)
        # our signer reproduces a valid token (so the refusals below are about the changes)
        same = jwt_sign(hdr, pay)
        r = s.request("POST", API + "/query", {"query": "SELECT 1 AS x"}, key=None, headers=bearer(same))
        self.assertEqual(r.status, 200, r)
        now = int(time.time())
        cases = {
            "expired": jwt_sign(hdr, dict(pay, exp=now - 3600, iat=now - 7200)),
            "wrong secret": jwt_sign(hdr, pay, secret="another-secret-0123456789abcdefghij"),
            "alg none": b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." +
                        b64url(json.dumps(pay).encode()) + ".",
            "alg HS512 header": jwt_sign(dict(hdr, alg="HS512"), pay),
            "wrong audience": jwt_sign(hdr, dict(pay, aud="someone-else")),
            "wrong issuer": jwt_sign(hdr, dict(pay, iss="someone-else")),
            "unknown user": jwt_sign(hdr, dict(pay, sub="mallory")),
            "tampered payload": d["access_token"].split(".")[0] + "." +
                                b64url(json.dumps(dict(pay, permissions=["admin"])).encode()) + "." +
                                d["access_token"].split(".")[2],
        }
        for name, tok in cases.items():
            with self.subTest(case=name):
                r = s.request("POST", API + "/query", {"query": "SELECT 1 AS x"}, key=None,
                              headers=bearer(tok))
                self.assertEnvelope(r, 401, "Unauthorized")
        # a correctly signed token claiming more than the user has gets only what the user has
        tok = jwt_sign(hdr, dict(pay, permissions=["admin", "read", "write"]))
        r = s.request("POST", API + "/query", {"query": "DELETE FROM mx"}, key=None, headers=bearer(tok))
        self.assertEnvelope(r, 403, "Forbidden")
        r = s.request("POST", API + "/auth/generate-key", {"name": "esc", "permissions": ["admin"]},
                      key=None, headers=bearer(tok))
        self.assertEnvelope(r, 403, "Forbidden")


class SessionPersistenceTest(ServerTestCase):
    """What the server knows about credentials survives a restart: key usage counts (flushed
    at shutdown, read by `nqdb key list`), revoked keys, logged-out tokens; `nqdb user delete`
    (run while the server is stopped) ends the user's sessions."""
    users = [("carol", "carol-password", "read"), ("dave", "dave-password", "read")]

    def login(self, user, password):
        r = self.server.post(API + "/auth/login", {"username": user, "password": password}, key=None)
        self.assertEqual(r.status, 200, r)
        return r.data

    def test_restart(self):
        s = self.server
        r = s.post(API + "/auth/generate-key", {"name": "counted", "permissions": ["read"]})
        key, kid = r.data["api_key"], r.data["key_id"]
        for _ in range(3):
            self.assertEqual(s.query("SELECT 1 AS x", key=key).status, 200)
        gone = s.generate_key(["read"], name="revoked-before-restart")
        self.assertEqual(s.post(API + "/auth/revoke-key", {"api_key": gone}).status, 200)
        carol = self.login("carol", "carol-password")
        dave = self.login("dave", "dave-password")
        out = self.login("carol", "carol-password")
        self.assertEqual(s.request("POST", API + "/auth/logout", {"refresh_token": out["refresh_token"]},
                                   key=None, headers=bearer(out["access_token"])).status, 200)
        s.stop()
        rc, so, se = nqserver.run(["key", "list", "--data", s.data_dir, "--format", "json"])
        self.assertEqual(rc, 0, se)
        keys = {k["id"]: k for k in json.loads(so)}
        self.assertGreaterEqual(keys[kid]["usage_count"], 3)
        self.assertTrue(keys[kid]["last_used"])
        self.assertNotIn(key, so)  # lists never show a key
        rc, so, se = nqserver.run(["user", "delete", "dave", "--data", s.data_dir])
        self.assertEqual(rc, 0, se)
        s.start()
        self.assertEqual(s.query("SELECT 1 AS x", key=key).status, 200)
        self.assertEqual(s.query("SELECT 1 AS x", key=gone).status, 401)
        q = {"query": "SELECT 1 AS x"}
        self.assertEqual(s.request("POST", API + "/query", q, key=None,
                                   headers=bearer(carol["access_token"])).status, 200)
        self.assertEqual(s.post(API + "/auth/refresh", {"refresh_token": carol["refresh_token"]},
                                key=None).status, 200)
        # logged out before the restart: still out
        self.assertEqual(s.request("POST", API + "/query", q, key=None,
                                   headers=bearer(out["access_token"])).status, 401)
        self.assertEqual(s.post(API + "/auth/refresh", {"refresh_token": out["refresh_token"]},
                                key=None).status, 401)
        # deleted user: tokens refused, login refused
        self.assertEqual(s.request("POST", API + "/query", q, key=None,
                                   headers=bearer(dave["access_token"])).status, 401)
        self.assertEqual(s.post(API + "/auth/refresh", {"refresh_token": dave["refresh_token"]},
                                key=None).status, 401)
        self.assertEqual(s.post(API + "/auth/login", {"username": "dave", "password": "dave-password"},
                                key=None).status, 401)


class LoginLimitTest(ServerTestCase):
    """Login attempts are limited per client address (20 per 5 minutes) before any password
    is hashed: the 21st attempt is 429, also with the right password."""
    users = [("gina", "gina-password", "read")]

    def test_login_attempts(self):
        s = self.server
        body = {"username": "gina", "password": "wrong-password"}
        for i in range(20):
            r = s.post(API + "/auth/login", body, key=None)
            self.assertEnvelope(r, 401, "Unauthorized")
        r = s.post(API + "/auth/login", body, key=None)
        self.assertEqual(r.status, 429, r)
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        r = s.post(API + "/auth/login", {"username": "gina", "password": "gina-password"}, key=None)
        self.assertEqual(r.status, 429, r)
        r = s.post(API + "/auth/login", {"username": "gina", "password": "gina-password",
                                         "quantum_enabled": True}, key=None)
        self.assertIn(r.status, (429, 400), r)
        # other routes are not affected
        self.assertEqual(s.query("SELECT 1 AS x").status, 200)


class KeyGenerationLimitTest(ServerTestCase):
    """rate_limit.key_generation_per_hour at its default: 5 per client IP, then 429."""
    config = {"rate_limit": {"key_generation_per_hour": 5}}

    def test_five_per_hour(self):
        s = self.server
        for i in range(5):
            s.generate_key(["read"], name="g%d" % i)
        r = s.post(API + "/auth/generate-key", {"name": "g6", "permissions": ["read"]})
        self.assertEqual(r.status, 429, r)
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        # other admin routes and requests still work
        self.assertEqual(s.post(API + "/auth/revoke-key", {"api_key": NO_KEY}).status, 404)
        self.assertEqual(s.query("SELECT 1 AS x").status, 200)


class AdminWhitelistTest(ServerTestCase):
    """security.admin_ip_whitelist without 127.0.0.1: the admin key routes answer 403 even to
    the admin key; other routes work; X-Forwarded-For from an untrusted peer is not believed."""
    config = {"security": {"admin_ip_whitelist": ["10.0.0.0/8", "fd00::/8"]}}

    def test_whitelist(self):
        s = self.server
        for path, body in ((API + "/auth/generate-key", {"name": "w", "permissions": ["read"]}),
                           (API + "/auth/revoke-key", {"api_key": NO_KEY})):
            for xff in (None, "10.1.2.3"):
                h = {"X-Forwarded-For": xff} if xff else {}
                r = s.post(path, body, headers=h)
                self.assertEnvelope(r, 403, "Forbidden")
                self.assertIn("127.0.0.1", r.error["Forbidden"])
        self.assertEqual(s.query("SELECT 1 AS x").status, 200)


class TrustedProxyTest(ServerTestCase):
    """With 127.0.0.1 as a trusted proxy, X-Forwarded-For names the client: an address in the
    whitelist passes, others do not."""
    config = {"security": {"admin_ip_whitelist": ["10.0.0.0/8"], "trusted_proxies": ["127.0.0.1"]}}

    def test_forwarded_for(self):
        s = self.server
        body = {"name": "p", "permissions": ["read"]}
        r = s.post(API + "/auth/generate-key", body, headers={"X-Forwarded-For": "10.1.2.3"})
        self.assertEnvelope(r, 200)
        for xff in ("192.168.1.1", "10.1.2.3, 192.168.1.1", None, "not-an-address"):
            h = {"X-Forwarded-For": xff} if xff else {}
            r = s.post(API + "/auth/generate-key", body, headers=h)
            self.assertEnvelope(r, 403, "Forbidden")


class UserCliTest(ServerTestCase):
    """`nqdb user create` refuses bad input and, while a server holds the directory, says so."""

    def test_user_cli(self):
        s = self.server
        rc, so, se = nqserver.run(["user", "create", "late", "--data", s.data_dir, "--password-stdin"],
                                  input="late-password\n")
        self.assertNotEqual(rc, 0)
        self.assertTrue(se.strip(), "no message")


if __name__ == "__main__":
    nqserver.main()
