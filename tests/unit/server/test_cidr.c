/*
 * test_cidr.c — addresses and CIDR ranges (IPv4, IPv6, IPv4-mapped IPv6, host bits, bad
 * input), lists, canonical text, and the client-IP rule: X-Forwarded-For believed only from a
 * trusted proxy, right-most untrusted entry, malformed headers refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "nqdb.h"

static int in_range(const char *range, const char *addr)
{
    cidr_range r;
    unsigned char a[16];
    assert_int_equal(cidr_parse(range, &r), 0);
    assert_int_equal(cidr_parse_addr(addr, a), 0);
    return cidr_contains(&r, a);
}

static void test_ranges(void **state)
{
    (void)state;
    assert_true(in_range("10.0.0.0/8", "10.255.1.2"));
    assert_false(in_range("10.0.0.0/8", "11.0.0.1"));
    assert_true(in_range("192.168.1.0/24", "192.168.1.255"));
    assert_false(in_range("192.168.1.0/24", "192.168.2.0"));
    assert_true(in_range("172.16.0.0/12", "172.31.255.255"));
    assert_false(in_range("172.16.0.0/12", "172.32.0.0"));
    assert_true(in_range("127.0.0.1", "127.0.0.1"));
    assert_false(in_range("127.0.0.1", "127.0.0.2"));
    assert_true(in_range("0.0.0.0/0", "8.8.8.8"));
    assert_false(in_range("0.0.0.0/0", "2001:db8::1")); /* an IPv4 range holds no IPv6 */
    assert_true(in_range("10.1.2.3/8", "10.9.9.9"));      /* host bits are cleared */
    assert_true(in_range("10.0.0.0/31", "10.0.0.1"));
    assert_false(in_range("10.0.0.0/31", "10.0.0.2"));
    /* IPv6 */
    assert_true(in_range("::1", "::1"));
    assert_false(in_range("::1", "::2"));
    assert_true(in_range("2001:db8::/32", "2001:db8:ffff::1"));
    assert_false(in_range("2001:db8::/32", "2001:db9::1"));
    assert_true(in_range("fe80::/10", "febf::1"));
    assert_false(in_range("fe80::/10", "fec0::1"));
    assert_true(in_range("::/0", "2001:db8::1"));
    /* IPv4-mapped IPv6 matches IPv4 ranges, both ways */
    assert_true(in_range("127.0.0.0/8", "::ffff:127.0.0.1"));
    assert_true(in_range("192.168.1.0/24", "::ffff:192.168.1.7"));
    assert_false(in_range("192.168.1.0/24", "::ffff:192.168.2.7"));
    assert_true(in_range("::ffff:10.0.0.0/104", "10.3.4.5"));
    assert_false(in_range("::1", "127.0.0.1"));
}

