"""test_advisor.py — GET /api/v1/advisor/indexes and DELETE /api/v1/advisor/indexes/statistics
end to end (upstream-api.md 1.20, docs/api.md "Index advisor").

A generated workload runs through /api/v1/query: equality filters on orders.customer_id
(hot), range filters on orders.day, a join to customers, and equality on an indexed column.
The advisor must then recommend customer_id first with upstream's field names and types,
never the indexed column, with a CREATE statement that works; applying it makes the
recommendation disappear and the statement's plan use the index. Statistics count what ran.
The routes' permissions (read for GET, admin for DELETE) are checked, and DELETE forgets the
workload. The learned network survives a server restart."""

import nqserver
from nqserver import API, ServerTestCase

URL = API + "/advisor/indexes"
FIELDS = ["id", "table_name", "columns", "index_type", "priority", "estimated_improvement",
          "affected_query_count", "create_statement", "reason", "estimated_size_bytes"]


class AdvisorTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        r = s.query("CREATE TABLE customers (id INTEGER PRIMARY KEY, region INT, code INT); "
                    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INT, day INT, amount INT); "
                    "CREATE INDEX customers_code ON customers(code); "
                    "WITH RECURSIVE g(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM g WHERE x < 199) "
                    "INSERT INTO customers SELECT x, x % 7, x FROM g; "
                    "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 4000) "
                    "INSERT INTO orders SELECT x, x % 200, x % 365, x % 97 FROM g")
        assert r.status == 200, r
        r = s.post(API + "/query", {"query": "SYNAPTIC_OPTIMIZE WITH RESET ON"})
        assert r.status == 200, r

    def workload(self):
        s = self.server
        for i in range(30):
            self.assertEqual(s.query("SELECT sum(amount) FROM orders WHERE customer_id = %d" % i).status, 200)
        for i in range(8):
            self.assertEqual(s.query("SELECT count(*) FROM orders WHERE day BETWEEN %d AND %d" % (i, i + 3)).status, 200)
        for i in range(10):
            self.assertEqual(s.query("SELECT region FROM customers WHERE code = %d" % i).status, 200)

    def advice(self, key="admin", status=200):
        r = self.server.get(URL, key=key)
        j = self.assertEnvelope(r, status)
        return j["data"]

    def test_1_recommends_hot_equality(self):
        self.workload()
        d = self.advice()
        recs, st = d["recommendations"], d["statistics"]
        self.assertGreaterEqual(len(recs), 1, d)
        top = recs[0]
        for f in FIELDS:
            self.assertIn(f, top)
        self.assertEqual(top["table_name"], "orders")
        self.assertEqual(top["columns"], ["customer_id"])
        self.assertEqual(top["index_type"], "BTREE")
        self.assertIn(top["priority"], ["CRITICAL", "HIGH", "MEDIUM", "LOW"])
        self.assertIsInstance(top["estimated_improvement"], float)
        self.assertGreater(top["estimated_improvement"], 0)
        self.assertEqual(top["affected_query_count"], 30)
        self.assertEqual(top["create_statement"], "CREATE INDEX orders_customer_id_idx ON orders (customer_id)")
        self.assertGreater(top["estimated_size_bytes"], 0)
        self.assertLess(top["cost_after"], top["cost_before"])
        # sorted by benefit; the indexed column is never advised
        imps = [x["estimated_improvement"] for x in recs]
        self.assertEqual(imps, sorted(imps, reverse=True))
        for x in recs:
            self.assertNotEqual((x["table_name"], x["columns"]), ("customers", ["code"]))
        # the range column is advised too, for the day BETWEEN statements
        self.assertIn(["day"], [x["columns"] for x in recs if x["table_name"] == "orders"])
        self.assertGreaterEqual(st["total_queries_analyzed"], 48)
        self.assertGreaterEqual(st["full_scan_queries"], 38)
        self.assertEqual(st["tables_tracked"], 2)
        self.assertGreaterEqual(st["columns_tracked"], 4)

    def test_2_applied_not_advised_again(self):
        s = self.server
        top = self.advice()["recommendations"][0]
        self.assertEqual(s.query(top["create_statement"]).status, 200)
        plan = s.rows("EXPLAIN SELECT sum(amount) FROM orders WHERE customer_id = 3")
        self.assertIn("USING INDEX orders_customer_id_idx", str(plan))
        recs = self.advice()["recommendations"]
        self.assertNotIn(["customer_id"], [x["columns"] for x in recs if x["table_name"] == "orders"])

    def test_3_permissions(self):
        s = self.server
        r = s.get(URL, key=None)
        self.assertEnvelope(r, 401)
        rk = s.generate_key(["read"], name="reader")
        self.advice(key=rk)
        wk = s.generate_key(["write"], name="writer")
        self.assertEnvelope(s.get(URL, key=wk), 403)
        self.assertEnvelope(s.request("DELETE", URL + "/statistics", key=rk), 403)

    def test_4_survives_restart_then_clear(self):
        s = self.server
        before = s.rows("SELECT count(*) AS n FROM nq_synaptic_network")
        s.restart()
        self.assertEqual(s.rows("SELECT count(*) AS n FROM nq_synaptic_network"), before)
        self.assertGreater(self.advice()["statistics"]["total_queries_analyzed"], 0)
        r = s.request("DELETE", URL + "/statistics")
        j = self.assertEnvelope(r, 200)
        self.assertEqual(j["data"], "Index advisor statistics cleared")
        d = self.advice()
        self.assertEqual(d["recommendations"], [])
        self.assertEqual(d["statistics"]["total_queries_analyzed"], 0)


if __name__ == "__main__":
    nqserver.main()
