"""test_lifecycle.py — starting and stopping `nqdb serve`: SIGTERM during a slow request (the
request finishes, exit 0), committed data after a graceful restart and after kill -9, a bad
configuration (exit 2 naming the key and the line), a port in use and a data directory held
by another server (clear errors, exit 2)."""

import os
import signal
import socket
import subprocess
import threading
import time

import nqserver
from nqserver import API, Server, ServerTestCase, run, wait_for

SLOW_ROWS = 8000000
SLOW_QUERY = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d) "
              "SELECT count(*) AS n, sum(x) AS s FROM c" % SLOW_ROWS)


class ShutdownTest(ServerTestCase):
    config = {"security": {"request_timeout_seconds": 600}}

    def test_sigterm_during_slow_request(self):
        s = self.server
        self.assertEqual(s.query("CREATE TABLE before_stop (a INTEGER)").status, 200)
        self.assertEqual(s.query("INSERT INTO before_stop VALUES (1), (2), (3)").status, 200)
        # Start the slow request and see it running (the stats request counts itself, the
        # slow one makes it two). If it finished before we saw it (a fast or busy machine), try
        # again with a longer one. (A connection libmicrohttpd accepted on the thread that is
        # busy with the slow request waits for it: the first look comes a moment later.)
        for rows in (SLOW_ROWS, SLOW_ROWS * 4, SLOW_ROWS * 16):
            out = {}
            sql = SLOW_QUERY.replace(str(SLOW_ROWS), str(rows))

            def slow():
                try:
                    out["r"] = s.query(sql, timeout=600)
                except Exception as e:  # noqa: BLE001 (reported below)
                    out["e"] = e

            t = threading.Thread(target=slow)
            t.start()
            time.sleep(0.1)
            seen = False
            while t.is_alive() and not seen:
                r = s.get(API + "/stats/performance")
                seen = r.status == 200 and r.data["database_metrics"]["active_requests"] >= 2
            if seen:
                break
            t.join()
        self.assertTrue(seen, "never saw the slow request running")
        s.proc.send_signal(signal.SIGTERM)
        t.join(600)
        self.assertFalse(t.is_alive())
        self.assertNotIn("e", out, out.get("e"))
        r = out["r"]
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.data["rows"], [{"n": rows, "s": rows * (rows + 1) // 2}])
        self.assertEqual(s.stop(), 0)  # exit 0, no sanitizer report
        self.assertIn("SIGTERM", s.stderr_text())
        s.start()
        self.assertEqual(s.rows("SELECT sum(a) AS t FROM before_stop"), [{"t": 6}])

    def test_kill9_keeps_committed_data(self):
        s = self.server
        self.assertEqual(s.query("CREATE TABLE durable (id INTEGER PRIMARY KEY, v TEXT)").status, 200)
        for i in range(20):
            self.assertEqual(s.post(API + "/tables/durable/data", {"records": [{"v": "v%d" % i}]}).status, 201)
        s.kill()  # SIGKILL: no shutdown, no checkpoint
        s.start()
        self.assertEqual(s.rows("SELECT count(*) AS n FROM durable"), [{"n": 20}])
        self.assertEqual(s.query("SELECT 1 AS x").status, 200)


class StartupErrorsTest(ServerTestCase):
    """A server that runs, plus failed starts next to it."""

    def serve(self, *args, config_text=None, env=None, data=None):
        root = self.server.root
        argv = ["serve", "--data", data or os.path.join(root, "other-data"), "--port-file",
                os.path.join(root, "other-port")]
        if config_text is not None:
            path = os.path.join(root, "bad.toml")
            with open(path, "w") as f:
                f.write(config_text)
            argv += ["--config", path]
        e = dict(self.server.env)
        e.update(env or {})
        argv += list(args)
        port_file = os.path.join(root, "other-port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        errf = os.path.join(root, "other-stderr")
        with open(errf, "w") as err:
            p = subprocess.Popen([nqserver.NQDB] + argv, stdout=err, stderr=err,
                                 stdin=subprocess.DEVNULL, env=e)
            # it must fail; if it writes its port file it is listening: stop it and fail
            started = wait_for(lambda: p.poll() is not None or os.path.exists(port_file),
                               timeout=60, what="nqdb serve to fail")
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(60)
        with open(errf) as f:
            se = f.read()
        if os.path.exists(port_file):
            self.fail("nqdb serve %r started (listening) instead of failing: %s" % (argv, se[-2000:]))
        del started
        return p.returncode, se

    def test_bad_config(self):
        cases = [
            ("[server]\nworkers = 2\nport = \"abc\"\n", ["bad.toml:3", "server.port"]),
            ("[server]\nbogus = 1\n", ["bad.toml:2", "server.bogus"]),
            ("[nosuchsection]\nx = 1\n", ["bad.toml:1", "nosuchsection"]),
            ("[server]\nport = 99999\n", ["bad.toml:2", "server.port"]),
            ("[security]\nmax_payload_size = -5\n", ["bad.toml:2", "security.max_payload_size"]),
            ("[rate_limit]\nenabled = \"yes\"\n", ["bad.toml:2", "rate_limit.enabled"]),
            ("[server\nport = 1\n", ["bad.toml:1"]),
            ("[jwt]\nsecret = \"short\"\n", ["jwt.secret"]),
            ("[redis]\nurl = \"http://x\"\n", ["redis.url"]),
            ("[security]\nadmin_ip_whitelist = [\"10.0.0.0/99\"]\n", ["admin_ip_whitelist"]),
        ]
        for text, needles in cases:
            with self.subTest(config=text):
                rc, se = self.serve("--port", "0", config_text=text)
                self.assertEqual(rc, 2, se)
                for n in needles:
                    self.assertIn(n, se)
        rc, se = self.serve("--port", "0", env={"NEUROQUANTUM_SERVER_PORT": "abc"})
        self.assertEqual(rc, 2, se)
        self.assertIn("NEUROQUANTUM_SERVER_PORT", se)
        rc, se = self.serve("--port", "0", env={"NEUROQUANTUM_SERVER_PROT": "1"})
        self.assertEqual(rc, 2, se)
        self.assertIn("NEUROQUANTUM_SERVER_PROT", se)
        rc, se = self.serve("--port", "70000")
        self.assertEqual(rc, 2, se)
        rc, se = self.serve("--no-such-flag")
        self.assertEqual(rc, 2, se)

    def test_port_in_use(self):
        # held by a plain socket
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        try:
            port = holder.getsockname()[1]
            rc, se = self.serve("--port", str(port), "--host", "127.0.0.1")
            self.assertEqual(rc, 2, se)
            self.assertIn(str(port), se)
        finally:
            holder.close()

    def test_port_in_use_by_server(self):
        # held by another nqdb serve: the second one must not share the port
        rc, se = self.serve("--port", str(self.server.port), "--host", "127.0.0.1")
        self.assertEqual(rc, 2, se)
        self.assertIn(str(self.server.port), se)
        self.assertEqual(self.server.get("/health", key=None).status, 200)

    def test_data_dir_in_use(self):
        rc, se = self.serve("--port", "0", data=self.server.data_dir)
        self.assertEqual(rc, 2, se)
        self.assertIn("in use", se)
        # the CLI credential commands say so too
        rc, so, se = run(["key", "list", "--data", self.server.data_dir])
        self.assertNotEqual(rc, 0)
        self.assertTrue(se.strip())
        self.assertEqual(self.server.query("SELECT 1 AS x").status, 200)


if __name__ == "__main__":
    nqserver.main()
