"""test_txn_metrics.py — the transaction and old-version metrics of /metrics end to end
(docs/monitoring.md "Transactions, locks and old versions", docs/transactions.md "Old versions
and garbage collection").

A WebSocket client starts an endless stream and stops reading: the statement is paused with its
snapshot open (the server's backpressure). Meanwhile REST writes commit: /metrics shows the
open transaction, the oldest snapshot's age growing and the log frames retained for it
growing; VACUUM (POST /api/v1/query) copies back only what the reader does not need and
reports the frames it keeps. Once the client goes away, VACUUM restarts the log and the
gauges go back to 0. The lock and transaction counters are present (0 here).
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from nqserver import ServerTestCase, wait_for  # noqa: E402
from test_http import parse_prometheus  # noqa: E402
from test_ws import Client  # noqa: E402

ENDLESS = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
           "SELECT x, (SELECT count(*) FROM vac_t) AS n, 'padding padding ' || x AS p FROM c")


class TxnMetricsTest(ServerTestCase):
    config = {"server": {"workers": 4}}

    def metrics(self):
        samples = parse_prometheus(self, self.server.get("/metrics", key=None))
        return {name: v for (name, labels), v in samples.items() if not labels}

    def vacuum(self):
        r = self.server.query("VACUUM", timeout=60)
        self.assertEqual(r.status, 200, r)
        rows = r.data["rows"]
        self.assertEqual(len(rows), 1, r)
        self.assertEqual(sorted(rows[0]), ["frames_after", "frames_before", "frames_retained",
                                           "oldest_snapshot_age_ms"])
        return rows[0]

    def test_long_reader_retains_frames_and_vacuum(self):
        s = self.server
        self.assertEqual(s.query("CREATE TABLE vac_t (id INTEGER PRIMARY KEY, v TEXT)").status, 200)
        self.assertEqual(s.query("INSERT INTO vac_t (v) VALUES ('a'), ('b'), ('c')").status, 200)
        m = self.metrics()
        for name in ("neuroquantum_transactions_active", "neuroquantum_lock_waits_total",
                     "neuroquantum_lock_timeouts_total", "neuroquantum_lock_wait_seconds_total",
                     "neuroquantum_deadlocks_total", "neuroquantum_serialization_failures_total",
                     "neuroquantum_transactions_concurrent_committed_total",
                     "neuroquantum_oldest_snapshot_age_seconds", "neuroquantum_wal_frames_retained"):
            self.assertIn(name, m)
        self.assertEqual(m["neuroquantum_deadlocks_total"], 0)
        self.assertEqual(m["neuroquantum_wal_frames_retained"], 0)
        self.assertEqual(m["neuroquantum_oldest_snapshot_age_seconds"], 0)

        # a reader that does not read: its statement pauses with the snapshot open
        c = Client(s)
        try:
            c.send({"type": "stream_query", "query": ENDLESS, "batch_size": 200})
            c.type("query_started")
            first = wait_for(lambda: (lambda x: x if x["neuroquantum_transactions_active"] >= 1
                                      and x["neuroquantum_oldest_snapshot_age_seconds"] > 0
                                      else None)(self.metrics()),
                             timeout=60, interval=0.05, what="the stream's snapshot in /metrics")
            retained = first["neuroquantum_wal_frames_retained"]
            for i in range(4):
                self.assertEqual(s.query("UPDATE vac_t SET v = v || 'x'").status, 200)
                now = self.metrics()
                self.assertGreater(now["neuroquantum_wal_frames_retained"], retained)
                retained = now["neuroquantum_wal_frames_retained"]
                self.assertGreaterEqual(now["neuroquantum_wal_frames"], retained)
            wait_for(lambda: self.metrics()["neuroquantum_oldest_snapshot_age_seconds"]
                     > first["neuroquantum_oldest_snapshot_age_seconds"],
                     timeout=30, interval=0.05, what="the oldest snapshot's age to grow")

            # VACUUM with the reader open: nothing it needs goes, the log is kept
            v = self.vacuum()
            self.assertGreater(v["frames_before"], 0)
            self.assertEqual(v["frames_after"], v["frames_before"])
            self.assertGreaterEqual(v["frames_retained"], retained)
            self.assertGreater(v["oldest_snapshot_age_ms"], 0)
            r = s.query("SELECT v FROM vac_t ORDER BY id")
            self.assertEqual([row["v"] for row in r.data["rows"]], ["axxxx", "bxxxx", "cxxxx"])
        finally:
            c.close()
        wait_for(lambda: self.metrics()["neuroquantum_oldest_snapshot_age_seconds"] == 0,
                 timeout=60, interval=0.05, what="the stream of the closed client to end")
        v = self.vacuum()
        self.assertEqual(v["frames_after"], 0)
        self.assertEqual(v["frames_retained"], 0)
        self.assertEqual(v["oldest_snapshot_age_ms"], 0)
        m = self.metrics()
        self.assertEqual(m["neuroquantum_wal_frames_retained"], 0)
        self.assertEqual(m["neuroquantum_wal_frames"], 0)
        r = s.query("SELECT v FROM vac_t ORDER BY id")
        self.assertEqual([row["v"] for row in r.data["rows"]], ["axxxx", "bxxxx", "cxxxx"])

    def test_vacuum_refusals(self):
        r = self.server.query("VACUUM FULL")
        self.assertEqual(r.status, 501, r)
        self.assertIn("not supported yet: VACUUM FULL", r.text)
        r = self.server.query("VACUUM no_such_table")
        self.assertEqual(r.status, 400, r)
        self.assertIn("no such table: no_such_table", r.text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
