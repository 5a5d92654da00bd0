"""test_query.py — POST /api/v1/query end to end: every kind of statement through the engine,
several statements in one request, parameters, the result fields (rows, columns,
rows_affected, last_insert_id, execution_time_ms), errors with their positions (400
InvalidQuery), constraint violations (409), the SQLSTATE of every engine error
(metadata.sqlstate), a transaction left open (rolled back, 400),
permissions per statement (a read-only key cannot write), and data surviving a restart."""

import nqserver
from nqserver import API, ServerTestCase


class QueryTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        cls.read_key = s.generate_key(["read"], name="reader")
        cls.write_key = s.generate_key(["write"], name="writer")
        cls.rw_key = s.generate_key(["read", "write"], name="rw")

    def ok(self, sql, params=None, key="admin"):
        r = self.server.query(sql, params, key=key)
        self.assertEnvelope(r, 200)
        d = r.data
        self.assertIs(d["success"], True)
        self.assertIsNone(d["error"])
        self.assertIsInstance(d["execution_time_ms"], float)
        self.assertGreaterEqual(d["execution_time_ms"], 0.0)
        return d

    def bad(self, sql, status, variant, params=None, key="admin"):
        r = self.server.query(sql, params, key=key)
        self.assertEnvelope(r, status, variant)
        return r

    def test_ddl_dml_select(self):
        d = self.ok("CREATE TABLE q_people (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
                    "age INTEGER, score REAL, active BOOLEAN, note TEXT)")
        self.assertEqual(d["rows_affected"], 0)
        self.assertIsNone(d["rows"])
        self.assertIsNone(d["columns"])
        d = self.ok("INSERT INTO q_people (name, age, score, active, note) VALUES "
                    "('ann', 31, 1.5, TRUE, NULL), ('ben', 42, -2.25, FALSE, 'x'), "
                    "('cy', 23, 0.0, TRUE, 'ü€')")
        self.assertEqual(d["rows_affected"], 3)
        self.assertEqual(d["last_insert_id"], 3)
        d = self.ok("SELECT id, name, age, score, active, note FROM q_people ORDER BY id")
        self.assertEqual(d["columns"], ["id", "name", "age", "score", "active", "note"])
        self.assertEqual(d["rows"], [
            {"id": 1, "name": "ann", "age": 31, "score": 1.5, "active": True, "note": None},
            {"id": 2, "name": "ben", "age": 42, "score": -2.25, "active": False, "note": "x"},
            {"id": 3, "name": "cy", "age": 23, "score": 0.0, "active": True, "note": "ü€"}])
        d = self.ok("UPDATE q_people SET age = age + 1 WHERE age > 30")
        self.assertEqual(d["rows_affected"], 2)
        self.assertNotIn("last_insert_id", d)
        d = self.ok("SELECT sum(age) AS s, count(*) AS n FROM q_people")
        self.assertEqual(d["rows"], [{"s": 98, "n": 3}])
        d = self.ok("DELETE FROM q_people WHERE name = 'cy'")
        self.assertEqual(d["rows_affected"], 1)
        d = self.ok("SELECT * FROM q_people WHERE id > 100")
        self.assertEqual(d["rows"], [])
        self.assertEqual(d["columns"], ["id", "name", "age", "score", "active", "note"])
        d = self.ok("CREATE INDEX q_people_age ON q_people (age)")
        d = self.ok("EXPLAIN SELECT * FROM q_people WHERE age = 32")
        self.assertTrue(d["rows"])
        self.assertIn("q_people", " ".join(str(v) for r in d["rows"] for v in r.values()))
        d = self.ok("SHOW TABLES")
        self.assertIn("q_people", [list(r.values())[0] for r in d["rows"]])
        d = self.ok("DESCRIBE q_people")
        self.assertEqual(len(d["rows"]), 6)
        d = self.ok("ALTER TABLE q_people ADD COLUMN extra INTEGER DEFAULT 7")
        self.assertEqual(self.ok("SELECT extra FROM q_people WHERE id = 1")["rows"], [{"extra": 7}])
        d = self.ok("INSERT INTO q_people (name) VALUES ('dee') RETURNING id, name")
        # (id 3 was deleted: an INTEGER PRIMARY KEY without AUTO_INCREMENT takes max + 1, or
        # above the engine's last claim for the table: concurrent inserters never share an id,
        # so 3, claimed before, is not handed out again while the server runs)
        self.assertEqual(d["rows"], [{"id": 4, "name": "dee"}])
        self.assertEqual(d["last_insert_id"], 4)
        d = self.ok("CREATE VIEW q_adults AS SELECT name FROM q_people WHERE age >= 18")
        self.assertEqual(self.ok("SELECT count(*) AS n FROM q_adults")["rows"], [{"n": 2}])
        self.ok("DROP VIEW q_adults")
        self.ok("DROP TABLE q_people")
        self.bad("SELECT * FROM q_people", 400, "InvalidQuery")

    def test_multi_statement(self):
        d = self.ok("CREATE TABLE q_multi (a INTEGER PRIMARY KEY, b TEXT); "
                    "INSERT INTO q_multi VALUES (1, 'one'), (2, 'two'); "
                    "UPDATE q_multi SET b = 'TWO' WHERE a = 2; "
                    "SELECT a, b FROM q_multi ORDER BY a;")
        self.assertEqual(d["statements"], 4)
        self.assertEqual(d["rows"], [{"a": 1, "b": "one"}, {"a": 2, "b": "TWO"}])
        # the first error stops the request; earlier statements stay done; the error names it
        r = self.bad("INSERT INTO q_multi VALUES (3, 'three'); SELEC oops; "
                     "INSERT INTO q_multi VALUES (4, 'four')", 400, "InvalidQuery")
        self.assertIn("statement 2", r.error["InvalidQuery"]["details"])
        self.assertEqual(self.ok("SELECT a FROM q_multi ORDER BY a")["rows"],
                         [{"a": 1}, {"a": 2}, {"a": 3}])
        # a transaction inside one request commits as a unit
        d = self.ok("BEGIN; INSERT INTO q_multi VALUES (10, 'x'); INSERT INTO q_multi VALUES (11, 'y'); COMMIT")
        self.assertEqual(self.ok("SELECT count(*) AS n FROM q_multi")["rows"], [{"n": 5}])
        d = self.ok("BEGIN; DELETE FROM q_multi; ROLLBACK; SELECT count(*) AS n FROM q_multi")
        self.assertEqual(d["rows"], [{"n": 5}])
        d = self.ok("BEGIN; INSERT INTO q_multi VALUES (20, 'a'); SAVEPOINT s1; "
                    "INSERT INTO q_multi VALUES (21, 'b'); ROLLBACK TO s1; COMMIT; "
                    "SELECT a FROM q_multi WHERE a >= 20")
        self.assertEqual(d["rows"], [{"a": 20}])
        self.ok("DROP TABLE q_multi")

    def test_open_transaction_rolled_back(self):
        self.ok("CREATE TABLE q_txn (a INTEGER)")
        r = self.bad("BEGIN; INSERT INTO q_txn VALUES (1)", 400, "InvalidQuery")
        self.assertIn("rolled back", r.error["InvalidQuery"]["details"])
        self.assertEqual(self.ok("SELECT count(*) AS n FROM q_txn")["rows"], [{"n": 0}])
        # and the connection it ran on is clean: the next requests are not inside it
        for _ in range(6):
            self.ok("INSERT INTO q_txn VALUES (2)")
        self.assertEqual(self.ok("SELECT count(*) AS n FROM q_txn")["rows"], [{"n": 6}])
        r = self.bad("BEGIN", 400, "InvalidQuery")
        self.ok("DROP TABLE q_txn")

    def test_params(self):
        self.ok("CREATE TABLE q_par (id INTEGER PRIMARY KEY, t TEXT, r REAL, b BOOLEAN, j TEXT)")
        d = self.ok("INSERT INTO q_par (t, r, b, j) VALUES (?, ?, ?, ?)", ["it's", 2.5, True, None])
        self.assertEqual(d["rows_affected"], 1)
        d = self.ok("INSERT INTO q_par (t, r, b, j) VALUES (:t, :r, :b, :j)",
                    {"t": "named", "r": -1, "b": False, "j": {"k": [1, 2]}})
        d = self.ok("INSERT INTO q_par (t) VALUES ($1)", ["dollar"])
        d = self.ok("SELECT id, t, r, b, j FROM q_par ORDER BY id")
        self.assertEqual(d["rows"][0], {"id": 1, "t": "it's", "r": 2.5, "b": True, "j": None})
        self.assertEqual(d["rows"][1]["t"], "named")
        self.assertEqual(d["rows"][1]["b"], False)
        self.assertEqual(d["rows"][2]["t"], "dollar")
        # a parameter is a value, never SQL
        evil = "x'); DROP TABLE q_par; --"
        self.assertEqual(self.ok("SELECT count(*) AS n FROM q_par WHERE t = ?", [evil])["rows"],
                         [{"n": 0}])
        self.ok("INSERT INTO q_par (t) VALUES (?)", [evil])
        self.assertEqual(self.ok("SELECT t FROM q_par WHERE id = 4")["rows"], [{"t": evil}])
        # wrong counts and names
        r = self.bad("SELECT * FROM q_par WHERE id = ?", 400, "InvalidQuery")
        self.assertIn("params", r.error["InvalidQuery"]["details"])
        self.bad("SELECT * FROM q_par WHERE id = ?", 400, "InvalidQuery", params=[1, 2])
        self.bad("SELECT * FROM q_par WHERE id = :id", 400, "InvalidQuery", params={"other": 1})
        self.bad("SELECT * FROM q_par WHERE id = ?", 400, "InvalidQuery", params={"id": 1})
        # upstream clients send "params": {} with no parameters: fine
        self.ok("SELECT 1 AS one", {})
        self.ok("DROP TABLE q_par")

    def test_errors_with_positions(self):
        r = self.bad("SELEC 1", 400, "InvalidQuery")
        det = r.error["InvalidQuery"]["details"]
        self.assertIn("syntax error", det)
        self.assertIn("line 1, column 1", det)
        self.assertTrue(r.json["metadata"]["message"].startswith("Invalid query: "))
        r = self.bad("SELECT nope FROM nowhere_at_all", 400, "InvalidQuery")
        self.assertIn("nowhere_at_all", r.error["InvalidQuery"]["details"])
        r = self.bad("SELECT 1 +", 400, "InvalidQuery")
        r = self.bad("SELECT 'unterminated", 400, "InvalidQuery")
        r = self.bad("SELECT 1/0", 400, "InvalidQuery")
        self.assertIn("division by zero", r.error["InvalidQuery"]["details"])
        r = self.bad("SELECT 1;\n  SELECT x FROM", 400, "InvalidQuery")
        self.assertIn("line 2", r.error["InvalidQuery"]["details"])
        r = self.bad(";;  ", 400, "ValidationError")
        r = self.bad("-- only a comment", 400, "ValidationError")

    def test_constraints_409(self):
        self.ok("CREATE TABLE q_c (id INTEGER PRIMARY KEY, u TEXT UNIQUE, nn TEXT NOT NULL, "
                "c INTEGER CHECK (c > 0))")
        self.ok("INSERT INTO q_c VALUES (1, 'a', 'x', 1)")
        for sql in ("INSERT INTO q_c VALUES (1, 'b', 'x', 1)",
                    "INSERT INTO q_c VALUES (2, 'a', 'x', 1)",
                    "INSERT INTO q_c VALUES (3, 'c', NULL, 1)",
                    "INSERT INTO q_c VALUES (4, 'd', 'x', 0)",
                    "UPDATE q_c SET nn = NULL"):
            with self.subTest(sql=sql):
                self.bad(sql, 409, "Conflict")
        self.assertEqual(self.ok("SELECT count(*) AS n FROM q_c")["rows"], [{"n": 1}])
        self.bad("CREATE TABLE q_c (a INTEGER)", 409, "Conflict")
        self.ok("DROP TABLE q_c")

    def test_sqlstate(self):
        # every engine error names its SQLSTATE in metadata.sqlstate; the error object keeps
        # its one externally tagged key
        self.ok("CREATE TABLE q_ss (id INTEGER PRIMARY KEY)")
        self.ok("INSERT INTO q_ss VALUES (1)")
        for sql, status, variant, state in (
                ("SELEC 1", 400, "InvalidQuery", "42601"),
                ("SELECT * FROM q_ss_none", 400, "InvalidQuery", "42P01"),
                ("INSERT INTO q_ss VALUES (1)", 409, "Conflict", "23000"),
                ("COMMIT", 400, "InvalidQuery", "25000"),
                ("SELECT 1 FOR UPDATE SKIP LOCKED", 501, "NotImplemented", "0A000")):
            with self.subTest(sql=sql):
                r = self.bad(sql, status, variant)
                self.assertEqual(r.json["metadata"].get("sqlstate"), state, r)
                self.assertEqual(list(r.json["metadata"].keys())[-1], "sqlstate")
        # errors that are not the engine's carry none
        r = self.bad(";;  ", 400, "ValidationError")
        self.assertNotIn("sqlstate", r.json["metadata"])
        # nor does success
        self.assertNotIn("sqlstate", self.server.query("SELECT 1 AS one").json["metadata"])
        self.ok("DROP TABLE q_ss")

    def test_not_supported_is_501_or_400(self):
        # a feature the engine does not have yet is never a 500
        r = self.server.query("SELECT * FROM q_none USING QUANTUM GROVER")
        self.assertIn(r.status, (400, 501), r)

    def test_read_only_key(self):
        s = self.server
        self.ok("CREATE TABLE q_perm (a INTEGER)")
        self.ok("INSERT INTO q_perm VALUES (1)")
        d = self.ok("SELECT a FROM q_perm", key=self.read_key)
        self.assertEqual(d["rows"], [{"a": 1}])
        self.ok("EXPLAIN SELECT a FROM q_perm", key=self.read_key)
        self.ok("SHOW TABLES", key=self.read_key)
        for sql in ("INSERT INTO q_perm VALUES (2)", "UPDATE q_perm SET a = 5",
                    "DELETE FROM q_perm", "DROP TABLE q_perm", "CREATE TABLE q_perm2 (a INTEGER)",
                    "CREATE INDEX q_perm_a ON q_perm (a)",
                    # a write hidden after a read in the same request
                    "SELECT 1; DELETE FROM q_perm",
                    # a write hidden inside a WITH
                    "WITH x AS (SELECT 1) INSERT INTO q_perm SELECT 9 FROM x",
                    "  insert into q_perm values (3)"):
            with self.subTest(sql=sql):
                r = self.bad(sql, 403, "Forbidden", key=self.read_key)
                self.assertIn("write", r.error["Forbidden"])
        self.assertEqual(self.ok("SELECT a FROM q_perm")["rows"], [{"a": 1}])
        # a write-only key cannot read
        r = self.bad("SELECT a FROM q_perm", 403, "Forbidden", key=self.write_key)
        self.assertIn("read", r.error["Forbidden"])
        self.ok("INSERT INTO q_perm VALUES (4)", key=self.write_key)
        self.ok("INSERT INTO q_perm VALUES (5); SELECT count(*) AS n FROM q_perm", key=self.rw_key)
        self.assertEqual(self.ok("SELECT count(*) AS n FROM q_perm")["rows"], [{"n": 3}])
        # no credentials at all
        r = s.query("SELECT 1", key=None)
        self.assertEnvelope(r, 401, "Unauthorized")
        self.ok("DROP TABLE q_perm")

    def test_value_mapping(self):
        d = self.ok("SELECT NULL AS n, 9007199254740993 AS big, -9223372036854775808 AS small, "
                    "-1.5e300 AS r, TRUE AS b, 'tab\there \"q\" \u00fc' AS t, x'00ff10' AS bl, "
                    "CAST('2026-01-02' AS DATE) AS d, CAST('2026-01-02 03:04:05' AS TIMESTAMP) AS ts, "
                    "1 AS a, 2 AS a")
        self.assertEqual(d["columns"], ["n", "big", "small", "r", "b", "t", "bl", "d", "ts", "a", "a:2"])
        row = d["rows"][0]
        self.assertIsNone(row["n"])
        self.assertEqual(row["big"], 9007199254740993)  # exact beyond 2^53
        self.assertEqual(row["small"], -9223372036854775808)
        self.assertEqual(row["r"], -1.5e300)
        self.assertIs(row["b"], True)
        self.assertEqual(row["bl"], "AP8Q")  # base64 of 00 ff 10
        self.assertEqual(row["d"], "2026-01-02")
        self.assertEqual(row["ts"], "2026-01-02 03:04:05")
        self.assertEqual((row["a"], row["a:2"]), (1, 2))
        # text comes back byte for byte, whatever it holds
        text = "quote ' double \" backslash \\ newline \n nul-free \u00e9\u4e2d\U0001f600"
        self.assertEqual(self.ok("SELECT ? AS t", [text])["rows"], [{"t": text}])

    def test_large_result(self):
        d = self.ok("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) "
                    "SELECT x, 'row ' || x AS label FROM c")
        self.assertEqual(len(d["rows"]), 20000)
        self.assertEqual(d["rows"][-1], {"x": 20000, "label": "row 20000"})
        self.assertEqual(sum(r["x"] for r in d["rows"]), 20000 * 20001 // 2)

    def test_concurrent_requests(self):
        import threading
        self.ok("CREATE TABLE q_conc (id INTEGER PRIMARY KEY, w INTEGER, i INTEGER)")
        errors = []

        def worker(w):
            try:
                for i in range(25):
                    r = self.server.query("INSERT INTO q_conc (w, i) VALUES (?, ?)", [w, i])
                    if r.status != 200:
                        errors.append(r)
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(e)

        ts = [threading.Thread(target=worker, args=(w,)) for w in range(6)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        d = self.ok("SELECT w, count(*) AS n, sum(i) AS s FROM q_conc GROUP BY w ORDER BY w")
        self.assertEqual(d["rows"], [{"w": w, "n": 25, "s": 300} for w in range(6)])
        self.ok("DROP TABLE q_conc")


class RequestTimeoutTest(ServerTestCase):
    """security.request_timeout_seconds stops a statement that runs too long: 503, and
    nothing it changed is kept; the server goes on."""
    config = {"security": {"request_timeout_seconds": 1}}

    def test_timeout(self):
        s = self.server
        endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        r = s.query(endless + "SELECT count(*) FROM c")
        self.assertEnvelope(r, 503, "ServiceUnavailable")
        self.assertEqual(s.query("CREATE TABLE tmo (x INTEGER)").status, 200)
        r = s.query("INSERT INTO tmo " + endless + "SELECT x FROM c")
        self.assertEnvelope(r, 503, "ServiceUnavailable")
        self.assertEqual(s.rows("SELECT count(*) AS n FROM tmo"), [{"n": 0}])
        r = s.post(API + "/tables/tmo/query", {"filters": {"x": 1}})
        self.assertEqual(r.status, 200, r)


class PersistenceTest(ServerTestCase):
    """Data committed through the API is there after a restart (graceful stop, start again on
    the same data directory), and so are the API keys."""

    def test_restart_keeps_data_and_keys(self):
        s = self.server
        key = s.generate_key(["read"], name="survivor")
        self.assertEqual(s.query("CREATE TABLE p (id INTEGER PRIMARY KEY, v TEXT)").status, 200)
        self.assertEqual(s.query("INSERT INTO p (v) VALUES ('a'), ('b'), ('c')").status, 200)
        self.assertEqual(s.post(API + "/tables/p/data", {"records": [{"v": "d"}]}).status, 201)
        s.restart()
        self.assertEqual(s.rows("SELECT v FROM p ORDER BY id"),
                         [{"v": "a"}, {"v": "b"}, {"v": "c"}, {"v": "d"}])
        r = s.query("SELECT count(*) AS n FROM p", key=key)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.data["rows"], [{"n": 4}])


if __name__ == "__main__":
    nqserver.main()
