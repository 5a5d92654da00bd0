/*
 * fuzz_ws_frame.c — arbitrary bytes as the client side of a WebSocket connection.
 *
 * Input: byte 0 says how many of the following bytes (0..63) are the HTTP layer's read-ahead
 * (handed to ws_accept as `extra`); the rest is written to the client end of a socketpair whose
 * server end is run by the real connection handler (ws.c: wslay framing, the JSON protocol,
 * pub/sub, and stream_query on a small database made once per process, in a temporary
 * directory, with the POSIX VFS because stream threads read it concurrently; the caller may
 * only read, so no input changes what the next one sees). The client end then shuts down its
 * writing side and reads until the server lets go, which stops any stream still running.
 *
 * Byte 0's bit 6 asks for sync mode (see the loop below), so that streams get to run before the
 * half-close. WS_FUZZ_DEBUG=1 in the environment writes the server's output to stderr.
 *
 * Checks beyond "no crash, no leak": the server ends by itself (done() once) after the client
 * stops; everything it sent is a sequence of well-formed frames (the last may be cut short) (FIN set, unmasked, opcode
 * text/close/ping/pong, control frames at most 125 bytes), every text frame is a JSON object
 * with a string "type", and a close frame carries one of the codes we send.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "fuzzutil.h"
#include "ws.h"

static nq_db *fz_db;
static char fz_dir[64];
static pthread_mutex_t fz_mu = PTHREAD_MUTEX_INITIALIZER;

static nq_db *fz_acquire(void *arg)
{
    (void)arg;
    nq_db *c = NULL;
    pthread_mutex_lock(&fz_mu);
    int rc = nq_clone(fz_db, &c);
    pthread_mutex_unlock(&fz_mu);
    return rc == 0 ? c : NULL;
}

static void fz_release(void *arg, nq_db *db)
{
    (void)arg;
    nq_close(db);
}

static void fz_cleanup(void)
{
    char path[128];
    nq_close(fz_db);
    snprintf(path, sizeof path, "%s/ws.db", fz_dir);
    remove(path);
    snprintf(path, sizeof path, "%s/ws.db-wal", fz_dir);
    remove(path);
    rmdir(fz_dir);
}

static void fz_setup(void)
{
    if (fz_db)
        return;
    const char *tmp = getenv("TMPDIR");
    snprintf(fz_dir, sizeof fz_dir, "%s/nqwsfuzz.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(fz_dir))
        fuzz_fail(__FILE__, __LINE__, "mkdtemp");
    char path[128];
    snprintf(path, sizeof path, "%s/ws.db", fz_dir);
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    if (nq_open(path, &o, &fz_db) != 0 ||
        nq_exec(fz_db,
                "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL, b BLOB);"
                "INSERT INTO t(name, v, b) WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL "
                "SELECT x + 1 FROM r WHERE x < 300) SELECT 'row ' || x, x / 3.0, x'00ff' FROM r",
                NULL, NULL) != 0)
        fuzz_fail(__FILE__, __LINE__, "the fuzz database");
    atexit(fz_cleanup);
}

typedef struct fz_conn {
    int sfd;
    int done;
} fz_conn;

static void on_done(void *arg)
{
    fz_conn *c = arg;
    close(c->sfd);
    __atomic_add_fetch(&c->done, 1, __ATOMIC_SEQ_CST);
}

static void check_output(const uint8_t *p, size_t n)
{
    /* Complete frames only: when the client half-closes, the server may stop mid-frame. */
    size_t off = 0;
    while (n - off >= 2) {
        uint8_t b0 = p[off], b1 = p[off + 1];
        int op = b0 & 0x0f;
        FUZZ_CHECK((b0 & 0xf0) == 0x80); /* FIN, no RSV bits */
        FUZZ_CHECK((b1 & 0x80) == 0);    /* servers never mask */
        FUZZ_CHECK(op == 1 || op == 8 || op == 9 || op == 10);
        uint64_t len = b1 & 0x7f;
        size_t h = 2;
        if (len == 126) {
            if (n - off < 4)
                return;
            len = (uint64_t)p[off + 2] << 8 | p[off + 3];
            h = 4;
        } else if (len == 127) {
            if (n - off < 10)
                return;
            len = 0;
            for (int i = 2; i < 10; i++)
                len = len << 8 | p[off + i];
            h = 10;
        }
        if (len > n - off - h)
            return;
        const uint8_t *pl = p + off + h;
        if (op >= 8)
            FUZZ_CHECK(len <= 125);
        if (op == 1) {
            json_error_t err;
            json_t *j = json_loadb((const char *)pl, len, 0, &err);
            FUZZ_CHECK(j && json_is_object(j) && json_is_string(json_object_get(j, "type")));
            json_decref(j);
        }
        if (op == 8 && len >= 2) {
            unsigned code = (unsigned)pl[0] << 8 | pl[1];
            FUZZ_CHECK(code == 1000 || code == 1001 || code == 1002 || code == 1003 ||
                       code == 1007 || code == 1008 || code == 1009 || code == 1011 ||
                       (code >= 3000 && code <= 4999) || code == 1010);
        }
        off += h + (size_t)len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = fuzz_in_make(data, size);
    size_t nextra = fuzz_u8(&in) & 0x3f, got, rest;
    const uint8_t *extra = fuzz_bytes(&in, nextra, &got);
    const uint8_t *body = fuzz_rest(&in, &rest);

    ws_config cfg = {0};
    cfg.max_message_bytes = 4096;
    cfg.max_buffered_messages = 16;
    cfg.default_batch = 7;
    fz_setup();
    ws_env env = {NULL, fz_acquire, fz_release, NULL, NULL};
    ws_hub *h = NULL;
    if (ws_hub_new(&cfg, &env, &h) != 0)
        return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) {
        ws_hub_free(h);
        return 0;
    }
    fz_conn fc = {sv[0], 0};
    identity who = {ID_KEY, PERM_READ, "fuzz", "fuzz", 0, "", 0}; /* read only: see above */
    if (ws_accept(h, sv[0], extra, got, &who, "fuzz", on_done, &fc) != 0) {
        close(sv[0]);
        close(sv[1]);
        ws_hub_free(h);
        return 0;
    }

    size_t cap = 1 << 16, olen = 0, woff = 0;
    uint8_t *out = malloc(cap);
    int wclosed = 0, eof = 0;
    /* Sync mode (bit 6 of byte 0): after the input, a WS ping "nq-sentinel"; once its pong is
     * back every message before it has been dispatched, and streams get up to ~300 ms to finish
     * before the half-close (which ends the connection and stops them). */
    static const uint8_t sentinel[] = {0x89, 0x8b, 0, 0, 0, 0, 'n', 'q', '-', 's', 'e',
                                       'n', 't', 'i', 'n', 'e', 'l'};
    static const uint8_t sentinel_pong[] = {0x8a, 0x0b, 'n', 'q', '-', 's', 'e',
                                            'n', 't', 'i', 'n', 'e', 'l'};
    int sync = (data[0] & 0x40) != 0, sent_sentinel = 0, waits = 0;
    while (!eof) {
        if (woff == rest && !wclosed && sync && !sent_sentinel) {
            ssize_t w = send(sv[1], sentinel, sizeof sentinel, MSG_NOSIGNAL);
            (void)w; /* a partial or failed write only ends the wait early */
            sent_sentinel = 1;
        }
        if (woff == rest && !wclosed) {
            int ready = !sync, unread = 0;
            if (sync && memmem(out, olen, sentinel_pong, sizeof sentinel_pong)) {
                ws_hub_stats st;
                ws_hub_get_stats(h, &st);
                ready = st.streams_running == 0;
            } else if (sync && ioctl(sv[1], SIOCOUTQ, &unread) == 0 && unread == 0 && waits > 2) {
                ready = 1; /* all read, no pong: the input left a frame open, no use waiting */
            }
            if (ready || ++waits > 20) {
                shutdown(sv[1], SHUT_WR);
                wclosed = 1;
            }
        }
        struct pollfd pf = {sv[1], POLLIN | (woff < rest ? POLLOUT : 0), 0};
        int pr = poll(&pf, 1, woff == rest && !wclosed ? 10 : 10000);
        if (pr == 0 && woff == rest && !wclosed)
            continue;
        if (pr < 0 && errno == EINTR) /* libFuzzer's timer signal */
            continue;
        if (pr <= 0)
            break; /* the server did not let go: caught by the check below */
        if (pf.revents & POLLOUT) {
            ssize_t w = send(sv[1], body + woff, rest - woff, MSG_NOSIGNAL);
            if (w > 0)
                woff += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                woff = rest; /* the server has gone: stop writing */
        }
        if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
            if (olen + 4096 > cap)
                out = realloc(out, cap *= 2);
            ssize_t r = recv(sv[1], out + olen, 4096, 0);
            if (r > 0)
                olen += (size_t)r;
            else if (r == 0 || (errno != EAGAIN && errno != EINTR))
                eof = 1;
        }
    }
    FUZZ_CHECK(eof);
    ws_hub_free(h); /* joins the connection's thread */
    FUZZ_CHECK(fc.done == 1);
    close(sv[1]);
    if (getenv("WS_FUZZ_DEBUG")) fwrite(out, 1, olen, stderr);
    check_output(out, olen);
    free(out);
    return 0;
}
