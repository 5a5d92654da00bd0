"""test_ws.py — the WebSocket endpoint /ws end to end with a real client (Debian's
python3-websocket): authentication at the upgrade (API key header, Bearer; none -> 401),
subscribe/unsubscribe/publish with exact channels and the * and ** patterns, malformed frames
(an error message, the connection stays open), stream_query of a real table in batches (every
row exactly once), cancel_query of an endless query (query_cancelled, and the producer really
stops), committed changes published on table.<name>, ping/pong, and the server's own pings
and dead-peer detection."""

import base64
import json
import os
import socket
import time
import unittest

import nqserver
from nqserver import API, ServerTestCase, wait_for
from test_http import parse_prometheus

try:
    import websocket  # python3-websocket
except ImportError:  # pragma: no cover
    websocket = None


class Client:
    """A WebSocket client that keeps the messages it has read but not yet asked for."""

    def __init__(self, server, key="admin", headers=None, timeout=30):
        if websocket is None:
            raise unittest.SkipTest("the python3 websocket module is missing (use /usr/bin/python3)")
        h = list(headers or [])
        if key == "admin":
            key = server.admin_key
        if key:
            h.append("X-API-Key: " + key)
        self.ws = websocket.create_connection("ws://127.0.0.1:%d/ws" % server.port, header=h,
                                              timeout=timeout)
        self.pending = []
        self.nping = 0

    def send(self, obj):
        self.ws.send(obj if isinstance(obj, str) else json.dumps(obj))

    def _read(self):
        op, frame = self.ws.recv_data_frame(True)
        if op == websocket.ABNF.OPCODE_TEXT:
            return json.loads(frame.data.decode())
        if op == websocket.ABNF.OPCODE_CLOSE:
            raise websocket.WebSocketConnectionClosedException("closed: %r" % frame.data)
        if op == websocket.ABNF.OPCODE_PING:
            self.nping += 1
        return None

    def next(self, pred=lambda m: True, what="a message"):
        """The first message (kept ones first) for which pred is true; others are kept."""
        for i, m in enumerate(self.pending):
            if pred(m):
                return self.pending.pop(i)
        while True:
            m = self._read()
            if m is None:
                continue
            if pred(m):
                return m
            self.pending.append(m)

    def type(self, t):
        return self.next(lambda m: m.get("type") == t, t)

    def sync(self):
        """Send a ping and read up to its pong: every message the server queued for us before
        it handled the ping is then in the returned list (in order)."""
        self.send({"type": "ping", "timestamp": "sync"})
        got = []
        while True:
            m = self.pending.pop(0) if self.pending else self._read()
            if m is None:
                continue
            if m.get("type") == "pong":
                return got
            got.append(m)

    def close(self):
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 (closing a connection the server closed)
            pass


class WsTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        r = s.query("CREATE TABLE ws_rows (id INTEGER PRIMARY KEY, label TEXT); "
                    "INSERT INTO ws_rows WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                    "WHERE x < 1234) SELECT x, 'row ' || x FROM c")
        assert r.status == 200, r
        cls.read_key = s.generate_key(["read"], name="ws-reader")

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()

    def client(self, **kw):
        c = Client(self.server, **kw)
        self.clients.append(c)
        return c

    # ---- the upgrade -------------------------------------------------------------------------

    def test_upgrade_needs_credentials(self):
        for hdr in ([], ["X-API-Key: nqdb_" + "0" * 32], ["Authorization: Bearer nope"]):
            with self.subTest(headers=hdr):
                with self.assertRaises(websocket.WebSocketBadStatusException) as cm:
                    Client(self.server, key=None, headers=hdr)
                self.assertEqual(cm.exception.status_code, 401)
        c = self.client(key=None, headers=["Authorization: Bearer " + self.server.admin_key])
        c.send({"type": "ping"})
        self.assertEqual(c.type("pong")["type"], "pong")

    def test_plain_get_is_400(self):
        r = self.server.get("/ws")
        self.assertEqual(r.status, 400, r)

    def test_ping_pong(self):
        c = self.client()
        c.send({"type": "ping", "timestamp": "2025-10-29T12:00:00Z"})
        m = c.type("pong")
        self.assertTrue(m["timestamp"].endswith("+00:00"), m)
        c.send({"type": "pong", "timestamp": "x"})  # accepted, no answer
        self.assertEqual(c.sync(), [])

    # ---- pub/sub -------------------------------------------------------------------------

    def test_publish_subscribe(self):
        a, b = self.client(), self.client()
        a.send({"type": "subscribe", "channel": "sensor.temperature"})
        m = a.type("subscription_confirmed")
        self.assertEqual(m["channel"], "sensor.temperature")
        data = {"value": 23.5, "unit": "celsius", "nested": [1, {"x": None}]}
        b.send({"type": "publish", "channel": "sensor.temperature", "data": data})
        m = a.type("channel_message")
        self.assertEqual(m["channel"], "sensor.temperature")
        self.assertEqual(m["data"], data)
        self.assertTrue(m["timestamp"].endswith("+00:00"))
        # the publisher is not subscribed: it gets nothing
        self.assertEqual(b.sync(), [])
        # unsubscribe: nothing more
        a.send({"type": "unsubscribe", "channel": "sensor.temperature"})
        self.assertEqual(a.type("unsubscription_confirmed")["channel"], "sensor.temperature")
        b.send({"type": "publish", "channel": "sensor.temperature", "data": 1})
        b.sync()
        self.assertEqual(a.sync(), [])

    def test_patterns(self):
        a, b = self.client(), self.client()
        a.send({"type": "subscribe", "channel": "sensor.*"})
        a.type("subscription_confirmed")
        a.send({"type": "subscribe", "channel": "events.**"})
        a.type("subscription_confirmed")
        a.send({"type": "subscribe", "channel": "sensor.humidity"})  # also an exact match
        a.type("subscription_confirmed")
        sent = [("sensor.humidity", True), ("sensor.a.b", False), ("sensor", False),
                ("events.x", True), ("events.x.y.z", True), ("eventsx", False),
                ("other.sensor.humidity", False)]
        for i, (ch, _) in enumerate(sent):
            b.send({"type": "publish", "channel": ch, "data": i})
        b.sync()
        got = [m for m in a.sync() if m["type"] == "channel_message"]
        self.assertEqual([(m["channel"], m["data"]) for m in got],
                         [(ch, i) for i, (ch, yes) in enumerate(sent) if yes])
        # unsubscribing a pattern removes only the pattern
        a.send({"type": "unsubscribe", "channel": "sensor.*"})
        a.type("unsubscription_confirmed")
        b.send({"type": "publish", "channel": "sensor.humidity", "data": "h"})
        b.send({"type": "publish", "channel": "sensor.pressure", "data": "p"})
        b.sync()
        got = [m for m in a.sync() if m["type"] == "channel_message"]
        self.assertEqual([m["data"] for m in got], ["h"])

    def test_bad_messages_keep_the_connection(self):
        c = self.client()
        bad = ["{not json", "[1, 2]", "42", json.dumps({"no_type": 1}), json.dumps({"type": 5}),
               json.dumps({"type": "teleport"}), json.dumps({"type": "subscribe"}),
               json.dumps({"type": "subscribe", "channel": 7}),
               json.dumps({"type": "publish", "channel": "a.b"}),
               json.dumps({"type": "publish", "channel": "a.*", "data": 1}),
               json.dumps({"type": "publish", "channel": "table.ws_rows", "data": 1}),
               json.dumps({"type": "stream_query"}),
               json.dumps({"type": "stream_query", "query": "SELECT 1", "batch_size": 0}),
               json.dumps({"type": "cancel_query", "stream_id": "not-a-uuid"}),
               json.dumps({"type": "cancel_query", "stream_id": "123e4567-e89b-42d3-a456-426614174000"}),
               json.dumps({"type": "query_status", "query_id": "123e4567-e89b-42d3-a456-426614174000"}),
               "\u00e9\u00e8 not json either"]
        for text in bad:
            with self.subTest(msg=text):
                c.send(text)
                m = c.type("error")
                self.assertIsInstance(m["code"], str)
                self.assertTrue(m["message"], m)
        c.ws.send_binary(b"\x00\x01binary")
        self.assertEqual(c.type("error")["code"], "UNSUPPORTED_FRAME")
        # still open and working
        self.assertEqual(c.sync(), [])
        c.send({"type": "subscribe", "channel": "still.alive"})
        self.assertEqual(c.type("subscription_confirmed")["channel"], "still.alive")

    # ---- streams -------------------------------------------------------------------------

    def collect_stream(self, c, stream_id):
        rows, batches = [], []
        while True:
            m = c.next(lambda m: m.get("stream_id") == stream_id)
            if m["type"] == "query_batch":
                batches.append(m)
                rows.extend(m["rows"])
            elif m["type"] == "query_completed":
                return rows, batches, m
            elif m["type"] in ("error", "query_cancelled"):
                self.fail("stream ended with %r" % m)

    def test_stream_query_every_row_once(self):
        c = self.client()
        c.send({"type": "stream_query", "query": "SELECT id, label FROM ws_rows ORDER BY id", "batch_size": 100})
        started = c.type("query_started")
        sid = started["stream_id"]
        self.assertEqual(started["query"], "SELECT id, label FROM ws_rows ORDER BY id")
        rows, batches, done = self.collect_stream(c, sid)
        self.assertEqual([r["id"] for r in rows], list(range(1, 1235)))
        self.assertEqual(rows[99], {"id": 100, "label": "row 100"})
        self.assertEqual([b["batch_number"] for b in batches], list(range(len(batches))))
        self.assertEqual(len(batches), 13)
        self.assertTrue(all(len(b["rows"]) == 100 for b in batches[:-1]))
        self.assertEqual([b["has_more"] for b in batches], [True] * 12 + [False])
        self.assertEqual(done["total_rows"], 1234)
        self.assertIsInstance(done["execution_time_ms"], (int, float))
        c.send({"type": "query_status", "query_id": sid})
        st = c.type("query_status")
        self.assertEqual(st["status"], "completed")
        # the default batch size, and an empty result: one batch, has_more false
        c.send({"type": "stream_query", "query": "SELECT * FROM ws_rows WHERE id < 0"})
        sid = c.type("query_started")["stream_id"]
        rows, batches, done = self.collect_stream(c, sid)
        self.assertEqual((rows, done["total_rows"], batches[-1]["has_more"]), ([], 0, False))

    def test_stream_errors(self):
        c = self.client()
        c.send({"type": "stream_query", "query": "SELECT * FROM no_such_table"})
        m = c.type("error")
        self.assertEqual(m["code"], "QUERY_FAILED")
        self.assertIn("no_such_table", m["message"])
        self.assertEqual(m["sqlstate"], "42P01")  # the engine's SQLSTATE, as in REST errors
        c.send({"type": "stream_query", "query": "SELECT * FORM ws_rows"})
        m = c.type("error")
        self.assertEqual((m["code"], m["sqlstate"]), ("QUERY_FAILED", "42601"))
        r = self.client(key=self.read_key)
        r.send({"type": "stream_query", "query": "DELETE FROM ws_rows"})
        m = r.type("error")
        self.assertEqual(m["code"], "PERMISSION_DENIED")
        self.assertEqual(self.server.rows("SELECT count(*) AS n FROM ws_rows"), [{"n": 1234}])
        r.send({"type": "stream_query", "query": "SELECT count(*) AS n FROM ws_rows"})
        sid = r.type("query_started")["stream_id"]
        rows, _, _ = self.collect_stream(r, sid)
        self.assertEqual(rows, [{"n": 1234}])

    def active_streams(self):
        m = parse_prometheus(self, self.server.get("/metrics"))
        return sum(v for (n, _), v in m.items() if n == "neuroquantum_websocket_active_streams")

    def test_cancel_endless_query(self):
        c = self.client()
        q = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"
        c.send({"type": "stream_query", "query": q, "batch_size": 50})
        sid = c.type("query_started")["stream_id"]
        first = c.next(lambda m: m.get("type") == "query_batch" and m["stream_id"] == sid)
        self.assertEqual([r["x"] for r in first["rows"]], list(range(1, 51)))
        self.assertTrue(first["has_more"])
        self.assertGreaterEqual(self.active_streams(), 1)
        c.send({"type": "cancel_query", "stream_id": sid})
        m = c.next(lambda m: m.get("type") in ("query_cancelled", "error"))
        self.assertEqual(m["type"], "query_cancelled", m)
        self.assertEqual(m["stream_id"], sid)
        # nothing of the stream after query_cancelled (what was read before it is dropped)
        c.pending = [x for x in c.pending if x.get("stream_id") != sid]
        after = c.sync()
        self.assertEqual([x for x in after if x.get("stream_id") == sid], [])
        c.send({"type": "query_status", "query_id": sid})
        self.assertEqual(c.type("query_status")["status"], "cancelled")
        # the producer really stopped
        wait_for(lambda: self.active_streams() == 0, timeout=30, interval=0.1,
                 what="the cancelled stream to stop")
        c.send({"type": "cancel_query", "stream_id": sid})
        self.assertEqual(c.type("error")["code"], "CANCEL_FAILED")

    def batches_sent(self):
        m = parse_prometheus(self, self.server.get("/metrics"))
        return sum(v for (n, lab), v in m.items()
                   if n == "neuroquantum_websocket_messages_sent_total" and dict(lab).get("type") == "query_batch")

    def test_backpressure(self):
        # A client that does not read: the endless stream must stop producing (the socket and
        # the bounded queue fill, the producer waits), not buffer without end. Seen from
        # /metrics: the count of query_batch messages handed to the socket stops growing.
        c = self.client()
        base = self.batches_sent()
        q = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, 'padding ' || x AS p FROM c"
        c.send({"type": "stream_query", "query": q, "batch_size": 100})
        samples = []

        def plateau():
            samples.append(self.batches_sent())
            return len(samples) >= 4 and samples[-1] == samples[-4] and samples[-1] > base
        wait_for(plateau, timeout=60, interval=0.25, what="the stream to stop while its client does not read")
        # what went out before the stop is bounded by socket buffers and the queue, not by the
        # (endless) result
        self.assertLess(samples[-1] - base, 20000, samples[-6:])
        # the client reads again: the stream goes on, then it is cancelled
        sid = c.type("query_started")["stream_id"]
        got = 0
        while got < 3:
            m = c.next(lambda m: m.get("stream_id") == sid)
            got += m["type"] == "query_batch"
        c.send({"type": "cancel_query", "stream_id": sid})
        m = c.next(lambda m: m.get("type") in ("query_cancelled", "error") and m.get("stream_id", sid) == sid)
        self.assertEqual(m["type"], "query_cancelled", m)
        wait_for(lambda: self.active_streams() == 0, timeout=30, interval=0.1,
                 what="the cancelled stream to stop")

    def test_paused_streams_do_not_starve_http(self):
        # More paused streams (clients that do not read) than the server has workers: REST
        # requests, reads and writes, are still answered, and so is a new stream's client
        s = self.server
        q = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, 'pad ' || x AS p FROM c"
        idle = [self.client() for _ in range(8)]
        for c in idle:
            c.send({"type": "stream_query", "query": q, "batch_size": 200})
        base = self.batches_sent()
        samples = []

        def plateau():
            samples.append(self.batches_sent())
            return len(samples) >= 4 and samples[-1] == samples[-4] and samples[-1] > base
        wait_for(plateau, timeout=60, interval=0.25, what="the unread streams to pause")
        # (a server that let paused streams take every engine connection never answers these)
        self.assertEqual(s.query("SELECT count(*) AS n FROM ws_rows", timeout=30).data["rows"], [{"n": 1234}])
        self.assertEqual(s.query("CREATE TABLE ws_starve (a INTEGER); INSERT INTO ws_starve VALUES (1); "
                                 "DROP TABLE ws_starve", timeout=30).status, 200)
        r = s.post(API + "/tables/ws_rows/query", {"filters": {"id": 7}}, timeout=30)
        self.assertEqual(r.data["records"], [{"id": 7, "label": "row 7"}])
        c = self.client()
        c.send({"type": "ping"})
        self.assertEqual(c.type("pong")["type"], "pong")
        for x in idle:
            x.close()
        wait_for(lambda: self.active_streams() == 0, timeout=60, interval=0.1,
                 what="the streams of the closed clients to stop")

    def test_client_closing_stops_its_stream(self):
        c = Client(self.server)
        q = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"
        c.send({"type": "stream_query", "query": q})
        c.type("query_started")
        c.close()
        wait_for(lambda: self.active_streams() == 0, timeout=30, interval=0.1,
                 what="the stream of a closed connection to stop")

    # ---- table changes -------------------------------------------------------------------

    def test_table_changes_published(self):
        s = self.server
        s.query("CREATE TABLE ws_pub (id INTEGER PRIMARY KEY, v TEXT)")
        a = self.client()
        a.send({"type": "subscribe", "channel": "table.ws_pub"})
        a.type("subscription_confirmed")
        star = self.client(key=self.read_key)
        star.send({"type": "subscribe", "channel": "table.*"})
        star.type("subscription_confirmed")
        self.assertEqual(s.query("INSERT INTO ws_pub (v) VALUES ('a'), ('b'), ('c')").status, 200)
        m = a.type("channel_message")
        self.assertEqual(m["channel"], "table.ws_pub")
        self.assertEqual((m["data"]["table"], m["data"]["operation"], m["data"]["rows_affected"]),
                         ("ws_pub", "insert", 3))
        self.assertEqual(star.type("channel_message")["data"]["rows_affected"], 3)
        # rolled back: nothing; failed: nothing; then an update and a table-route delete
        s.query("BEGIN; INSERT INTO ws_pub (v) VALUES ('x'); ROLLBACK")
        s.query("INSERT INTO ws_pub (id, v) VALUES (1, 'dup')")
        s.query("BEGIN; UPDATE ws_pub SET v = 'z' WHERE id <= 2; COMMIT")
        s.request("DELETE", API + "/tables/ws_pub/data", {"filters": {"id": 3}})
        s.post(API + "/tables/ws_pub/data", {"records": [{"v": "d"}, {"v": "e"}]})
        got = [a.type("channel_message")["data"] for _ in range(2)]
        self.assertEqual([(d["operation"], d["rows_affected"]) for d in got],
                         [("update", 2), ("delete", 1)])
        # the two records of the insert: one message for the batch or one per record
        inserted = 0
        while inserted < 2:
            d = a.type("channel_message")["data"]
            self.assertEqual((d["table"], d["operation"]), ("ws_pub", "insert"))
            inserted += d["rows_affected"]
        self.assertEqual(inserted, 2)
        self.assertEqual([m for m in a.sync() if m["type"] == "channel_message"], [])


