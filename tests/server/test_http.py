"""test_http.py — the HTTP layer of `nqdb serve` end to end: the envelope and its metadata on
every answer, X-Request-ID, 404/405/413, bad bodies (malformed JSON, wrong Content-Type,
wrong types, unknown fields), SQL injection attempts in every string field, security headers,
CORS, /health, /api/v1/stats/performance, /metrics, the OpenAPI document and the 501 answers
of the subsystem routes."""

import json
import random
import re
import socket
import time
import uuid

import nqserver
from nqserver import API, ServerTestCase, wait_for

# Every route of the server (src/server/router.c), for the OpenAPI check and the 501s.
ROUTES = [
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/api-docs/openapi.json"),
    ("GET", "/ws"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/generate-key"),
    ("POST", "/api/v1/auth/revoke-key"),
    ("POST", "/api/v1/query"),
    ("GET", "/api/v1/backups"),
    ("POST", "/api/v1/backups"),
    ("POST", "/api/v1/backups/prune"),
    ("POST", "/api/v1/tables"),
    ("POST", "/api/v1/tables/{table_name}/data"),
    ("PUT", "/api/v1/tables/{table_name}/data"),
    ("DELETE", "/api/v1/tables/{table_name}/data"),
    ("POST", "/api/v1/tables/{table_name}/query"),
    ("POST", "/api/v1/neural/train"),
    ("GET", "/api/v1/neural/train/{network_id}"),
    ("POST", "/api/v1/quantum/search"),
    ("POST", "/api/v1/dna/compress"),
    ("POST", "/api/v1/dna/decompress"),
    ("POST", "/api/v1/biometric/eeg/enroll"),
    ("POST", "/api/v1/biometric/eeg/authenticate"),
    ("POST", "/api/v1/biometric/eeg/update"),
    ("GET", "/api/v1/biometric/eeg/users"),
    ("DELETE", "/api/v1/biometric/eeg/users/{user_id}"),
    ("POST", "/api/v1/biometric/enroll"),
    ("POST", "/api/v1/biometric/verify"),
    ("GET", "/api/v1/stats/performance"),
    ("GET", "/api/v1/advisor/indexes"),
    ("DELETE", "/api/v1/advisor/indexes/statistics"),
]

# the routes that still answer 501 (POST /api/v1/quantum/search is built: test_quantum_search.py;
# /api/v1/biometric is built: test_biometric.py; /api/v1/dna is built: test_dna.py;
# /api/v1/neural is built: test_neural.py; /api/v1/advisor is built: test_advisor.py): none
SUBSYSTEM_ROUTES = []

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")

INJECTIONS = [
    "x'; DROP TABLE inj; --",
    "\" OR 1=1 --",
    "inj\"; DELETE FROM inj; --",
    "1; UPDATE inj SET v = 'pwned'",
    "' OR '1'='1",
    "name) VALUES (1); DROP TABLE inj; --",
    "a\\' ; SELECT * FROM inj --",
    "*/ DROP TABLE inj /*",
    "inj UNION SELECT 1, 'x', 'y'",
    "\u0000nul",
]


class EnvelopeTest(ServerTestCase):
    config = {"cors": {"allowed_origins": ["http://app.example"]}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        assert s.query("CREATE TABLE inj (id INTEGER PRIMARY KEY, name TEXT, v TEXT)").status == 200
        assert s.query("INSERT INTO inj (id, name, v) VALUES (1, 'alice', 'a'), (2, 'bob', 'b')"
                       ).status == 200
        # the bad-input tests work on their own table, so that one test's damage (a bug) does
        # not fail the others
        assert s.query("CREATE TABLE fx (id INTEGER PRIMARY KEY, name TEXT, v TEXT)").status == 200
        assert s.query("INSERT INTO fx (id, name, v) VALUES (1, 'alice', 'a'), (2, 'bob', 'b')"
                       ).status == 200

    # ---- envelope and request ids -------------------------------------------------------

    def test_health_envelope(self):
        r = self.server.get("/health", key=None)
        j = self.assertEnvelope(r, 200)
        md = j["metadata"]
        self.assertRegex(md["timestamp"], TS_RE)
        self.assertRegex(md["request_id"], UUID_RE)
        self.assertEqual(md["message"], "Health check completed")
        self.assertIsInstance(md["version"], str)
        self.assertTrue(md["version"])
        self.assertTrue(r.header("Content-Type").startswith("application/json"))

    def test_error_envelope(self):
        r = self.server.get(API + "/stats/performance", key=None)
        j = self.assertEnvelope(r, 401, "Unauthorized")
        self.assertEqual(j["metadata"]["response_time_ms"], 0.0)
        self.assertTrue(j["metadata"]["message"].startswith("Authentication failed: "), r)

    def test_request_id_honoured(self):
        rid = "e2e-req-" + uuid.uuid4().hex
        for key, path in ((None, "/health"), ("admin", API + "/stats/performance"),
                          (None, API + "/query"), ("admin", "/nope")):
            r = self.server.get(path, key=key, headers={"X-Request-ID": rid})
            self.assertEqual(r.header("X-Request-ID"), rid, r)
            self.assertEqual(r.json["metadata"]["request_id"], rid, r)

    def test_request_id_generated(self):
        ids = set()
        for _ in range(5):
            r = self.server.get("/health", key=None)
            rid = r.header("X-Request-ID")
            self.assertRegex(rid, UUID_RE)
            ids.add(rid)
        self.assertEqual(len(ids), 5)

    def test_request_id_malformed_replaced(self):
        # a header value with spaces and quotes is not echoed into logs and JSON
        r = self.server.get("/health", key=None, headers={"X-Request-ID": "a b\"c<script>"})
        self.assertEqual(r.status, 200)
        self.assertRegex(r.header("X-Request-ID"), UUID_RE)
        r = self.server.get("/health", key=None, headers={"X-Request-ID": "x" * 500})
        self.assertRegex(r.header("X-Request-ID"), UUID_RE)

    # ---- 404 / 405 ---------------------------------------------------------------------------

    def test_404(self):
        for key in (None, "admin"):
            for path in ("/nope", API + "/nope", API + "/tables", "/health/x", "/api/v1/tables/t/x"):
                r = self.server.get(path, key=key)
                if r.status == 405:  # /api/v1/tables answers POST only
                    continue
                self.assertEnvelope(r, 404, "NotFound")

    def test_405_with_allow(self):
        cases = [("GET", API + "/query", {"POST"}), ("PUT", "/health", {"GET"}),
                 ("DELETE", API + "/auth/login", {"POST"}),
                 ("PATCH", API + "/tables/t/data", {"POST", "PUT", "DELETE"}),
                 ("GET", API + "/tables", {"POST"})]
        for method, path, allow in cases:
            r = self.server.request(method, path)
            self.assertEnvelope(r, 405)
            got = {x.strip() for x in (r.header("Allow") or "").split(",") if x.strip()}
            self.assertEqual(got, allow, r)

    # ---- bodies ------------------------------------------------------------------------------

    def test_malformed_json(self):
        for raw in (b"{", b"{\"query\": }", b"not json", b"{\"query\": \"SELECT 1\",}",
                    b"\xff\xfe", b"{\"query\": \"a\", \"query\": \"b\"}"):
            r = self.server.post(API + "/query", raw=raw)
            self.assertEnvelope(r, 400)
            self.assertIn(r.error_variant(), ("BadRequest", "ValidationError"), r)

    def test_wrong_content_type(self):
        for ct in ("text/plain", "application/x-www-form-urlencoded", None):
            r = self.server.post(API + "/query", raw=b'{"query": "SELECT 1"}', content_type=ct)
            self.assertEnvelope(r, 400, "BadRequest")
            self.assertIn("Content-Type", r.error["BadRequest"])

    def test_missing_body(self):
        r = self.server.post(API + "/query")
        self.assertValidation(r)

    def test_body_not_object(self):
        r = self.server.post(API + "/query", raw=b"[1, 2]")
        self.assertValidation(r, "body")
        for body in ("SELECT 1", 5, None):  # not even a JSON text jansson reads as a document
            r = self.server.post(API + "/query", raw=json.dumps(body).encode())
            self.assertEnvelope(r, 400)
            self.assertIn(r.error_variant(), ("BadRequest", "ValidationError"), r)

    def test_wrong_types(self):
        s = self.server
        cases = [
            (API + "/query", {"query": 5}, "query"),
            (API + "/query", {"query": ["SELECT 1"]}, "query"),
            (API + "/query", {"query": ""}, "query"),
            (API + "/query", {"query": "SELECT 1", "params": "x"}, "params"),
            (API + "/tables", {"schema": "x"}, "schema"),
            (API + "/tables", {"schema": {"name": "w", "columns": [{"name": "a", "data_type": "Integer"}]},
                               "if_not_exists": "yes"}, "if_not_exists"),
            (API + "/tables/fx/query", {"limit": "10"}, "limit"),
            (API + "/tables/fx/query", {"limit": -1}, "limit"),
            (API + "/tables/fx/query", {"offset": 1.5}, "offset"),
            (API + "/tables/fx/query", {"filters": [1]}, "filters"),
            (API + "/tables/fx/query", {"columns": "name"}, "columns"),
            (API + "/tables/fx/data", {"records": {"a": 1}}, "records"),
            (API + "/tables/fx/data", {"records": [1]}, "records"),
            (API + "/auth/generate-key", {"name": 1, "permissions": ["read"]}, "name"),
            (API + "/auth/generate-key", {"name": "k", "permissions": "read"}, "permissions"),
            (API + "/auth/revoke-key", {"api_key": 12}, "api_key"),
            (API + "/auth/login", {"username": "u", "password": 12345678}, "password"),
            (API + "/auth/refresh", {"refresh_token": True}, "refresh_token"),
        ]
        for path, body, field in cases:
            with self.subTest(path=path, body=body):
                r = s.post(path, body)
                self.assertValidation(r, field)
        self.assertEqual(s.rows("SELECT count(*) AS n FROM fx")[0]["n"], 2)

    def test_unknown_fields(self):
        s = self.server
        cases = [
            (API + "/query", {"query": "SELECT 1", "querry": 1}, "querry"),
            (API + "/tables/fx/query", {"filter": {"id": 1}}, "filter"),
            (API + "/tables/fx/data", {"records": [{"id": 9}], "extra": True}, "extra"),
            (API + "/tables", {"schema": {"name": "w2", "columns": [], "colour": 1}}, "schema.colour"),
            (API + "/auth/login", {"username": "u", "password": "p" * 8, "role": "admin"}, "role"),
            (API + "/auth/generate-key", {"name": "k", "permissions": ["read"], "admin": True}, "admin"),
        ]
        for path, body, field in cases:
            with self.subTest(path=path):
                r = s.post(path, body)
                self.assertValidation(r, field)
        r = s.request("PUT", API + "/tables/fx/data",
                      {"filters": {"id": 1}, "updates": {"v": "z"}, "upsert": True})
        self.assertValidation(r, "upsert")
        r = s.request("DELETE", API + "/tables/fx/data", {"filters": {"id": 1}, "all": True})
        self.assertValidation(r, "all")
        # nothing changed
        self.assertEqual(s.rows("SELECT id, v FROM fx ORDER BY id"),
                         [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}])
        self.assertNotIn("w2", [r["name"] if "name" in r else list(r.values())[0]
                                for r in s.rows("SHOW TABLES")])

    def test_huge_body_default_limit(self):
        # 17 MiB against the default security.max_payload_size (16 MiB): the server answers 413
        # at once (and may close before reading the rest: the client reads the answer anyway)
        s = self.server
        n = 17 << 20
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=60)
        try:
            sock.sendall(("POST %s/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                          "application/json\r\nX-API-Key: %s\r\nContent-Length: %d\r\n\r\n"
                          % (API, s.admin_key, n)).encode())
            chunk = b'{"query": "' + b"a" * 65525
            sent = 0
            try:
                while sent < n:
                    sent += sock.send(chunk[:n - sent] if sent == 0 else (b"a" * 65536)[:n - sent])
            except OSError:
                pass  # closed by the server after its answer
            data = b""
            try:
                while True:
                    b = sock.recv(65536)
                    if not b:
                        break
                    data += b
            except OSError:
                pass
        finally:
            sock.close()
        m = re.match(rb"HTTP/1\.1 (\d{3})", data)
        self.assertTrue(m, data[:200])
        self.assertEqual(int(m.group(1)), 413, data[:300])
        body = data.split(b"\r\n\r\n", 1)[1]
        self.assertIn(b"PayloadTooLarge", body)
        self.assertEqual(s.get("/health", key=None).status, 200)

    def test_body_on_get_route(self):
        r = self.server.request("GET", API + "/stats/performance", {"x": 1})
        self.assertEnvelope(r, 400, "BadRequest")

    # ---- SQL injection ---------------------------------------------------------------------

    def table_state(self):
        s = self.server
        tables = sorted(json.dumps(t, sort_keys=True) for t in s.rows("SHOW TABLES"))
        rows = s.rows("SELECT id, name, v FROM inj ORDER BY id")
        return tables, rows

    def assertNoServerError(self, r, what):
        self.assertIsNotNone(r.json, "%s: not JSON: %r" % (what, r))
        self.assertLess(r.status, 500, "%s -> %r" % (what, r))

    def test_sql_injection_everywhere(self):
        s = self.server
        before = self.table_state()
        from urllib.parse import quote
        for inj in INJECTIONS:
            with self.subTest(inj=inj):
                q = quote(inj, safe="")
                tries = [
                    ("POST", API + "/tables/%s/query" % q, {}),
                    ("POST", API + "/tables/%s/data" % q, {"records": [{"name": "x"}]}),
                    ("PUT", API + "/tables/%s/data" % q, {"filters": {"id": 1}, "updates": {"v": "x"}}),
                    ("DELETE", API + "/tables/%s/data" % q, {"filters": {"id": 1}}),
                    ("POST", API + "/tables/inj/query", {"filters": {inj: {"operator": "Equal", "value": 1}}}),
                    ("POST", API + "/tables/inj/query", {"filters": {"name": {"operator": "Equal", "value": inj}}}),
                    ("POST", API + "/tables/inj/query", {"filters": {"name": {"operator": "Like", "value": inj}}}),
                    ("POST", API + "/tables/inj/query", {"filters": {"name": {"operator": "In", "value": [inj, "alice"]}}}),
                    ("POST", API + "/tables/inj/query", {"filters": {"name": {"operator": "Contains", "value": inj}}}),
                    ("POST", API + "/tables/inj/query", {"filters": {"name": {"operator": inj, "value": 1}}}),
                    ("POST", API + "/tables/inj/query", {"columns": [inj]}),
                    ("POST", API + "/tables/inj/query", {"sort": [{"column": inj, "direction": "Asc"}]}),
                    ("POST", API + "/tables/inj/query", {"sort": [{"column": "id", "direction": inj}]}),
                    ("POST", API + "/tables/inj/query", {"table_name": inj}),
                    ("PUT", API + "/tables/inj/data", {"filters": {"id": 999}, "updates": {inj: "x"}}),
                    ("PUT", API + "/tables/inj/data", {"filters": {inj: 1}, "updates": {"v": "x"}}),
                    ("PUT", API + "/tables/inj/data", {"filters": {"name": inj}, "updates": {"v": inj}}),
                    ("DELETE", API + "/tables/inj/data", {"filters": {"name": inj}}),
                    ("DELETE", API + "/tables/inj/data", {"filters": {inj: 1}}),
                    ("POST", API + "/tables/inj/data", {"records": [{inj: "x"}]}),
                    ("POST", API + "/tables", {"schema": {"name": inj, "columns": [{"name": "a", "data_type": "Integer"}]}}),
                    ("POST", API + "/tables", {"schema": {"name": "inj", "columns": [{"name": inj, "data_type": "Text"}]},
                                              "if_not_exists": True}),
                    ("POST", API + "/tables", {"schema": {"name": "injx", "columns": [{"name": "a", "data_type": inj}]}}),
                    ("POST", API + "/tables", {"schema": {"name": "injy", "columns": [
                        {"name": "a", "data_type": "Text", "default_value": inj}]}}),
                    ("POST", API + "/auth/login", {"username": inj, "password": "password123"}),
                    ("POST", API + "/auth/login", {"username": "admin", "password": inj + "12345678"}),
                    ("POST", API + "/auth/refresh", {"refresh_token": inj}),
                    ("POST", API + "/auth/revoke-key", {"api_key": inj}),
                    ("POST", API + "/query", {"query": "SELECT * FROM inj WHERE name = ?", "params": [inj]}),
                    ("POST", API + "/query", {"query": "SELECT * FROM inj WHERE name = :n", "params": {"n": inj}}),
                ]
                for method, path, body in tries:
                    r = s.request(method, path, body)
                    self.assertNoServerError(r, "%s %s %r" % (method, path, body))
                    if method == "POST" and path.endswith("/query") and r.status == 200 and "records" in (r.data or {}):
                        # a value is data: it matches no row (no row holds those strings)
                        for rec in r.data["records"]:
                            self.assertIn(rec.get("name", "alice"), ("alice", "bob"), r)
                # the table a generated CREATE named after the default may exist: drop them
                for t in ("injx", "injy"):
                    s.query('DROP TABLE IF EXISTS "%s"' % t)
                # a table literally named after the injection string is data, not code: drop it
                s.query('DROP TABLE IF EXISTS "%s"' % inj.replace('"', '""')) if "\u0000" not in inj else None
        # the only rows that may have changed are none: updates/deletes matched no row
        self.assertEqual(self.table_state(), before)

    def test_sql_injection_column_equals_itself(self):
        # a filter whose column name is also its value: if the name became a string literal
        # the condition would be true for every row
        s = self.server
        before = self.table_state()
        for inj in INJECTIONS:
            with self.subTest(inj=inj):
                for method, body in (("DELETE", {"filters": {inj: inj}}),
                                     ("PUT", {"filters": {inj: inj}, "updates": {"v": "x"}}),
                                     ("POST", {"filters": {inj: inj}})):
                    path = API + "/tables/inj/" + ("query" if method == "POST" else "data")
                    r = s.request(method, path, body)
                    self.assertNoServerError(r, "%s %r" % (method, body))
                    self.assertGreaterEqual(r.status, 400, r)
        self.assertEqual(self.table_state(), before)

    def test_default_value_is_data(self):
        s = self.server
        inj = "x'); DROP TABLE inj; --"
        r = s.post(API + "/tables", {"schema": {"name": "dv", "columns": [
            {"name": "id", "data_type": "Integer", "constraints": ["PRIMARY KEY"]},
            {"name": "t", "data_type": "Text", "default_value": inj}]}})
        self.assertEnvelope(r, 201)
        r = s.post(API + "/tables/dv/data", {"records": [{"id": 1}]})
        self.assertEnvelope(r, 201)
        self.assertEqual(s.rows("SELECT t FROM dv"), [{"t": inj}])
        self.assertEqual(len(s.rows("SELECT * FROM inj")), 2)
        s.query("DROP TABLE dv")

    # ---- headers ---------------------------------------------------------------------------

    def test_security_headers(self):
        for r in (self.server.get("/health", key=None), self.server.get("/nope", key=None),
                  self.server.query("SELECT 1 AS x"), self.server.get(API + "/query", key=None)):
            self.assertEqual(r.header("X-Content-Type-Options"), "nosniff", r)
            self.assertEqual(r.header("X-Frame-Options"), "DENY", r)
            self.assertTrue(r.header("Content-Security-Policy"), r)
            self.assertTrue(r.header("Referrer-Policy"), r)

    def test_cors_preflight_allowed(self):
        r = self.server.request("OPTIONS", API + "/query", key=None, headers={
            "Origin": "http://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-API-Key, Content-Type"})
        self.assertIn(r.status, (200, 204), r)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "http://app.example")
        methods = {m.strip() for m in r.header("Access-Control-Allow-Methods").split(",")}
        self.assertIn("POST", methods)
        hdrs = {h.strip().lower() for h in r.header("Access-Control-Allow-Headers").split(",")}
        self.assertIn("x-api-key", hdrs)
        self.assertIn("content-type", hdrs)
        self.assertTrue(r.header("Access-Control-Max-Age"))

    def test_cors_preflight_refused(self):
        for origin in ("http://evil.example", "http://localhost:3000", "null"):
            r = self.server.request("OPTIONS", API + "/query", key=None, headers={
                "Origin": origin, "Access-Control-Request-Method": "POST"})
            self.assertGreaterEqual(r.status, 400, r)
            self.assertLess(r.status, 500, r)
            self.assertIsNone(r.header("Access-Control-Allow-Origin"), r)

    def test_cors_simple_request(self):
        r = self.server.query("SELECT 1 AS x", headers={"Origin": "http://app.example"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "http://app.example")
        exp = {h.strip().lower() for h in (r.header("Access-Control-Expose-Headers") or "").split(",")}
        self.assertIn("x-ratelimit-remaining", exp)
        r = self.server.query("SELECT 1 AS x", headers={"Origin": "http://evil.example"})
        self.assertIsNone(r.header("Access-Control-Allow-Origin"), r)

    # ---- status documents --------------------------------------------------------------------

    def test_health_is_measured(self):
        s = self.server
        r = s.get("/health", key=None)
        d = self.assertEnvelope(r, 200)["data"]
        self.assertEqual(d["status"], "healthy")
        self.assertIsInstance(d["version"], str)
        self.assertIsInstance(d["uptime_seconds"], int)
        self.assertGreater(d["system_metrics"]["memory_usage_mb"], 0)
        self.assertIsNone(d["system_metrics"]["power_consumption_w"])
        self.assertEqual(d["database"]["status"], "ok")
        self.assertGreater(d["database"]["size_bytes"], 0)
        self.assertIs(d["redis"]["configured"], False)
        self.assertIs(d["security"]["rate_limiting_enabled"], True)
        up0 = d["uptime_seconds"]
        wait_for(lambda: s.get("/health", key=None).data["uptime_seconds"] > up0, timeout=10,
                 interval=0.25, what="uptime_seconds to grow")

    def test_performance_stats_are_measured(self):
        s = self.server
        d0 = self.assertEnvelope(s.get(API + "/stats/performance"), 200)["data"]
        db0 = d0["database_metrics"]
        for k in ("total_queries", "total_requests", "total_tables", "database_size_bytes",
                  "active_connections"):
            self.assertIsInstance(db0[k], int, k)
        self.assertIsInstance(d0["system_metrics"]["memory_usage_mb"], float)
        self.assertGreater(d0["system_metrics"]["memory_usage_mb"], 0)
        self.assertIsNone(d0["system_metrics"]["power_consumption_watts"])
        for _ in range(7):
            self.assertEqual(s.query("SELECT 1 AS one").status, 200)
        s.query("CREATE TABLE perf_extra (a INTEGER)")
        d1 = s.get(API + "/stats/performance").data
        db1 = d1["database_metrics"]
        self.assertGreaterEqual(db1["total_queries"], db0["total_queries"] + 8)
        self.assertGreaterEqual(db1["total_requests"], db0["total_requests"] + 9)
        self.assertEqual(db1["total_tables"], db0["total_tables"] + 1)
        self.assertIsInstance(db1["average_query_time_ms"], float)
        self.assertGreaterEqual(d1["uptime_seconds"], d0["uptime_seconds"])
        s.query("DROP TABLE perf_extra")
        self.assertEqual(s.get(API + "/stats/performance").data["database_metrics"]["total_tables"],
                         db0["total_tables"])

    def test_metrics_prometheus(self):
        s = self.server
        before = parse_prometheus(self, s.get("/metrics", key=None))
        n = 6
        for _ in range(n):
            s.get(API + "/stats/performance")
        for _ in range(3):
            s.get("/nope", key=None)
        r = s.get("/metrics", key=None)
        self.assertTrue(r.header("Content-Type").startswith("text/plain"), r.header("Content-Type"))
        after = parse_prometheus(self, r)

        def total(samples, name, **labels):
            return sum(v for (nm, lab), v in samples.items()
                       if nm == name and all(dict(lab).get(k) == x for k, x in labels.items()))

        name = "neuroquantum_api_requests_total"
        self.assertEqual(total(after, name, endpoint="/api/v1/stats/performance", method="GET")
                         - total(before, name, endpoint="/api/v1/stats/performance", method="GET"), n)
        self.assertGreaterEqual(total(after, name, status="404") - total(before, name, status="404"), 3)
        self.assertGreater(total(after, "neuroquantum_memory_usage_bytes"), 0)
        hist = [k for k in after if k[0] == "neuroquantum_api_request_duration_seconds_bucket"]
        self.assertTrue(hist, "no request duration histogram")
        self.assertTrue(any(k[0] == "neuroquantum_queries_total" for k in after))
        self.assertTrue(any(k[0].startswith("neuroquantum_buffer_pool") for k in after))

    def test_openapi_has_every_route(self):
        r = self.server.get("/api-docs/openapi.json", key=None)
        self.assertEqual(r.status, 200, r)
        doc = r.json
        self.assertIsInstance(doc, dict, r.text[:200])
        self.assertTrue(str(doc.get("openapi", "")).startswith("3"), doc.get("openapi"))
        paths = doc.get("paths", {})
        for method, path in ROUTES:
            with self.subTest(route="%s %s" % (method, path)):
                self.assertIn(path, paths)
                self.assertIn(method.lower(), paths[path])
        # and nothing that the server does not serve
        served = {(m.lower(), p) for m, p in ROUTES}
        for path, ops in paths.items():
            for m in ops:
                if m in ("get", "post", "put", "delete", "patch", "options", "head"):
                    self.assertIn((m, path), served, "OpenAPI documents %s %s" % (m, path))

    def test_subsystem_routes_501(self):
        s = self.server
        for method, path in SUBSYSTEM_ROUTES:
            with self.subTest(route="%s %s" % (method, path)):
                body = {} if method in ("POST",) else None
                r = s.request(method, path, body)
                self.assertEnvelope(r, 501, "NotImplemented")
                self.assertIn("not supported yet", r.error["NotImplemented"])


class PayloadLimitTest(ServerTestCase):
    """security.max_payload_size: a body over it is 413, whether Content-Length says so or a
    chunked body grows past it, and the server goes on serving."""
    config = {"security": {"max_payload_size": 4096}}

    def test_413_declared(self):
        s = self.server
        body = {"query": "SELECT '%s' AS x" % ("a" * 5000)}
        r = s.post(API + "/query", body)
        self.assertEnvelope(r, 413, "PayloadTooLarge")
        self.assertEqual(s.query("SELECT 1 AS x").status, 200)

    def test_413_without_auth_first(self):
        # the size is checked before anything else: no credentials and an oversized body is 413
        r = self.server.post(API + "/query", {"query": "x" * 8000}, key=None)
        self.assertEqual(r.status, 413, r)

    def test_413_chunked(self):
        s = self.server
        c = s.connect()
        try:
            c.putrequest("POST", API + "/query")
            c.putheader("X-API-Key", s.admin_key)
            c.putheader("Content-Type", "application/json")
            c.putheader("Transfer-Encoding", "chunked")
            c.endheaders()
            payload = json.dumps({"query": "SELECT '%s' AS x" % ("b" * 9000)}).encode()
            for i in range(0, len(payload), 1000):
                part = payload[i:i + 1000]
                c.send(b"%x\r\n%s\r\n" % (len(part), part))
            c.send(b"0\r\n\r\n")
            resp = c.getresponse()
            r = nqserver.Response(resp.status, resp.headers, resp.read())
        finally:
            c.close()
        self.assertEnvelope(r, 413, "PayloadTooLarge")
        self.assertEqual(s.query("SELECT 2 AS x").status, 200)

    def test_just_under_limit(self):
        pad = 4096 - len(json.dumps({"query": "SELECT '' AS x"})) - 10
        r = self.server.query("SELECT '%s' AS x" % ("c" * pad))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.data["rows"][0]["x"]), pad)

    def test_huge_header_and_garbage(self):
        # raw garbage on the socket: the server answers 4xx or closes, and keeps serving
        s = self.server
        for junk in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 70000 + b"\r\n\r\n",
                     b"\x00\x01\x02\x03" * 100):
            sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
            try:
                sock.sendall(junk)
                sock.shutdown(socket.SHUT_WR)
                data = b""
                while True:
                    try:
                        b = sock.recv(65536)
                    except (ConnectionResetError, socket.timeout):
                        break
                    if not b:
                        break
                    data += b
            except OSError:  # the server closed first (reset, broken pipe, not connected)
                data = b""
            finally:
                sock.close()
            if data:
                m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
                self.assertTrue(m, data[:200])
                self.assertTrue(400 <= int(m.group(1)) < 500, data[:200])
        self.assertEqual(s.get("/health", key=None).status, 200)


