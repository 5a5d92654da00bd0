"""test_tables.py — the table routes end to end: POST /api/v1/tables (types, constraints,
indexes, if_not_exists), POST .../data (ids the engine assigned, on_conflict), POST .../query
(every filter operator, sort, columns, limit/offset, total_count, has_more), PUT and DELETE
.../data (real counts), 404 for unknown tables, neural_similarity through NEUROMATCH and 501
for reference_vector and quantum_search. Every
answer is checked against the same data read back through /api/v1/query."""

import json

import nqserver
from nqserver import API, ServerTestCase

N = 50


def seed_row(i):
    return {"id": i, "name": "n%02d" % i, "grp": i % 5, "score": i * 1.5,
            "tag": None if i % 7 == 0 else "t%d_%s" % (i % 3, "x%y" if i % 10 == 1 else "z"),
            "flag": i % 2 == 0}


ROWS = [seed_row(i) for i in range(1, N + 1)]


class TablesTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        r = s.post(API + "/tables", {"schema": {
            "name": "items",
            "columns": [
                {"name": "id", "data_type": "Integer", "nullable": False},
                {"name": "name", "data_type": "Text", "nullable": False},
                {"name": "grp", "data_type": "Integer"},
                {"name": "score", "data_type": "Float"},
                {"name": "tag", "data_type": "Text", "nullable": True},
                {"name": "flag", "data_type": "Boolean", "default_value": False},
            ],
            "constraints": [{"name": "items_pk", "constraint_type": "PrimaryKey", "columns": ["id"]},
                            {"name": "items_name_u", "constraint_type": "Unique", "columns": ["name"]}],
            "indexes": [{"name": "items_grp", "columns": ["grp"], "index_type": "BTree"}]}})
        assert r.status == 201, r
        r = s.post(API + "/tables/items/data", {"records": ROWS})
        assert r.status == 201, r

    def q(self, body, status=200, table="items"):
        r = self.server.post(API + "/tables/%s/query" % table, body)
        self.assertEnvelope(r, status)
        return r

    def ids(self, body):
        return [rec["id"] for rec in self.q(body).data["records"]]

    # ---- create ---------------------------------------------------------------------------

    def test_create_all_types(self):
        s = self.server
        types = ["Integer", "Float", "Text", "Boolean", "DateTime", "Binary", "Json"]
        cols = [{"name": "c_" + t.lower(), "data_type": t} for t in types]
        cols.insert(0, {"name": "id", "data_type": "Integer", "auto_increment": True})
        r = s.post(API + "/tables", {"schema": {"name": "typed", "columns": cols}})
        j = self.assertEnvelope(r, 201)
        self.assertEqual(j["data"]["table_name"], "typed")
        self.assertEqual(j["data"]["schema"]["name"], "typed")
        desc = s.rows("DESCRIBE typed")
        self.assertEqual([d["column"] for d in desc], [c["name"] for c in cols])
        r = s.post(API + "/tables/typed/data", {"records": [
            {"c_integer": 5, "c_float": 2.5, "c_text": "t", "c_boolean": True,
             "c_datetime": "2026-01-02 03:04:05", "c_json": "{\"a\": 1}"}, {}]})
        j = self.assertEnvelope(r, 201)
        self.assertEqual(j["data"]["inserted_count"], 2)
        self.assertEqual(j["data"]["inserted_ids"], ["1", "2"])
        rows = s.rows("SELECT id, c_integer, c_float, c_text, c_boolean FROM typed ORDER BY id")
        self.assertEqual(rows[0], {"id": 1, "c_integer": 5, "c_float": 2.5, "c_text": "t",
                                   "c_boolean": True})
        self.assertEqual(rows[1]["c_integer"], None)
        s.query("DROP TABLE typed")

    def test_create_if_not_exists_and_conflict(self):
        s = self.server
        schema = {"name": "ine", "columns": [{"name": "a", "data_type": "Integer"}]}
        r = s.post(API + "/tables", {"schema": schema})
        self.assertEnvelope(r, 201)
        r = s.post(API + "/tables", {"schema": schema})
        self.assertEnvelope(r, 409, "Conflict")
        r = s.post(API + "/tables", {"schema": schema, "if_not_exists": True})
        j = self.assertEnvelope(r, 201)
        self.assertIs(j["data"].get("created"), False)
        s.query("DROP TABLE ine")

    def test_create_constraints_enforced(self):
        s = self.server
        r = s.post(API + "/tables", {"schema": {"name": "parent", "columns": [
            {"name": "id", "data_type": "Integer", "constraints": ["PRIMARY KEY"]},
            {"name": "code", "data_type": "Text", "constraints": ["UNIQUE", "NOT NULL"]}]}})
        self.assertEnvelope(r, 201)
        r = s.post(API + "/tables", {"schema": {"name": "child", "columns": [
            {"name": "id", "data_type": "Integer", "constraints": ["PRIMARY KEY"]},
            {"name": "pid", "data_type": "Integer"}],
            "constraints": [{"name": "child_fk", "constraint_type": "ForeignKey", "columns": ["pid"],
                             "reference_table": "parent", "reference_columns": ["id"]}],
            "indexes": [{"name": "child_pid", "columns": ["pid"], "unique": False}]}})
        self.assertEnvelope(r, 201)
        self.assertEnvelope(s.post(API + "/tables/parent/data", {"records": [{"id": 1, "code": "a"}]}), 201)
        r = s.post(API + "/tables/parent/data", {"records": [{"id": 2, "code": "a"}]})
        self.assertEnvelope(r, 409, "Conflict")
        r = s.post(API + "/tables/parent/data", {"records": [{"id": 3}]})
        self.assertEnvelope(r, 409, "Conflict")
        r = s.post(API + "/tables/child/data", {"records": [{"id": 1, "pid": 99}]})
        self.assertEnvelope(r, 409, "Conflict")
        self.assertEnvelope(s.post(API + "/tables/child/data", {"records": [{"id": 1, "pid": 1}]}), 201)
        self.assertEqual(len(s.rows("SELECT * FROM parent")), 1)
        s.query("DROP TABLE child")
        s.query("DROP TABLE parent")

    def test_create_bad_schemas(self):
        s = self.server
        cases = [
            ({"schema": {"name": "", "columns": [{"name": "a", "data_type": "Integer"}]}}, "schema.name"),
            ({"schema": {"name": "x" * 65, "columns": [{"name": "a", "data_type": "Integer"}]}}, "schema.name"),
            ({"schema": {"name": "bad1", "columns": []}}, "schema.columns"),
            ({"schema": {"name": "bad1"}}, "columns"),
            ({"schema": {"name": "bad1", "columns": [{"name": "", "data_type": "Integer"}]}}, "column.name"),
            ({"schema": {"name": "bad1", "columns": [{"name": "a"}]}}, "data_type"),
            ({"schema": {"name": "bad1", "columns": [{"name": "a", "data_type": "Integer", "size": 4}]}}, "column.size"),
            ({"schema": {"name": "bad1", "columns": [{"name": "a", "data_type": "Integer", "nullable": "no"}]}}, "nullable"),
            ({"schema": {"name": "bad1", "columns": [{"name": "a", "data_type": "Integer",
                                                      "constraints": ["SOMETIMES"]}]}}, "column.constraints"),
            ({}, "schema"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                self.assertValidation(s.post(API + "/tables", body), field)
        r = s.post(API + "/tables", {"schema": {"name": "bad1", "columns": [{"name": "a", "data_type": "Varchar"}]}})
        self.assertEnvelope(r, 400)
        self.assertNotIn("bad1", [list(t.values())[0] for t in s.rows("SHOW TABLES")])
        # a duplicate column name is the engine's error: 4xx, and nothing is created
        r = s.post(API + "/tables", {"schema": {"name": "bad2", "columns": [
            {"name": "a", "data_type": "Integer"}, {"name": "a", "data_type": "Text"}]}})
        self.assertGreaterEqual(r.status, 400)
        self.assertLess(r.status, 500)
        # an index on a missing column fails the whole create (table and indexes are one unit)
        r = s.post(API + "/tables", {"schema": {"name": "bad3", "columns": [{"name": "a", "data_type": "Integer"}],
                                               "indexes": [{"name": "bad3_i", "columns": ["nope"]}]}})
        self.assertGreaterEqual(r.status, 400)
        self.assertLess(r.status, 500)
        self.assertNotIn("bad3", [list(t.values())[0] for t in s.rows("SHOW TABLES")])

    def test_create_501_options(self):
        s = self.server
        base = {"name": "nq", "columns": [{"name": "a", "data_type": "Integer"}]}
        for extra in ({"neuromorphic_config": {"learning_rate": 0.1}},
                      {"quantum_config": {"entanglement_enabled": True}},
                      {"indexes": [{"name": "nq_i", "columns": ["a"], "index_type": "NeuralSimilarity"}]},
                      {"constraints": [{"name": "c", "constraint_type": "Check", "columns": ["a"]}]}):
            with self.subTest(extra=extra):
                r = s.post(API + "/tables", {"schema": dict(base, **extra)})
                self.assertEnvelope(r, 501, "NotImplemented")
        self.assertNotIn("nq", [list(t.values())[0] for t in s.rows("SHOW TABLES")])

    # ---- insert ---------------------------------------------------------------------------

    def test_insert_ids_and_on_conflict(self):
        s = self.server
        s.query("CREATE TABLE ins (id INTEGER PRIMARY KEY, v TEXT)")
        r = s.post(API + "/tables/ins/data", {"table_name": "ins", "records": [{"v": "a"}, {"v": "b"}, {"id": 10, "v": "c"}]})
        j = self.assertEnvelope(r, 201)
        self.assertEqual(j["data"]["inserted_count"], 3)
        self.assertEqual(j["data"]["failed_count"], 0)
        self.assertEqual(j["data"]["inserted_ids"], ["1", "2", "10"])
        self.assertIsNone(j["data"]["errors"])
        # Abort (the default): one conflict fails the whole batch
        r = s.post(API + "/tables/ins/data", {"records": [{"id": 11, "v": "d"}, {"id": 1, "v": "dup"}]})
        self.assertEnvelope(r, 409, "Conflict")
        self.assertEqual(s.rows("SELECT count(*) AS n FROM ins")[0]["n"], 3)
        r = s.post(API + "/tables/ins/data", {"records": [{"id": 11, "v": "d"}, {"id": 1, "v": "dup"}],
                                              "on_conflict": "Abort"})
        self.assertEnvelope(r, 409, "Conflict")
        # Ignore: the conflicting record is skipped and reported
        r = s.post(API + "/tables/ins/data", {"records": [{"id": 11, "v": "d"}, {"id": 1, "v": "dup"}],
                                              "on_conflict": "Ignore"})
        j = self.assertEnvelope(r, 201)
        self.assertEqual(j["data"]["inserted_count"], 1)
        self.assertEqual(j["data"]["failed_count"], 1)
        self.assertEqual(j["data"]["inserted_ids"], ["11"])
        self.assertEqual(len(j["data"]["errors"]), 1)
        self.assertEqual(s.rows("SELECT v FROM ins WHERE id = 1"), [{"v": "a"}])
        # Replace
        r = s.post(API + "/tables/ins/data", {"records": [{"id": 1, "v": "replaced"}], "on_conflict": "Replace"})
        self.assertEnvelope(r, 201)
        self.assertEqual(s.rows("SELECT v FROM ins WHERE id = 1"), [{"v": "replaced"}])
        r = s.post(API + "/tables/ins/data", {"records": [{"id": 1, "v": "u"}], "on_conflict": "Update"})
        self.assertEnvelope(r, 501, "NotImplemented")
        r = s.post(API + "/tables/ins/data", {"records": [{"id": 1}], "on_conflict": "Sometimes"})
        self.assertValidation(r, "on_conflict")
        r = s.post(API + "/tables/ins/data", {"records": []})
        self.assertEnvelope(r, 400, "BadRequest")
        r = s.post(API + "/tables/ins/data", {"records": [{"nope": 1}]})
        self.assertEnvelope(r, 400, "InvalidQuery")
        r = s.post(API + "/tables/ins/data", {"table_name": "other", "records": [{"v": "x"}]})
        self.assertValidation(r, "table_name")
        r = s.post(API + "/tables/ins/data", {"records": [{"id": "not a number", "v": "x"}]})
        self.assertEnvelope(r, 400)
        self.assertEqual(s.rows("SELECT count(*) AS n FROM ins")[0]["n"], 4)
        s.query("DROP TABLE ins")

    def test_insert_publishes_nothing_on_failure(self):
        # a failed batch leaves nothing behind (one transaction)
        s = self.server
        s.query("CREATE TABLE atom (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        recs = [{"id": i, "v": "x"} for i in range(1, 100)] + [{"id": 100, "v": None}]
        r = s.post(API + "/tables/atom/data", {"records": recs})
        self.assertEnvelope(r, 409, "Conflict")
        self.assertEqual(s.rows("SELECT count(*) AS n FROM atom")[0]["n"], 0)
        s.query("DROP TABLE atom")

    # ---- query ----------------------------------------------------------------------------

    def expect(self, pred):
        return [r["id"] for r in ROWS if pred(r)]

    def test_filter_operators(self):
        cases = [
            ({"grp": {"operator": "Equal", "value": 3}}, lambda r: r["grp"] == 3),
            ({"grp": 3}, lambda r: r["grp"] == 3),
            ({"grp": {"operator": "NotEqual", "value": 3}}, lambda r: r["grp"] != 3),
            ({"score": {"operator": "GreaterThan", "value": 60}}, lambda r: r["score"] > 60),
            ({"score": {"operator": "LessThan", "value": 6}}, lambda r: r["score"] < 6),
            ({"id": {"operator": "GreaterEqual", "value": 48}}, lambda r: r["id"] >= 48),
            ({"id": {"operator": "LessEqual", "value": 2}}, lambda r: r["id"] <= 2),
            ({"id": {"operator": "In", "value": [3, 5, 99]}}, lambda r: r["id"] in (3, 5)),
            ({"grp": {"operator": "NotIn", "value": [0, 1, 2]}}, lambda r: r["grp"] not in (0, 1, 2)),
            ({"name": {"operator": "Like", "value": "n1%"}}, lambda r: r["name"].startswith("n1")),
            ({"name": {"operator": "NotLike", "value": "n%0"}}, lambda r: not r["name"].endswith("0")),
            ({"tag": {"operator": "IsNotNull"}}, lambda r: r["tag"] is not None),
            # Contains/StartsWith/EndsWith take the value literally: % and _ are not wildcards
            ({"tag": {"operator": "Contains", "value": "x%y"}}, lambda r: r["tag"] and "x%y" in r["tag"]),
            ({"tag": {"operator": "Contains", "value": "_"}}, lambda r: r["tag"] and "_" in r["tag"]),
            ({"tag": {"operator": "Contains", "value": "%"}}, lambda r: r["tag"] and "%" in r["tag"]),
            ({"tag": {"operator": "StartsWith", "value": "t1_"}}, lambda r: r["tag"] and r["tag"].startswith("t1_")),
            ({"tag": {"operator": "EndsWith", "value": "_z"}}, lambda r: r["tag"] and r["tag"].endswith("_z")),
            ({"flag": True}, lambda r: r["flag"]),
            ({"grp": {"operator": "Equal", "value": 1}, "flag": {"operator": "Equal", "value": False}},
             lambda r: r["grp"] == 1 and not r["flag"]),
        ]
        for filters, pred in cases:
            with self.subTest(filters=filters):
                r = self.q({"filters": filters, "sort": [{"column": "id", "direction": "Asc"}], "limit": 1000})
                want = self.expect(pred)
                self.assertEqual([x["id"] for x in r.data["records"]], want)
                self.assertEqual(r.data["total_count"], len(want))
                self.assertEqual(r.data["returned_count"], len(want))
                self.assertIs(r.data["has_more"], False)

    def test_filter_is_null(self):
        r = self.q({"filters": {"tag": {"operator": "IsNull"}}, "sort": [{"column": "id"}]})
        self.assertEqual([x["id"] for x in r.data["records"]], self.expect(lambda r: r["tag"] is None))

    def test_filter_errors(self):
        s = self.server
        r = s.post(API + "/tables/items/query", {"filters": {"grp": {"operator": "Between", "value": 1}}})
        self.assertValidation(r, "filters.grp.operator")
        r = s.post(API + "/tables/items/query", {"filters": {"grp": {"operator": "In", "value": []}}})
        self.assertValidation(r, "filters.grp.value")
        r = s.post(API + "/tables/items/query", {"filters": {"grp": {"operator": "Equal"}}})
        self.assertValidation(r, "filters.grp.value")
        r = s.post(API + "/tables/items/query", {"filters": {"grp": {"value": 1}}})
        self.assertValidation(r, "filters.grp.operator")
        r = s.post(API + "/tables/items/query", {"filters": {"grp": {"operator": "Equal", "value": 1, "x": 1}}})
        self.assertValidation(r, "filters.grp.x")
        for op in ("NeuralSimilar", "QuantumEntangled"):
            r = s.post(API + "/tables/items/query", {"filters": {"grp": {"operator": op, "value": [0.1]}}})
            self.assertEnvelope(r, 501, "NotImplemented")

    def test_unknown_columns(self):
        # A column the table does not have is an error naming it, never a string literal
        # (QSQL reads a double-quoted word that names no column as a string, as SQLite does:
        # {"nope": "nope"} as a DELETE filter must not mean WHERE 'nope' = 'nope').
        s = self.server
        s.query("CREATE TABLE uc AS SELECT id, grp FROM items")
        for body in ({"filters": {"nope": 1}}, {"sort": [{"column": "nope", "direction": "Asc"}]},
                     {"columns": ["id", "nope"]}):
            with self.subTest(body=body):
                r = s.post(API + "/tables/uc/query", body)
                self.assertEnvelope(r, 400)
                self.assertIn("nope", json.dumps(r.error), r)
        for method, body in (("PUT", {"filters": {"nope": "nope"}, "updates": {"grp": 1}}),
                             ("PUT", {"filters": {"id": 1}, "updates": {"nope": 1}}),
                             ("DELETE", {"filters": {"nope": "nope"}}),
                             ("POST", {"records": [{"id": 1000, "nope": 1}]})):
            with self.subTest(method=method, body=body):
                r = s.request(method, API + "/tables/uc/data", body)
                self.assertEnvelope(r, 400)
                self.assertIn("nope", json.dumps(r.error), r)
        self.assertEqual(s.rows("SELECT count(*) AS n, sum(grp) AS g FROM uc"),
                         [{"n": N, "g": sum(r["grp"] for r in ROWS)}])
        s.query("DROP TABLE uc")

    def test_sort_columns_limit_offset(self):
        got = self.q({"sort": [{"column": "grp", "direction": "Desc"}, {"column": "id", "direction": "Asc"}],
                      "columns": ["id", "grp"], "limit": 7, "offset": 3})
        want = sorted(ROWS, key=lambda r: (-r["grp"], r["id"]))[3:10]
        self.assertEqual(got.data["records"], [{"id": r["id"], "grp": r["grp"]} for r in want])
        self.assertEqual(got.data["total_count"], N)
        self.assertEqual(got.data["returned_count"], 7)
        self.assertIs(got.data["has_more"], True)
        # the last page
        got = self.q({"sort": [{"column": "id"}], "limit": 20, "offset": 40})
        self.assertEqual([r["id"] for r in got.data["records"]], list(range(41, 51)))
        self.assertIs(got.data["has_more"], False)
        self.assertEqual(got.data["total_count"], N)
        # past the end
        got = self.q({"limit": 5, "offset": 500})
        self.assertEqual(got.data["records"], [])
        self.assertEqual(got.data["total_count"], N)
        self.assertIs(got.data["has_more"], False)
        # default limit 100, every column
        got = self.q({"sort": [{"column": "id", "direction": "Asc"}]})
        self.assertEqual(got.data["records"], ROWS)
        st = got.data["query_stats"]
        self.assertIsInstance(st["execution_time_ms"], float)
        self.assertIsInstance(st["indexes_used"], list)
        # total_count counts the filter, not the page
        got = self.q({"filters": {"grp": 0}, "limit": 2, "sort": [{"column": "id", "direction": "Desc"}]})
        self.assertEqual([r["id"] for r in got.data["records"]], [50, 45])
        self.assertEqual(got.data["total_count"], 10)
        self.assertIs(got.data["has_more"], True)
        # an index the planner uses is named
        got = self.q({"filters": {"grp": 2}, "columns": ["id"]})
        self.assertEqual(len(got.data["records"]), 10)

    def test_query_validation(self):
        s = self.server
        for body, field in (({"sort": [{"column": "id", "direction": "Up"}]}, "sort.direction"),
                            ({"sort": ["id"]}, "sort"),
                            ({"columns": []}, None),
                            ({"limit": 10 ** 9}, "limit")):
            r = s.post(API + "/tables/items/query", body)
            if field is None:
                self.assertIn(r.status, (200, 400), r)
            else:
                self.assertValidation(r, field)
        for opt in ({"neural_similarity": {"reference_vector": [0.1], "similarity_threshold": 0.5}},
                    {"quantum_search": {"quantum_state": [0.1], "entanglement_strength": 0.5}}):
            r = s.post(API + "/tables/items/query", opt)
            self.assertEnvelope(r, 501, "NotImplemented")

    def test_query_neural_similarity(self):
        """neural_similarity is the NEUROMATCH clause: upstream's similarity, ranked, with the
        score in each record; feedback changes the ranking the next query sees."""
        s = self.server
        s.query("CREATE TABLE nsbooks (id INTEGER PRIMARY KEY, title TEXT)")
        s.query("INSERT INTO nsbooks VALUES (1, 'The Magic Forest'), (2, 'Dragon Magie'), "
                "(3, 'Cooking'), (4, 'Magical Realism')")
        body = {"neural_similarity": {"pattern": "magic", "field": "title", "similarity_threshold": 0.5}}
        d = self.q(body, table="nsbooks").data
        # rows 1 and 4 contain 'magic' (score 1), row 2: magic~magie 1 - 1/5 -> 0.7 + 0.3 * 0.8
        self.assertEqual([r["id"] for r in d["records"]], [1, 4, 2])
        self.assertEqual([round(r["neural_score"], 6) for r in d["records"]], [1.0, 1.0, 0.94])
        self.assertEqual(d["total_count"], 3)
        # the threshold is inclusive, max_results caps the rows, filters still apply
        body["neural_similarity"]["similarity_threshold"] = 0.94
        self.assertEqual(len(self.q(body, table="nsbooks").data["records"]), 3)
        body["neural_similarity"]["max_results"] = 1
        self.assertEqual([r["id"] for r in self.q(body, table="nsbooks").data["records"]], [1])
        d = self.q({"neural_similarity": {"pattern": "magic"}, "filters": {"id": {"operator": "GreaterThan", "value": 1}}},
                   table="nsbooks").data
        self.assertEqual([r["id"] for r in d["records"]], [4, 2])
        # feedback on row 4: it now ranks before row 1
        self.q({"neural_similarity": {"pattern": "magic", "field": "title", "hebbian_strengthening": True,
                                      "learning_rate": 0.5}, "filters": {"id": 4}}, table="nsbooks")
        d = self.q({"neural_similarity": {"pattern": "magic", "field": "title"}}, table="nsbooks").data
        self.assertEqual([r["id"] for r in d["records"]], [4, 1, 2])
        for bad, field in (({"pattern": 3}, "neural_similarity.pattern"),
                           ({}, "neural_similarity.pattern"),
                           ({"pattern": "x", "similarity_threshold": 2}, "neural_similarity.similarity_threshold"),
                           ({"pattern": "x", "learning_rate": 0.1}, "neural_similarity.learning_rate"),
                           ({"pattern": "x", "bogus": 1}, "neural_similarity.bogus"),
                           ({"pattern": "x", "field": "nosuch"}, None)):
            r = s.post(API + "/tables/nsbooks/query", {"neural_similarity": bad})
            if field:
                self.assertValidation(r, field)
            else:
                self.assertEqual(r.status, 400, r)

    def test_unknown_table_404(self):
        s = self.server
        for method, path, body in (
                ("POST", "/tables/nosuch/query", {}),
                ("POST", "/tables/nosuch/data", {"records": [{"a": 1}]}),
                ("PUT", "/tables/nosuch/data", {"filters": {"a": 1}, "updates": {"a": 2}}),
                ("DELETE", "/tables/nosuch/data", {"filters": {"a": 1}})):
            r = s.request(method, API + path, body)
            self.assertEnvelope(r, 404, "NotFound")
            self.assertIn("nosuch", r.error["NotFound"])

    # ---- update / delete ------------------------------------------------------------------

    def test_update_delete_counts(self):
        s = self.server
        s.query("CREATE TABLE ud AS SELECT id, grp, score FROM items")
        r = s.request("PUT", API + "/tables/ud/data", {"filters": {"grp": {"operator": "Equal", "value": 4}},
                                                       "updates": {"score": -1}})
        j = self.assertEnvelope(r, 200)
        self.assertEqual(j["data"]["updated_count"], 10)
        self.assertEqual(j["data"]["matched_count"], 10)
        self.assertEqual(s.rows("SELECT count(*) AS n FROM ud WHERE score = -1")[0]["n"], 10)
        r = s.request("PUT", API + "/tables/ud/data", {"filters": {"grp": 99}, "updates": {"score": 0}})
        self.assertEqual(self.assertEnvelope(r, 200)["data"]["updated_count"], 0)
        r = s.request("PUT", API + "/tables/ud/data", {"filters": {"id": 1}, "updates": {}})
        self.assertEnvelope(r, 400, "BadRequest")
        r = s.request("PUT", API + "/tables/ud/data", {"filters": {"id": 1}, "updates": {"score": 1},
                                                       "optimistic_lock_version": 3})
        self.assertEnvelope(r, 501, "NotImplemented")
        r = s.request("PUT", API + "/tables/ud/data", {"updates": {"score": 1}})
        self.assertValidation(r, "filters")
        r = s.request("DELETE", API + "/tables/ud/data", {"filters": {"id": {"operator": "LessEqual", "value": 5}}})
        j = self.assertEnvelope(r, 200)
        self.assertEqual(j["data"]["deleted_count"], 5)
        self.assertIsNone(j["data"]["cascaded_deletes"])
        r = s.request("DELETE", API + "/tables/ud/data", {"filters": {"id": 1}, "cascade": True})
        self.assertEnvelope(r, 501, "NotImplemented")
        r = s.request("DELETE", API + "/tables/ud/data", {"filters": {"id": 1}, "soft_delete": True})
        self.assertEnvelope(r, 501, "NotImplemented")
        # an empty filter deletes everything (explicitly asked for with {})
        r = s.request("DELETE", API + "/tables/ud/data", {"filters": {}})
        self.assertEqual(self.assertEnvelope(r, 200)["data"]["deleted_count"], 45)
        self.assertEqual(s.rows("SELECT count(*) AS n FROM ud")[0]["n"], 0)
        s.query("DROP TABLE ud")

    def test_auto_increment_starts_at_one(self):
        # a new table's sequence starts at 1, also right after a table was dropped
        s = self.server
        col = [{"name": "id", "data_type": "Integer", "auto_increment": True},
               {"name": "v", "data_type": "Text"}]
        for name in ("seq_a", "seq_b"):
            self.assertEnvelope(s.post(API + "/tables", {"schema": {"name": name, "columns": col}}), 201)
            r = s.post(API + "/tables/%s/data" % name, {"records": [{"v": "x"}, {"v": "y"}]})
            self.assertEqual(self.assertEnvelope(r, 201)["data"]["inserted_ids"], ["1", "2"])
            self.assertEqual(s.query("DROP TABLE %s" % name).status, 200)

    def test_upstream_client_examples(self):
        # the request bodies of the upstream Postman collection and python client (reference
        # section 8), verbatim: existing clients keep working
        s = self.server
        r = s.post(API + "/tables", {"schema": {"name": "users", "columns": [
            {"name": "id", "data_type": "Integer", "nullable": False, "auto_increment": True},
            {"name": "name", "data_type": "Text", "nullable": False},
            {"name": "email", "data_type": "Text", "nullable": False}]}, "if_not_exists": True})
        self.assertEnvelope(r, 201)
        r = s.post(API + "/tables/users/data", {"table_name": "users", "records": [
            {"name": "Max Mustermann", "email": "max@example.com"}]})
        d = self.assertEnvelope(r, 201)["data"]
        self.assertEqual(len(d["inserted_ids"]), 1)
        uid = int(d["inserted_ids"][0])
        r = s.post(API + "/query", {"query": "SELECT * FROM users WHERE id = %d" % uid, "params": {}})
        self.assertEqual(self.assertEnvelope(r, 200)["data"]["rows"],
                         [{"id": uid, "name": "Max Mustermann", "email": "max@example.com"}])
        r = s.post(API + "/query", {"query": "SELECT COUNT(*) as total FROM users"})
        self.assertEqual(r.data["rows"], [{"total": 1}])
        r = s.post(API + "/tables/users/query", {"table_name": "users", "limit": 10, "offset": 0})
        self.assertEqual(self.assertEnvelope(r, 200)["data"]["total_count"], 1)
        r = s.post(API + "/auth/generate-key", {"name": "developer-key", "permissions": ["read", "write", "quantum"],
                                                "expiry_hours": 720, "rate_limit_per_hour": 1000})
        self.assertEnvelope(r, 200)
        r = s.post(API + "/quantum/search", {"table_name": "embeddings", "query_vector": [0.1, 0.2, 0.3, 0.4],
                                             "similarity_threshold": 0.8, "max_results": 10,
                                             "entanglement_boost": 1.5})
        # the Postman collection never creates "embeddings": the real search says so
        self.assertEnvelope(r, 404, "NotFound")
        s.query("DROP TABLE users")

    def test_permissions_on_table_routes(self):
        s = self.server
        rk = s.generate_key(["read"], name="t-reader")
        wk = s.generate_key(["write"], name="t-writer")
        self.assertEqual(s.post(API + "/tables/items/query", {"limit": 1}, key=rk).status, 200)
        r = s.post(API + "/tables/items/query", {"limit": 1}, key=wk)
        self.assertEnvelope(r, 403, "Forbidden")
        for method, path, body in (
                ("POST", "/tables", {"schema": {"name": "p403", "columns": [{"name": "a", "data_type": "Integer"}]}}),
                ("POST", "/tables/items/data", {"records": [{"id": 999, "name": "zz"}]}),
                ("PUT", "/tables/items/data", {"filters": {"id": 1}, "updates": {"grp": 9}}),
                ("DELETE", "/tables/items/data", {"filters": {"id": 1}})):
            r = s.request(method, API + path, body, key=rk)
            self.assertEnvelope(r, 403, "Forbidden")
            self.assertEqual(r.error["Forbidden"], "Write permission required")
        self.assertEqual(self.q({"sort": [{"column": "id"}]}).data["records"], ROWS)


if __name__ == "__main__":
    nqserver.main()
