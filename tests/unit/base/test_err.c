/*
 * test_err.c — error objects, errno mapping and result-code descriptions.
 *
 * The contract (src/base/err.h, include/nqdb.h): nq_err_set formats and returns the code,
 * tolerates a NULL object, and truncates (never overflows) long messages; nq_err_prefix adds
 * context in front of the existing message ("file x.db: page 7: checksum mismatch") and keeps
 * the first code; every NQ_E* code has its own description.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/err.h"

static void test_set_and_clear(void **state)
{
    (void)state;
    nq_err e;
    nq_err_clear(&e);
    assert_int_equal(e.code, 0);
    assert_string_equal(e.msg, "");
    assert_int_equal(nq_err_set(&e, NQ_ECORRUPT, "page %u: bad checksum %08x", 7u, 0xdeadbeefu), NQ_ECORRUPT);
    assert_int_equal(e.code, NQ_ECORRUPT);
    assert_string_equal(e.msg, "page 7: bad checksum deadbeef");
    nq_err_clear(&e);
    assert_int_equal(e.code, 0);
    assert_string_equal(e.msg, "");
}

static void test_null_object(void **state)
{
    (void)state;
    nq_err_clear(NULL);
    assert_int_equal(nq_err_set(NULL, NQ_EIO, "x %d", 1), NQ_EIO);
    assert_int_equal(nq_err_prefix(NULL, NQ_EINVAL, "ctx"), NQ_EINVAL);
}

static void test_long_message_truncated(void **state)
{
    (void)state;
    nq_err e;
    char big[NQ_ERRMSG_MAX * 3];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    nq_err_set(&e, NQ_ETOOBIG, "%s", big);
    assert_int_equal(strlen(e.msg), NQ_ERRMSG_MAX - 1);
    /* prefixing a full message must also stay in bounds and keep the prefix */
    nq_err_prefix(&e, NQ_EIO, "file %s", "x.db");
    assert_int_equal(strlen(e.msg), NQ_ERRMSG_MAX - 1);
    assert_memory_equal(e.msg, "file x.db: aaa", 14);
    assert_int_equal(e.code, NQ_ETOOBIG);
    /* a prefix longer than the buffer on its own */
    nq_err_clear(&e);
    nq_err_prefix(&e, NQ_EIO, "%s", big);
    assert_int_equal(strlen(e.msg), NQ_ERRMSG_MAX - 1);
    assert_int_equal(e.code, NQ_EIO);
}

static void test_prefix(void **state)
{
    (void)state;
    nq_err e;
    nq_err_clear(&e);
    /* on an empty object, prefix is the whole message and sets the code */
    assert_int_equal(nq_err_prefix(&e, NQ_EIO, "open %s", "a.db"), NQ_EIO);
    assert_string_equal(e.msg, "open a.db");

    nq_err_set(&e, NQ_ECORRUPT, "checksum mismatch");
    assert_int_equal(nq_err_prefix(&e, NQ_EIO, "page %d", 12), NQ_ECORRUPT);
    assert_int_equal(nq_err_prefix(&e, NQ_EIO, "file %s", "b.db"), NQ_ECORRUPT);
    assert_string_equal(e.msg, "file b.db: page 12: checksum mismatch");
    assert_int_equal(e.code, NQ_ECORRUPT);
}

static void test_errno_mapping(void **state)
{
    (void)state;
    assert_int_equal(nq_errno_code(ENOMEM), NQ_ENOMEM);
    assert_int_equal(nq_errno_code(ENOSPC), NQ_ENOSPC);
    assert_int_equal(nq_errno_code(EDQUOT), NQ_ENOSPC);
    assert_int_equal(nq_errno_code(ENOENT), NQ_ENOTFOUND);
    assert_int_equal(nq_errno_code(EEXIST), NQ_EEXIST);
    assert_int_equal(nq_errno_code(EACCES), NQ_ECANTOPEN);
    assert_int_equal(nq_errno_code(EROFS), NQ_ECANTOPEN);
    assert_int_equal(nq_errno_code(EAGAIN), NQ_ELOCKED);
    assert_int_equal(nq_errno_code(EINVAL), NQ_EINVAL);
    assert_int_equal(nq_errno_code(EIO), NQ_EIO);
    assert_int_equal(nq_errno_code(12345), NQ_EIO);
    /* every mapping is an error code, never 0 */
    for (int en = 1; en < 200; en++)
        assert_true(nq_errno_code(en) < 0);
}

static void test_strerror_distinct(void **state)
{
    (void)state;
    const char *seen[32] = {0};
    assert_string_equal(nq_strerror(NQ_OK), "ok");
    for (int code = NQ_ERROR; code >= NQ_ELAST; code--) {
        const char *s = nq_strerror(code);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown error");
        for (int prev = NQ_ERROR; prev > code; prev--)
            assert_string_not_equal(seen[-prev], s);
        seen[-code] = s;
    }
    assert_string_equal(nq_strerror(NQ_ELAST - 1), "unknown error");
    assert_string_equal(nq_strerror(1), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_and_clear),
        cmocka_unit_test(test_null_object),
        cmocka_unit_test(test_long_message_truncated),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_errno_mapping),
        cmocka_unit_test(test_strerror_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