class MetricsTest(ServerTestCase):
    """The /metrics figures move with what the server does: queries by type and status,
    errors, WAL bytes and syncs, commits, auth results, connections, WebSocket connections,
    process figures."""

    def sample(self):
        return parse_prometheus(self, self.server.get("/metrics", key=None))

    def total(self, m, name, **labels):
        return sum(v for (n, lab), v in m.items()
                   if n == name and all(dict(lab).get(k) == x for k, x in labels.items()))

    def test_figures_move(self):
        s = self.server
        self.assertEqual(s.query("CREATE TABLE mt (id INTEGER PRIMARY KEY, v TEXT)").status, 200)
        m0 = self.sample()
        for i in range(5):
            self.assertEqual(s.query("INSERT INTO mt (v) VALUES (?)", ["x" * 200]).status, 200)
        for i in range(3):
            self.assertEqual(s.query("SELECT count(*) AS n FROM mt").status, 200)
        self.assertEqual(s.query("UPDATE mt SET v = 'y'").status, 200)
        self.assertEqual(s.query("SELECT nope FROM mt").status, 400)
        self.assertEqual(s.query("SELECT 1", key="nqdb_" + "2" * 32).status, 401)
        ws = None
        try:
            import websocket
            ws = websocket.create_connection("ws://127.0.0.1:%d/ws" % s.port,
                                             header=["X-API-Key: " + s.admin_key], timeout=30)
            ws.send(json.dumps({"type": "ping"}))
            self.assertEqual(json.loads(ws.recv())["type"], "pong")
        except ImportError:
            pass
        m1 = self.sample()
        d = lambda name, **lab: self.total(m1, name, **lab) - self.total(m0, name, **lab)  # noqa: E731
        self.assertEqual(d("neuroquantum_queries_total", query_type="insert", status="success"), 5)
        self.assertEqual(d("neuroquantum_queries_total", query_type="select", status="success"), 3)
        self.assertEqual(d("neuroquantum_queries_total", query_type="update", status="success"), 1)
        self.assertGreaterEqual(d("neuroquantum_query_errors_total") + d("neuroquantum_queries_total", status="error"), 1)
        self.assertGreaterEqual(d("neuroquantum_query_duration_seconds_count"), 9)
        self.assertGreaterEqual(d("neuroquantum_transactions_committed_total"), 6)
        self.assertGreater(d("neuroquantum_wal_bytes_written"), 5 * 200)
        self.assertGreaterEqual(d("neuroquantum_wal_syncs_total"), 1)
        self.assertGreaterEqual(d("neuroquantum_auth_requests_total", status="failed") +
                                d("neuroquantum_auth_requests_total", status="failure"), 1)
        self.assertGreaterEqual(d("neuroquantum_connections_total"), 10)
        # (CPU time is counted in clock ticks: a fresh, idle server may still be at 0)
        self.assertTrue(any(k[0] == "process_cpu_seconds_total" for k in m1))
        self.assertGreaterEqual(self.total(m1, "process_cpu_seconds_total"), 0)
        self.assertGreater(self.total(m1, "process_resident_memory_bytes"), 1 << 20)
        self.assertGreaterEqual(self.total(m1, "process_threads"), 2)
        self.assertGreater(self.total(m1, "neuroquantum_database_size_bytes"), 0)
        if ws is not None:
            self.assertEqual(d("neuroquantum_websocket_connections_total"), 1)
            self.assertEqual(self.total(m1, "neuroquantum_websocket_connections_active"), 1)
            ws.close()
            wait_for(lambda: self.total(self.sample(), "neuroquantum_websocket_connections_active") == 0,
                     timeout=30, interval=0.1, what="the WebSocket gauge to drop")
            self.assertEqual(self.total(self.sample(), "neuroquantum_websocket_disconnections_total")
                             - self.total(m0, "neuroquantum_websocket_disconnections_total"), 1)


