/*
 * fuzz_ws_frame.c — arbitrary bytes as the client side of a WebSocket connection.
 *
 * Input: byte 0 says how many of the following bytes (0..63) are the HTTP layer's read-ahead
 * (handed to ws_accept as `extra`); the rest is written to the client end of a socketpair whose
 * server end is run by the real connection handler (ws.c: wslay framing, the JSON protocol,
 * pub/sub; stream_query answers "not supported" here, having no database). The client end then
 * shuts down its writing side and reads until the server lets go.
 *
 * Checks beyond "no crash, no leak": the server ends by itself (done() once) after the client
 * stops; everything it sent is a sequence of well-formed frames (the last may be cut short) (FIN set, unmasked, opcode
 * text/close/ping/pong, control frames at most 125 bytes), every text frame is a JSON object
 * with a string "type", and a close frame carries one of the codes we send.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "fuzzutil.h"
#include "ws.h"

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
    ws_hub *h = NULL;
    if (ws_hub_new(&cfg, NULL, &h) != 0)
        return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) {
        ws_hub_free(h);
        return 0;
    }
    fz_conn fc = {sv[0], 0};
    identity who = {ID_KEY, PERM_READ | PERM_WRITE, "fuzz", "fuzz", 0, "", 0};
    if (ws_accept(h, sv[0], extra, got, &who, "fuzz", on_done, &fc) != 0) {
        close(sv[0]);
        close(sv[1]);
        ws_hub_free(h);
        return 0;
    }

    size_t cap = 1 << 16, olen = 0, woff = 0;
    uint8_t *out = malloc(cap);
    int wclosed = 0, eof = 0;
    while (!eof) {
        if (woff == rest && !wclosed) {
            shutdown(sv[1], SHUT_WR);
            wclosed = 1;
        }
        struct pollfd pf = {sv[1], POLLIN | (wclosed ? 0 : POLLOUT), 0};
        int pr = poll(&pf, 1, 10000);
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
    check_output(out, olen);
    free(out);
    return 0;
}
