"""test_backups.py — the server's backups: /api/v1/backups (list, take now, prune) while the
server keeps serving, restored with `nqdb restore` and compared; the [backup] schedule taking
full and incremental backups by itself and pruning; permissions and bad input; with
backup.sign_key and backup.encrypt_key, signed and encrypted backups that verify and restore
with the keys only and hold no plaintext."""

import os
import subprocess
import threading

import nqserver
from nqserver import API, Server, ServerTestCase, run, wait_for


def restore_and_read(root, backup_dir, name, sql):
    """Restore the chain ending in backup_dir into a new file and run sql on it (csv)."""
    target = os.path.join(root, name)
    rc, so, se = run(["restore", backup_dir, target])
    if rc != 0:
        raise AssertionError("restore failed (%d): %s%s" % (rc, so, se))
    rc, so, se = run(["sql", target, sql, "--format", "csv"])
    if rc != 0:
        raise AssertionError("sql on the restored file failed (%d): %s%s" % (rc, so, se))
    return so.strip().splitlines()[1:]


class BackupRoutesTest(ServerTestCase):
    def test_take_list_restore_prune(self):
        s = self.server
        self.assertEqual(s.query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").status, 200)
        self.assertEqual(s.query("INSERT INTO t (v) VALUES ('a'), ('b')").status, 200)

        r = s.get(API + "/backups")
        self.assertEnvelope(r, 200)
        self.assertEqual(r.data["backups"], [])
        self.assertFalse(r.data["schedule"]["enabled"])
        self.assertIsNone(r.data["schedule"]["last_run"])
        self.assertEqual(r.data["archive"], {"enabled": False, "directory": None, "segments": 0,
                                             "bytes": 0, "failures": 0, "last_error": None})
        bdir = r.data["directory"]
        self.assertTrue(bdir.endswith("/backups"), bdir)

        # an incremental backup needs a full one first
        r = s.post(API + "/backups", {"kind": "incremental"})
        self.assertEnvelope(r, 409, "Conflict")
        self.assertIn("no full backup", r.error["Conflict"])

        r = s.post(API + "/backups", {"kind": "full", "compress": False})
        self.assertEnvelope(r, 201)
        b1 = r.data["backup"]
        self.assertEqual(b1["name"], "0001-full")
        self.assertEqual((b1["encrypted"], b1["encrypted_to"], b1["signed"]), (False, None, False))
        self.assertEqual(b1["kind"], "full")
        self.assertFalse(b1["compressed"])
        self.assertEqual(b1["pages"], b1["page_count"])

        # writes go on while backups are taken: a writer thread against incremental backups
        stop = threading.Event()
        written = []

        def writer():
            i = 0
            while not stop.is_set():
                rr = s.query("INSERT INTO t (v) VALUES ('w%d')" % i)
                if rr.status == 200:
                    written.append(i)
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        try:
            for _ in range(3):
                r = s.post(API + "/backups", {"kind": "incremental"})
                self.assertEnvelope(r, 201)
                self.assertEqual(r.data["backup"]["kind"], "incremental")
                self.assertTrue(r.data["backup"]["compressed"])  # backup.compress defaults to true
        finally:
            stop.set()
            t.join()
        self.assertGreater(len(written), 0)
        r = s.post(API + "/backups")  # no body: full
        self.assertEnvelope(r, 201)
        self.assertEqual(r.data["backup"]["name"], "0005-full")
        last_full_commit = r.data["backup"]["commit"]
        r = s.post(API + "/backups", {"kind": "differential"})
        self.assertEnvelope(r, 201)
        diff = r.data["directory"]

        r = s.get(API + "/backups")
        self.assertEnvelope(r, 200)
        names = [b["name"] for b in r.data["backups"]]
        self.assertEqual(names, ["0001-full", "0002-incremental", "0003-incremental",
                                 "0004-incremental", "0005-full", "0006-differential"])
        self.assertEqual(r.data["backups"][5]["parent_id"], r.data["backups"][4]["backup_id"])
        self.assertGreaterEqual(r.data["backups"][5]["commit"], last_full_commit)

        # the differential backup restores to what the server holds now (no writes since)
        want = s.rows("SELECT count(*) AS n, max(id) AS m FROM t")[0]
        got = restore_and_read(s.root, diff, "r1.db", "SELECT count(*), max(id) FROM t")
        self.assertEqual(got, ["%d,%d" % (want["n"], want["m"])])

        # prune: keep one full backup and what builds on it
        r = s.post(API + "/backups/prune", {"keep_full": 1})
        self.assertEnvelope(r, 200)
        self.assertEqual(r.data["removed"], 4)
        self.assertEqual([b["name"] for b in r.data["backups"]], ["0005-full", "0006-differential"])
        self.assertFalse(os.path.exists(os.path.join(bdir, "0001-full")))
        rc, so, se = run(["verify", diff])
        self.assertEqual(rc, 0, so + se)

    def test_bad_input(self):
        s = self.server
        r = s.post(API + "/backups", {"kind": "weekly"})
        self.assertEnvelope(r, 400, "ValidationError")
        self.assertEqual(r.error["ValidationError"]["field"], "kind")
        r = s.post(API + "/backups", {"kind": "full", "extra": 1})
        self.assertEnvelope(r, 400, "ValidationError")
        r = s.post(API + "/backups", {"compress": "yes"})
        self.assertEnvelope(r, 400, "ValidationError")
        r = s.post(API + "/backups/prune", {"keep_full": 0})
        self.assertEnvelope(r, 400, "ValidationError")
        r = s.post(API + "/backups/prune", {})
        self.assertEnvelope(r, 400, "ValidationError")
        r = s.post(API + "/backups/prune")
        self.assertEnvelope(r, 400, "ValidationError")

    def test_permissions(self):
        s = self.server
        key = s.generate_key(["read", "write"])
        r = s.get(API + "/backups", key=key)
        self.assertEnvelope(r, 403, "Forbidden")
        r = s.post(API + "/backups", {"kind": "full"}, key=key)
        self.assertEnvelope(r, 403, "Forbidden")
        r = s.get(API + "/backups", key=None)
        self.assertEnvelope(r, 401, "Unauthorized")


class BackupScheduleTest(ServerTestCase):
    config = {"backup": {"enabled": True, "interval_seconds": 1, "full_every": 3,
                         "keep_full": 2, "compress": True, "archive": True},
              }

    def test_schedule(self):
        s = self.server
        self.assertEqual(s.query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").status, 200)
        i = [0]

        def enough():
            s.query("INSERT INTO t (v) VALUES ('x%d')" % i[0])
            i[0] += 1
            r = s.get(API + "/backups")
            return r.data if r.status == 200 and r.data["schedule"]["taken"] >= 8 else None

        d = wait_for(enough, timeout=60, interval=0.2, what="8 scheduled backups")
        sched = d["schedule"]
        self.assertTrue(sched["enabled"])
        self.assertEqual(sched["failed"], 0)
        self.assertIsNone(sched["last_error"])
        self.assertIsNotNone(sched["last_run"])
        kinds = [b["kind"] for b in d["backups"]]
        # a full backup and at most two incremental ones after it; two chains kept
        self.assertEqual(kinds.count("full"), 2, kinds)
        self.assertEqual(kinds[0], "full")
        for k in range(len(kinds)):
            if kinds[k] == "full":
                run_len = 1
                while k + run_len < len(kinds) and kinds[k + run_len] == "incremental":
                    run_len += 1
                self.assertLessEqual(run_len, 3, kinds)
        # the log archive is on: the server's checkpoints write segments into it
        arch = d["archive"]
        self.assertTrue(arch["enabled"])
        self.assertTrue(arch["directory"].endswith("/backups/wal-archive"), arch)
        self.assertEqual(arch["failures"], 0)
        self.assertIsNone(arch["last_error"])
        # the newest scheduled backup restores to a consistent state of the table
        last = os.path.join(d["directory"], d["backups"][-1]["name"])
        got = restore_and_read(s.root, last, "r2.db", "SELECT count(*) = max(id) FROM t")
        self.assertEqual(got, ["true"])


class SignedEncryptedBackupTest(ServerTestCase):
    """backup.sign_key and backup.encrypt_key: the server's backups are signed and encrypted;
    verify and restore need the keys; no plaintext in the backup."""
    keydir = None

    @classmethod
    def setUpClass(cls):
        import shutil
        import tempfile
        cls.keydir = tempfile.mkdtemp(prefix="nq-bkkeys-", dir=nqserver.TMP_ROOT)
        shutil.rmtree(cls.keydir)
        rc, so, se = run(["backup", "keygen", cls.keydir])
        if rc != 0:
            raise AssertionError("keygen failed: %s%s" % (so, se))
        cls.config = {"backup": {"sign_key": os.path.join(cls.keydir, "backup-sign.key"),
                                 "encrypt_key": os.path.join(cls.keydir, "backup-kem.pub")}}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        import shutil
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.keydir, ignore_errors=True)

    def test_signed_encrypted(self):
        s, k = self.server, self.keydir
        self.assertEqual(s.query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").status, 200)
        self.assertEqual(s.query("INSERT INTO t (v) VALUES ('TOPSECRET-1'), ('TOPSECRET-2')").status,
                         200)
        r = s.post(API + "/backups", {"kind": "full", "compress": False})
        self.assertEnvelope(r, 201)
        self.assertTrue(r.data["backup"]["encrypted"])
        self.assertTrue(r.data["backup"]["signed"])
        self.assertRegex(r.data["backup"]["encrypted_to"], "^[0-9a-f]{16}$")
        bdir = os.path.join(s.get(API + "/backups").data["directory"], r.data["backup"]["name"])
        names = sorted(os.listdir(bdir))
        self.assertEqual(names, ["MANIFEST", "MANIFEST.sig", "pagemap", "pages.dat.enc"])
        for n in names:
            with open(os.path.join(bdir, n), "rb") as f:
                self.assertNotIn(b"TOPSECRET", f.read(), n)
        pub, key = os.path.join(k, "backup-sign.pub"), os.path.join(k, "backup-kem.key")
        rc, so, se = run(["verify", bdir, "--pubkey", pub, "--key", key])
        self.assertEqual(rc, 0, se)
        self.assertIn("ML-DSA-65, checked", so)
        target = os.path.join(s.root, "se.db")
        rc, so, se = run(["restore", bdir, target])
        self.assertEqual(rc, 1, so + se)
        self.assertIn("needs its ML-KEM-768 secret key", se)
        rc, so, se = run(["restore", bdir, target, "--pubkey", pub, "--key", key])
        self.assertEqual(rc, 0, se)
        rc, so, se = run(["sql", target, "SELECT group_concat(v, ',') FROM t", "--format", "csv"])
        self.assertEqual(rc, 0, se)
        self.assertIn("TOPSECRET-1,TOPSECRET-2", so)


if __name__ == "__main__":
    nqserver.main()