class RandomBodiesTest(ServerTestCase):
    """Seeded random request bodies for every route that takes one: the route's own field
    names (and some unknown ones) with values of random types and shapes. Every answer is a
    4xx or a success (501 for not-built features), never a 5xx; the server stays up and the
    tables that no request may change are unchanged."""

    SEED = 20261124
    PER_ROUTE = 80
    COLS = ["id", "name", "v", "nope", "", "x" * 80, "id\"; --", "NAME"]
    OPS = ["Equal", "NotEqual", "GreaterThan", "LessThan", "GreaterEqual", "LessEqual", "In",
           "NotIn", "Like", "NotLike", "IsNull", "IsNotNull", "Contains", "StartsWith",
           "EndsWith", "NeuralSimilar", "Bogus", ""]
    ROUTES = [
        ("POST", API + "/query", ["query", "params"]),
        ("POST", API + "/tables", ["schema", "if_not_exists"]),
        ("POST", API + "/tables/rnd/data", ["table_name", "records", "on_conflict", "batch_size"]),
        ("PUT", API + "/tables/rnd/data", ["table_name", "filters", "updates", "optimistic_lock_version"]),
        ("DELETE", API + "/tables/rnd/data", ["table_name", "filters", "cascade", "soft_delete"]),
        ("POST", API + "/tables/rnd/query", ["table_name", "filters", "sort", "limit", "offset", "columns",
                                           "neural_similarity", "quantum_search"]),
        ("POST", API + "/auth/login", ["username", "password", "quantum_enabled"]),
        ("POST", API + "/auth/refresh", ["refresh_token"]),
        ("POST", API + "/auth/logout", ["refresh_token"]),
        ("POST", API + "/auth/generate-key", ["name", "permissions", "expiry_hours", "rate_limit_per_hour"]),
        ("POST", API + "/auth/revoke-key", ["api_key"]),
    ]

    def value(self, rnd, depth=0):
        k = rnd.randrange(12 if depth < 3 else 8)
        if k == 0:
            return None
        if k == 1:
            return rnd.random() < 0.5
        if k == 2:
            return rnd.choice([0, 1, -1, 2 ** 31, -2 ** 63, 2 ** 63 - 1, 10 ** 18, 7])
        if k == 3:
            return rnd.choice([0.5, -1e308, 1e-308, 3.25, 2.0 ** 70])
        if k in (4, 5):
            return rnd.choice(["", "a", "SELECT 1", "'", "\"", "\\", "nqdb_" + "a" * 32, "%_",
                               "\u00e9\u4e2d\U0001f600", "x" * rnd.randrange(1, 3000),
                               "Integer", "Text", "read", "admin", "Asc", "Desc", "Ignore", "Replace",
                               "name", "id", "rnd"])
        if k == 6:
            return rnd.choice(self.OPS)
        if k == 7:
            return rnd.choice(self.COLS)
        if k in (8, 9):
            return [self.value(rnd, depth + 1) for _ in range(rnd.randrange(4))]
        d = {}
        for _ in range(rnd.randrange(4)):
            key = rnd.choice(self.COLS + ["operator", "value", "column", "direction", "data_type",
                                          "columns", "constraints", "constraint_type"])
            d[key] = self.value(rnd, depth + 1)
        return d

    def structured(self, rnd, field):
        """A value shaped like what the field takes, with random leaves."""
        if field == "filters":
            return {rnd.choice(self.COLS): (self.value(rnd, 2) if rnd.random() < 0.3 else
                                            {"operator": rnd.choice(self.OPS), "value": self.value(rnd, 2)})
                    for _ in range(rnd.randrange(3))}
        if field == "records":
            return [{rnd.choice(self.COLS): self.value(rnd, 2) for _ in range(rnd.randrange(3))}
                    for _ in range(rnd.randrange(3))]
        if field == "updates":
            return {rnd.choice(self.COLS): self.value(rnd, 2) for _ in range(rnd.randrange(3))}
        if field == "sort":
            return [{"column": rnd.choice(self.COLS), "direction": rnd.choice(["Asc", "Desc", "Up", 1])}
                    for _ in range(rnd.randrange(3))]
        if field == "columns":
            return [rnd.choice(self.COLS) for _ in range(rnd.randrange(3))]
        if field == "schema":
            return {"name": rnd.choice(["rs%d" % rnd.randrange(1000), "", "rnd", self.value(rnd, 2)]),
                    "columns": [{"name": rnd.choice(self.COLS), "data_type": rnd.choice(
                        ["Integer", "Text", "Float", "Boolean", "Json", "Bogus", self.value(rnd, 3)])}
                        for _ in range(rnd.randrange(3))]}
        if field == "permissions":
            return [rnd.choice(["read", "write", "admin", "dna", "root", self.value(rnd, 3)])
                    for _ in range(rnd.randrange(3))]
        plausible = {
            "username": ["alice", "nobody", "", "a" * 70], "password": ["password123", "short", ""],
            "name": ["k%d" % rnd.randrange(100), "", "x" * 90], "api_key": ["nqdb_" + "%032x" % rnd.getrandbits(128), "k"],
            "refresh_token": ["nqr_" + "%064x" % rnd.getrandbits(256), ""], "table_name": ["rnd", "other"],
            "on_conflict": ["Abort", "Ignore", "Replace", "Update", "x"], "limit": [0, 1, 5, 10 ** 7],
            "offset": [0, 1, 3], "batch_size": [1, 0], "expiry_hours": [1, 24, 0, 10 ** 9],
            "rate_limit_per_hour": [0, 5, 2 ** 33], "if_not_exists": [True, False], "cascade": [False, True],
            "soft_delete": [False, True], "quantum_enabled": [False, True], "optimistic_lock_version": [None, 1]}
        if field in plausible:
            return rnd.choice(plausible[field])
        if field == "params":
            return self.value(rnd, 1)
        if field == "query":
            return rnd.choice(["SELECT ? AS a", "SELECT * FROM rnd WHERE id = :id", "SELEC",
                               "INSERT INTO rnd (name) VALUES (?)", self.value(rnd, 2)])
        return self.value(rnd, 1)

    def test_random_bodies(self):
        s = self.server
        self.assertEqual(s.query("CREATE TABLE rnd (id INTEGER PRIMARY KEY, name TEXT, v TEXT); "
                                 "CREATE TABLE keep (id INTEGER PRIMARY KEY, v TEXT); "
                                 "INSERT INTO keep VALUES (1, 'a'), (2, 'b')").status, 200)
        rnd = random.Random(self.SEED)
        for method, path, fields in self.ROUTES:
            for i in range(self.PER_ROUTE):
                body = {}
                for f in fields:
                    if rnd.random() < 0.85:
                        body[f] = self.structured(rnd, f) if rnd.random() < 0.85 else self.value(rnd)
                if rnd.random() < 0.05:
                    body[rnd.choice(["extra", "Query", "", "filter"])] = self.value(rnd)
                if rnd.random() < 0.05:
                    body = self.value(rnd)
                r = s.request(method, path, body)
                what = "%s %s %s" % (method, path, json.dumps(body)[:300])
                self.assertTrue(r.status < 500 or r.status == 501, "%s -> %r" % (what, r))
                self.assertIsNotNone(r.json, "%s -> not JSON: %r" % (what, r))
        self.assertEqual(s.get("/health", key=None).status, 200)
        self.assertEqual(s.rows("SELECT id, v FROM keep ORDER BY id"),
                         [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}])


