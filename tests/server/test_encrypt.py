"""test_encrypt.py — `nqdb serve` on an encrypted database ([database] passphrase_env and
key_file; docs/security.md "Encryption at rest"): the database is created encrypted, rows
written through the API are not in clear in any file of the data directory, the data survives
a restart with the key, and a wrong, missing or unset key stops the start with exit 2 and a
message."""

import os
import tempfile

import nqserver
from nqserver import Server, ServerError, ServerTestCase, run

MARK = "ZQXSERVERMARK"


def files_with(root, needle):
    hits = []
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            try:
                with open(p, "rb") as f:
                    if needle in f.read():
                        hits.append(p)
            except OSError:
                pass
    return hits


class PassphraseTest(ServerTestCase):
    config = {"database": {"passphrase_env": "NQ_E2E_DB_PASS"}}

    @classmethod
    def setUpClass(cls):
        os.environ["NQ_E2E_DB_PASS"] = "server pass phrase"
        super().setUpClass()

    def test_encrypted_and_restart(self):
        s = self.server
        self.assertEqual(s.query("CREATE TABLE sec (id INTEGER PRIMARY KEY, v TEXT)").status, 200)
        for i in range(50):
            self.assertEqual(s.query("INSERT INTO sec(v) VALUES (?)",
                                     [MARK + "%03d" % i]).status, 200)
        self.assertEqual(s.stop(), 0)
        db = os.path.join(s.data_dir, "nqdb.db")
        self.assertTrue(os.path.exists(db))
        # nqdb.db and its log hold no row in clear (auth.db is not encrypted: no row there)
        self.assertEqual(files_with(s.data_dir, MARK.encode()), [])
        env = dict(s.env)
        rc, so, se = run(["info", db, "--passphrase-env", "NQ_E2E_DB_PASS"], env=env)
        self.assertEqual(rc, 0, se)
        self.assertIn("AES-256-GCM", so)
        rc, so, se = run(["info", db], env=env)
        self.assertEqual(rc, 2)
        self.assertIn("encrypted", se)
        s.start()
        self.assertEqual(s.rows("SELECT count(*) AS n FROM sec"), [{"n": 50}])

    def test_wrong_and_unset_passphrase(self):
        other = Server({"database": {"passphrase_env": "NQ_E2E_DB_PASS"}},
                       data_dir=self.server.data_dir, name="wrongpass",
                       env={"NQ_E2E_DB_PASS": "not the pass phrase"})
        try:
            self.server.stop()
            with self.assertRaises(ServerError) as cm:
                other.start()
            self.assertIn("wrong passphrase", str(cm.exception))
            other.env.pop("NQ_E2E_DB_PASS")
            with self.assertRaises(ServerError) as cm:
                other.start()
            self.assertIn("NQ_E2E_DB_PASS", str(cm.exception))
        finally:
            other.cleanup()
            self.server.start()


class KeyFileTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.keydir = tempfile.mkdtemp(prefix="nq-e2e-key-", dir=nqserver.TMP_ROOT)
        cls.keyfile = os.path.join(cls.keydir, "db.key")
        rc, so, se = run(["keygen", cls.keyfile])
        if rc != 0:
            raise ServerError("nqdb keygen failed: %s%s" % (so, se))
        cls.config = {"database": {"key_file": cls.keyfile}}
        super().setUpClass()

    def test_key_file(self):
        s = self.server
        self.assertEqual(s.query("CREATE TABLE k (v TEXT)").status, 200)
        self.assertEqual(s.query("INSERT INTO k VALUES (?)", [MARK]).status, 200)
        s.restart()
        self.assertEqual(s.rows("SELECT v FROM k"), [{"v": MARK}])
        s.stop()
        self.assertEqual(files_with(s.data_dir, MARK.encode()), [])
        os.chmod(self.keyfile, 0o644)
        try:
            with self.assertRaises(ServerError) as cm:
                s.start()
            self.assertIn("readable by others", str(cm.exception))
        finally:
            os.chmod(self.keyfile, 0o600)
        s.start()


if __name__ == "__main__":
    nqserver.main()