class HeartbeatTest(ServerTestCase):
    config = {"websocket": {"heartbeat_interval_seconds": 1, "heartbeat_timeout_seconds": 3}}

    def test_server_pings(self):
        c = Client(self.server)
        try:
            wait_for(lambda: c._read() is None and c.nping >= 2, timeout=20, interval=0,
                     what="two server pings")
            # a client that answers pings (the library does) stays connected
            c.send({"type": "ping"})
            self.assertEqual(c.type("pong")["type"], "pong")
        finally:
            c.close()

    def test_dead_peer_closed(self):
        s = self.server
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                      "X-API-Key: %s\r\n\r\n" % (key, s.admin_key)).encode())
        data = b""
        t0 = time.monotonic()
        try:
            while True:  # never answer: the server must give up on us and close
                b = sock.recv(4096)
                if not b:
                    break
                data += b
                if time.monotonic() - t0 > 60:
                    self.fail("the server never closed a silent connection")
        except ConnectionResetError:
            pass
        finally:
            sock.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 101"), data[:100])
        body = data.split(b"\r\n\r\n", 1)[1]
        opcodes = []
        i = 0
        while i + 2 <= len(body):
            op, ln = body[i] & 0x0F, body[i + 1] & 0x7F
            hdr = 2
            if ln == 126:
                ln, hdr = int.from_bytes(body[i + 2:i + 4], "big"), 4
            elif ln == 127:
                ln, hdr = int.from_bytes(body[i + 2:i + 10], "big"), 10
            opcodes.append((op, body[i + hdr:i + hdr + ln]))
            i += hdr + ln
        self.assertIn(0x9, [o for o, _ in opcodes], "no ping before the close")
        closes = [p for o, p in opcodes if o == 0x8]
        self.assertTrue(closes, "no close frame")
        if len(closes[0]) >= 2:
            self.assertEqual(int.from_bytes(closes[0][:2], "big"), 1008)
        # and the server is fine
        self.assertEqual(s.get("/health", key=None).status, 200)


if __name__ == "__main__":
    nqserver.main()
