#!/usr/bin/python3
"""Response compression: an answer of 1 KiB or more is sent gzip-compressed to a client that
accepts gzip (and decompresses to exactly the uncompressed answer); small answers, clients that
do not ask, and `gzip;q=0` get the plain body; every answer says Vary: Accept-Encoding."""

import gzip
import json

import nqserver
from nqserver import API


class GzipTest(nqserver.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        assert s.query("CREATE TABLE gz (id INTEGER PRIMARY KEY, v TEXT)").status == 200
        assert s.query("INSERT INTO gz (v) SELECT 'row ' || x FROM "
                       "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                       "WHERE x < 500) SELECT x FROM c)").status == 200

    def fetch(self, accept):
        headers = {"Accept-Encoding": accept} if accept is not None else {}
        return self.server.query("SELECT * FROM gz ORDER BY id", headers=headers)

    def test_large_answer_compressed(self):
        plain = self.fetch(None)
        self.assertEqual(plain.status, 200)
        self.assertIsNone(plain.header("Content-Encoding"))
        self.assertIn("Accept-Encoding", plain.header("Vary") or "")
        r = self.fetch("gzip, deflate")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        self.assertIn("Accept-Encoding", r.header("Vary") or "")
        body = json.loads(gzip.decompress(r.body))
        self.assertEqual(len(body["data"]["rows"]), 500)
        self.assertEqual(body["data"]["rows"], json.loads(plain.body)["data"]["rows"])
        self.assertLess(len(r.body), len(plain.body))

    def test_refused_or_small(self):
        self.assertIsNone(self.fetch("gzip;q=0, identity").header("Content-Encoding"))
        self.assertIsNone(self.fetch("br").header("Content-Encoding"))
        small = self.server.get("/health", key=None, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(small.status, 200)
        self.assertIsNone(small.header("Content-Encoding"))


if __name__ == "__main__":
    nqserver.main()