def parse_prometheus(tc, r):
    """Samples of a Prometheus text exposition: {(name, ((label, value), ...)): value}.
    Fails the test on a line that is not valid text format 0.0.4."""
    tc.assertEqual(r.status, 200, r)
    samples = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([^ ]+)( -?\d+)?$')
    label_re = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')
    types = {}
    for line in r.text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                tc.assertIn(parts[3], ("counter", "gauge", "histogram", "summary", "untyped"), line)
                types[parts[2]] = parts[3]
            continue
        m = line_re.match(line)
        tc.assertTrue(m, "not Prometheus text: %r" % line)
        labels = []
        if m.group(3):
            pos = 0
            s = m.group(3)
            while pos < len(s):
                lm = label_re.match(s, pos)
                tc.assertTrue(lm, "bad labels in %r" % line)
                labels.append((lm.group(1), lm.group(2)))
                pos = lm.end()
        v = m.group(4)
        val = float(v) if v not in ("+Inf", "-Inf", "NaN") else float(v.replace("Inf", "inf"))
        key = (m.group(1), tuple(sorted(labels)))
        tc.assertNotIn(key, samples, "duplicate sample %r" % line)
        samples[key] = val
    tc.assertTrue(types, "no # TYPE lines")
    return samples


if __name__ == "__main__":
    nqserver.main()
