/*
 * fuzz_http.c — hostile HTTP requests against a real server (src/server) on loopback.
 *
 * The harness starts one server in-process on the first input (a temporary data directory,
 * an admin API key created through the credential store, rate limiting off so the fuzzer is
 * not throttled) and sends every input over a fresh TCP connection, then reads the whole
 * answer. The first byte picks the shape:
 *   - raw (byte & 7 == 0): the rest is sent as-is (then an empty line), so the HTTP parser
 *     itself is attacked;
 *   - structured: a route of the real table (byte picks it), with or without the admin key,
 *     and the rest of the input as the JSON body — this is what reaches our own code:
 *     body limits, JSON parsing, field validation, SQL generation with quoted identifiers and
 *     bound values, and the engine behind it.
 * Findings: a crash, a sanitizer report, a leak, a connection answered with no status line,
 * and any 500 — a request a client got wrong must be a 4xx, and the engine's own failures do
 * not happen on a healthy in-memory-sized database.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <errno.h>

#include "fuzzutil.h"
#include "server.h"

static nq_server *srv;
static unsigned long request_no; /* sent as X-Request-ID: the server log names the request */
static char admin_key[40];

static void stop_server(void)
{
    if (srv) {
        server_shutdown(srv);
        free(srv);
        srv = NULL;
    }
}