static void test_bad_input(void **state)
{
    (void)state;
    cidr_range r;
    unsigned char a[16];
    const char *bad[] = {"",          "10.0.0.0/33", "::/129",   "10.0.0.0/",  "10.0.0.0/-1",
                         "10.0.0.0/8x", "10.1",       "010.0.0.1", "1.2.3.4.5", "host.example",
                         "::1/1/2",   "1.2.3.256",   " 1.2.3.4", "10.0.0.0/0008",
                         "fe80::1%eth0", "::ffff:1.2.3.4.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cidr_parse(bad[i], &r), NQ_EINVAL);
    assert_int_equal(cidr_parse(NULL, &r), NQ_EINVAL);
    assert_int_equal(cidr_parse_addr("10.0.0.0/8", a), NQ_EINVAL);
    assert_int_equal(cidr_parse_addr(NULL, a), NQ_EINVAL);
    char big[300];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(cidr_parse(big, &r), NQ_EINVAL);
    assert_int_equal(cidr_parse_addr(big, a), NQ_EINVAL);
}

static void test_list(void **state)
{
    (void)state;
    const char *wl[] = {"127.0.0.1", "::1", "10.0.0.0/8"};
    cidr_list l;
    char err[128];
    assert_int_equal(cidr_list_parse(wl, 3, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 3);
    assert_true(cidr_list_match(&l, "127.0.0.1"));
    assert_true(cidr_list_match(&l, "::ffff:127.0.0.1"));
    assert_true(cidr_list_match(&l, "::1"));
    assert_true(cidr_list_match(&l, "10.20.30.40"));
    assert_false(cidr_list_match(&l, "127.0.0.2"));
    assert_false(cidr_list_match(&l, "192.168.0.1"));
    assert_false(cidr_list_match(&l, "not an address"));
    assert_false(cidr_list_match(&l, NULL));
    cidr_list_free(&l);
    assert_null(l.v);

    const char *bad[] = {"127.0.0.1", "127.0.0.1/40"};
    assert_int_equal(cidr_list_parse(bad, 2, &l, err, sizeof err), NQ_EINVAL);
    assert_string_equal(err, "invalid address or CIDR range \"127.0.0.1/40\"");
    assert_null(l.v);
    assert_int_equal(l.n, 0);

    cidr_list empty;
    assert_int_equal(cidr_list_parse(NULL, 0, &empty, err, sizeof err), 0);
    assert_false(cidr_list_match(&empty, "127.0.0.1"));
    cidr_list_free(&empty);
}

static void test_normalize(void **state)
{
    (void)state;
    char out[CIDR_ADDRSTRLEN];
    assert_int_equal(cidr_normalize("::ffff:1.2.3.4", out, sizeof out), 0);
    assert_string_equal(out, "1.2.3.4");
    assert_int_equal(cidr_normalize("2001:0db8:0000:0000:0000:0000:0000:0001", out, sizeof out), 0);
    assert_string_equal(out, "2001:db8::1");
    assert_int_equal(cidr_normalize("nope", out, sizeof out), NQ_EINVAL);
    assert_string_equal(out, "");
    char tiny[4];
    assert_int_equal(cidr_normalize("1.2.3.4", tiny, sizeof tiny), NQ_EINVAL);

    struct sockaddr_in s4 = {0};
    s4.sin_family = AF_INET;
    inet_pton(AF_INET, "192.0.2.9", &s4.sin_addr);
    assert_int_equal(cidr_sockaddr_str((struct sockaddr *)&s4, out, sizeof out), 0);
    assert_string_equal(out, "192.0.2.9");
    struct sockaddr_in6 s6 = {0};
    s6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:192.0.2.10", &s6.sin6_addr);
    assert_int_equal(cidr_sockaddr_str((struct sockaddr *)&s6, out, sizeof out), 0);
    assert_string_equal(out, "192.0.2.10");
    inet_pton(AF_INET6, "2001:db8::5", &s6.sin6_addr);
    assert_int_equal(cidr_sockaddr_str((struct sockaddr *)&s6, out, sizeof out), 0);
    assert_string_equal(out, "2001:db8::5");
    struct sockaddr other = {0};
    other.sa_family = AF_UNIX;
    assert_int_equal(cidr_sockaddr_str(&other, out, sizeof out), NQ_EINVAL);
    assert_int_equal(cidr_sockaddr_str(NULL, out, sizeof out), NQ_EINVAL);
}

static void test_client_ip(void **state)
{
    (void)state;
    const char *proxies[] = {"10.0.0.0/8", "::1"};
    cidr_list tp;
    char err[128], out[CIDR_ADDRSTRLEN];
    assert_int_equal(cidr_list_parse(proxies, 2, &tp, err, sizeof err), 0);

    /* no header, or no trusted proxies, or an untrusted peer: the peer */
    assert_int_equal(cidr_client_ip("203.0.113.5", NULL, &tp, out, sizeof out), 0);
    assert_string_equal(out, "203.0.113.5");
    assert_int_equal(cidr_client_ip("10.0.0.1", "", &tp, out, sizeof out), 0);
    assert_string_equal(out, "10.0.0.1");
    assert_int_equal(cidr_client_ip("10.0.0.1", "1.1.1.1", NULL, out, sizeof out), 0);
    assert_string_equal(out, "10.0.0.1");
    assert_int_equal(cidr_client_ip("203.0.113.5", "127.0.0.1", &tp, out, sizeof out), 0);
    assert_string_equal(out, "203.0.113.5"); /* a spoofed header from an untrusted peer */
    /* a garbage header from an untrusted peer is not even read */
    assert_int_equal(cidr_client_ip("203.0.113.5", "garbage", &tp, out, sizeof out), 0);
    assert_string_equal(out, "203.0.113.5");

    /* trusted peer: right-most untrusted entry */
    assert_int_equal(cidr_client_ip("10.0.0.1", "198.51.100.7", &tp, out, sizeof out), 0);
    assert_string_equal(out, "198.51.100.7");
    assert_int_equal(
        cidr_client_ip("10.0.0.1", "127.0.0.1, 198.51.100.7, 10.2.3.4", &tp, out, sizeof out), 0);
    assert_string_equal(out, "198.51.100.7"); /* the client's own 127.0.0.1 claim is ignored */
    assert_int_equal(cidr_client_ip("::1", "2001:db8::7,10.9.9.9", &tp, out, sizeof out), 0);
    assert_string_equal(out, "2001:db8::7");
    assert_int_equal(cidr_client_ip("::ffff:10.0.0.1", " ::ffff:198.51.100.8 ", &tp, out,
                                    sizeof out), 0);
    assert_string_equal(out, "198.51.100.8");
    /* all trusted: the left-most */
    assert_int_equal(cidr_client_ip("10.0.0.1", "10.1.1.1, 10.2.2.2", &tp, out, sizeof out), 0);
    assert_string_equal(out, "10.1.1.1");

    /* malformed header from a trusted proxy: EINVAL, peer in out */
    const char *bad[] = {"1.2.3.4,", "1.2.3.4, junk", ",", "5.6.7.8,,10.1.1.1", "unknown",
                         "1.2.3.4:80", "[::1]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cidr_client_ip("10.0.0.1", bad[i], &tp, out, sizeof out), NQ_EINVAL);
        assert_string_equal(out, "10.0.0.1");
    }
    /* but a bad entry left of the client does not matter: it is never reached */
    assert_int_equal(cidr_client_ip("10.0.0.1", "junk, 198.51.100.7", &tp, out, sizeof out), 0);
    assert_string_equal(out, "198.51.100.7");

    /* a bad peer */
    assert_int_equal(cidr_client_ip("nope", NULL, &tp, out, sizeof out), NQ_EINVAL);
    assert_string_equal(out, "");
    cidr_list_free(&tp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges),    cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_list),      cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_client_ip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