static int start_server(void)
{
    char dir[] = "/tmp/nqfuzz_http.XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    signal(SIGPIPE, SIG_IGN);
    server_config c;
    char err[512];
    cfg_defaults(&c);
    free(c.database.data_path);
    c.database.data_path = strdup(dir);
    c.server.port = 0;
    c.server.workers = 2;
    c.rate_limit.enabled = 0;
    c.security.request_timeout_seconds = 2;
    c.server.keep_alive = 1; /* an incomplete request is dropped after 1 s, not 75 */
    c.security.max_payload_size = 1 << 16;
    free(c.logging.level);
    c.logging.level = strdup(getenv("NQ_FUZZ_HTTP_LOG") ? getenv("NQ_FUZZ_HTTP_LOG") : "error");
    srv = calloc(1, sizeof *srv);
    if (!srv || server_start(srv, &c, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_http: cannot start the server: %s\n", err);
        abort();
    }
    if (auth_key_create(srv->auth, "fuzz", PERM_ALL, 1, 0, admin_key, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_http: cannot create a key: %s\n", err);
        abort();
    }
    nq_db *db = dbpool_acquire(&srv->pool);
    int rc = nq_exec(db, "CREATE TABLE fz (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c REAL)",
                     NULL, NULL);
    dbpool_release(&srv->pool, db);
    if (rc != NQ_OK)
        abort();
    atexit(stop_server);
    return 0;
}

static const struct {
    const char *method, *path;
} targets[] = {
    {"POST", "/api/v1/query"},
    {"POST", "/api/v1/tables"},
    {"POST", "/api/v1/tables/fz/data"},
    {"POST", "/api/v1/tables/fz/query"},
    {"PUT", "/api/v1/tables/fz/data"},
    {"DELETE", "/api/v1/tables/fz/data"},
    {"POST", "/api/v1/auth/login"},
    {"POST", "/api/v1/auth/refresh"},
    {"POST", "/api/v1/auth/logout"},
    {"POST", "/api/v1/auth/generate-key"},
    {"POST", "/api/v1/auth/revoke-key"},
    {"GET", "/health"},
    {"GET", "/api/v1/stats/performance"},
    {"POST", "/api/v1/quantum/search"},
    {"GET", "/metrics"},
    {"POST", "/api/v1/tables/%22x%22/query"},
};

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        c += w;
        n -= (size_t)w;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv && start_server() != 0)
        return 0;
    if (size == 0)
        return 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)srv->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {30, 0}; /* generous: a finding must be a hang, not a busy moment */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int cr;
    /* an interrupted connect goes on in the background (see recv below for the signal) */
    while ((cr = connect(fd, (struct sockaddr *)&a, sizeof a)) != 0 &&
           (errno == EINTR || errno == EALREADY))
        ;
    if (cr != 0 && errno != EISCONN) {
        close(fd);
        return 0;
    }
    uint8_t mode = data[0];
    data++, size--;
    if ((mode & 7) == 0) {
        /* garbage may never form a complete request: libmicrohttpd then waits for more until
         * its idle timeout; the harness does not wait with it */
        struct timeval rtv = {0, 100 * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rtv, sizeof rtv);
        send_all(fd, data, size);
        send_all(fd, "\r\n\r\n", 4); /* most inputs then end a request instead of waiting */
        shutdown(fd, SHUT_WR);
    } else {
        unsigned t = (mode >> 3) % (sizeof targets / sizeof targets[0]);
        char head[512];
        int n = snprintf(head, sizeof head,
                         "%s %s HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n"
                         "X-Request-ID: fuzz-%lu\r\n"
                         "Content-Type: application/json\r\nContent-Length: %zu\r\n%s%s%s\r\n",
                         targets[t].method, targets[t].path, ++request_no, size,
                         (mode & 4) ? "X-API-Key: " : "", (mode & 4) ? admin_key : "",
                         (mode & 4) ? "\r\n" : "");
        send_all(fd, head, (size_t)n);
        send_all(fd, data, size);
    }
    char buf[4096];
    char head_of_answer[1024]; /* kept to explain a finding: status line, headers, body start */
    size_t got = 0;
    char status[16] = "";
    ssize_t r;
    /* libFuzzer's -timeout arms a timer whose SIGALRM interrupts a blocking recv (EINTR, no
     * SA_RESTART) — more often the slower the machine: that is not the end of the answer. */
    while ((r = recv(fd, buf, sizeof buf, 0)) > 0 || (r < 0 && errno == EINTR)) {
        if (r < 0)
            continue;
        if (got < sizeof head_of_answer - 1) {
            size_t k = sizeof head_of_answer - 1 - got;
            memcpy(head_of_answer + got, buf, k < (size_t)r ? k : (size_t)r);
        }
        if (got < 12) {
            size_t k = 0;
            while (got + k < 12 && k < (size_t)r) {
                status[got + k] = buf[k];
                k++;
            }
        }
        got += (size_t)r;
    }
    head_of_answer[got < sizeof head_of_answer - 1 ? got : sizeof head_of_answer - 1] = 0;
    close(fd);
    if ((mode & 7) != 0 && got < 12) {
        /* no answer within 30 s: before failing, show where every thread of the server is
         * (gdb, when installed), so that a hang is a finding one can read */
        char cmd[160];
        snprintf(cmd, sizeof cmd,
                 "gdb -p %d -batch -ex 'thread apply all bt' </dev/null 2>/dev/null | "
                 "grep -v '^\\[' >&2",
                 (int)getpid());
        fprintf(stderr, "fuzz_http: no answer to request fuzz-%lu, a %s %s (%zu bytes received, "
                "last recv %zd, errno %d); server threads:\n", request_no,
                targets[(mode >> 3) % (sizeof targets / sizeof targets[0])].method,
                targets[(mode >> 3) % (sizeof targets / sizeof targets[0])].path, got, r, errno);
        if (system("command -v gdb >/dev/null 2>&1") == 0 && system(cmd) != 0)
            fprintf(stderr, "fuzz_http: gdb could not attach\n");
    }
    if ((mode & 7) != 0 && got >= 12 && status[9] == '5' &&
        !(status[10] == '0' && (status[11] == '1' || status[11] == '3')))
        fprintf(stderr, "fuzz_http: %s %s answered:\n%s\n",
                targets[(mode >> 3) % (sizeof targets / sizeof targets[0])].method,
                targets[(mode >> 3) % (sizeof targets / sizeof targets[0])].path, head_of_answer);
    if ((mode & 7) != 0) {
        FUZZ_CHECK(got >= 12 && memcmp(status, "HTTP/1.1 ", 9) == 0);
        FUZZ_CHECK(status[9] != '5' || (status[10] == '0' && status[11] == '1') ||
                   (status[10] == '0' && status[11] == '3'));
    }
    return 0;
}
