/*
 * test_record_dna.c — DNA-coded TEXT in records (record.h, REC_T_DNA) and the DNA_SEQUENCE /
 * WITH COMPRESSION DNA columns that use it (tablerw.h, catalog.h):
 *   - random sequences (A C G T, N runs, IUPAC letters, lower case, lengths 0..3000) round-trip
 *     byte for byte through rec_encode_x / rec_decode_x, and a coded record is never larger
 *     than the plain one (short values and non-sequences stay REC_T_TEXT);
 *   - every byte change inside a stored container is refused (NQ_ECORRUPT naming the column),
 *     and the borrowing decoders (rec_decode, rec_column) refuse a coded column;
 *   - through SQL: the same rows in a TEXT table and in a DNA_SEQUENCE table read back equal,
 *     the DNA file is measurably smaller, an invalid base is an error naming the column and the
 *     position, and the column markers survive closing and reopening the database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/rand.h"
#include "nqdb.h"
#include "sql/record.h"

/* A random sequence of n letters: mostly ACGT, with N runs, IUPAC codes and lower case. */
static char *gen_seq(nq_rng *r, size_t n)
{
    static const char iupac[] = "RYKMSWBDHV";
    char *s = malloc(n + 1);
    size_t i = 0;
    int lower = 0;
    while (i < n) {
        uint64_t k = nq_rng_below(r, 100);
        if (k < 2) { /* a run of N */
            size_t run = 1 + nq_rng_below(r, 40);
            while (run-- && i < n)
                s[i++] = lower ? 'n' : 'N';
        } else if (k < 3) {
            s[i++] = iupac[nq_rng_below(r, 10)];
        } else if (k < 4) {
            lower = !lower;
        } else {
            char c = "ACGT"[nq_rng_below(r, 4)];
            s[i++] = lower ? (char)(c + 32) : c;
        }
    }
    s[n] = 0;
    return s;
}

static void test_roundtrip(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 7);
    nq_err e;
    nq_err_clear(&e);
    uint8_t codec[3] = {REC_CODEC_DNA, REC_CODEC_NONE, REC_CODEC_DNA};
    int coded = 0;
    for (int it = 0; it < 400; it++) {
        size_t n = it < 100 ? (size_t)it : (size_t)nq_rng_below(&r, 3000);
        char *s = gen_seq(&r, n);
        const char *other = (it & 1) ? "not a sequence, plain text that is long enough to try" : s;
        sqlv v[3] = {sqlv_text(s, n), sqlv_int(it), sqlv_text(other, strlen(other))};
        uint8_t *plain, *rec;
        size_t pl, rl, saved;
        assert_int_equal(rec_encode(v, 3, &plain, &pl, &e), 0);
        assert_int_equal(rec_encode_x(v, 3, codec, &rec, &rl, &saved, &e), 0);
        assert_true(rl <= pl);
        assert_true(pl - rl >= saved && pl - rl <= saved + 8); /* payloads, plus shorter varints */
        int tag;
        size_t len;
        assert_int_equal(rec_column_form(rec, rl, 0, &tag, &len, &e), 0);
        if (n >= 200) { /* a long sequence is always coded, at well under a byte a letter */
            assert_int_equal(tag, REC_T_DNA);
            assert_true(len < n / 2);
            coded++;
        }
        if (n < 32)
            assert_int_equal(tag, REC_T_TEXT); /* short: a container cannot win */
        assert_int_equal(rec_column_form(rec, rl, 2, &tag, &len, &e), 0);
        if (it & 1)
            assert_int_equal(tag, REC_T_TEXT); /* not a sequence: stored as it is */
        size_t need;
        assert_int_equal(rec_expanded_size(rec, rl, &need, &e), 0);
        uint8_t *x = malloc(need + 1);
        sqlv d[3];
        int nc;
        assert_int_equal(rec_decode_x(rec, rl, d, 3, &nc, x, need, &e), 0);
        assert_int_equal(nc, 3);
        for (int c = 0; c < 3; c += 2) {
            assert_int_equal(d[c].type, SQLV_TEXT);
            assert_int_equal(d[c].n, v[c].n);
            assert_memory_equal(d[c].p, v[c].p, v[c].n);
        }
        assert_int_equal(d[1].i, it);
        if (need) { /* too small a buffer is refused, never overrun */
            assert_int_equal(rec_decode_x(rec, rl, d, 3, &nc, x, need - 1, &e), NQ_ECORRUPT);
            assert_int_equal(rec_decode(rec, rl, d, 3, &nc, &e), NQ_ECORRUPT);
        }
        free(x);
        free(plain);
        free(rec);
        free(s);
    }
    assert_true(coded > 200);
}

static void test_damage(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 11);
    nq_err e;
    char *s = gen_seq(&r, 600);
    sqlv v[2] = {sqlv_int(5), sqlv_text(s, 600)};
    uint8_t codec[2] = {0, REC_CODEC_DNA};
    uint8_t *rec;
    size_t rl;
    assert_int_equal(rec_encode_x(v, 2, codec, &rec, &rl, NULL, &e), 0);
    int tag;
    size_t clen;
    assert_int_equal(rec_column_form(rec, rl, 1, &tag, &clen, &e), 0);
    assert_int_equal(tag, REC_T_DNA);
    size_t start = rl - clen; /* the container is the last payload */
    uint8_t *x = malloc(4096);
    for (size_t i = start; i < rl; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            rec[i] ^= (uint8_t)(1u << bit);
            sqlv d[2];
            int nc;
            nq_err_clear(&e);
            int rc = rec_decode_x(rec, rl, d, 2, &nc, x, 4096, &e);
            assert_int_equal(rc, NQ_ECORRUPT);
            assert_non_null(strstr(e.msg, "column 2"));
            rec[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(x);
    free(rec);
    free(s);
}

/* ---- through SQL ---------------------------------------------------------------------- */

static void exec_ok(nq_db *db, const char *sql)
{
    nq_stmt *st;
    const char *tail = sql;
    while (tail && *tail) {
        int rc = nq_prepare(db, tail, strlen(tail), &st, &tail);
        if (rc)
            fprintf(stderr, "%s: %s\n", sql, nq_errmsg(db));
        assert_int_equal(rc, 0);
        if (!st)
            break;
        while ((rc = nq_step(st)) == NQ_ROW)
            ;
        if (rc != NQ_DONE)
            fprintf(stderr, "%s: %s\n", sql, nq_errmsg(db));
        assert_int_equal(rc, NQ_DONE);
        nq_finalize(st);
    }
}

static nq_db *open_fresh(const char *path)
{
    char wal[256];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(path);
    unlink(wal);
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    nq_db *db = NULL;
    assert_int_equal(nq_open(path, &o, &db), 0);
    return db;
}

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) ? -1 : (long long)sb.st_size;
}

enum { ROWS = 300, LEN = 2000 };

/* Fill table t of db with ROWS sequences of LEN letters from seed 3. */
static void fill(nq_db *db, const char *table)
{
    nq_rng r;
    nq_rng_seed(&r, 3);
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (?, ?)", table);
    exec_ok(db, "BEGIN");
    nq_stmt *st;
    assert_int_equal(nq_prepare(db, sql, strlen(sql), &st, NULL), 0);
    for (int i = 0; i < ROWS; i++) {
        char *s = gen_seq(&r, LEN);
        nq_bind_int64(st, 1, i);
        nq_bind_text(st, 2, s, LEN);
        assert_int_equal(nq_step(st), NQ_DONE);
        nq_reset(st);
        free(s);
    }
    nq_finalize(st);
    exec_ok(db, "COMMIT");
}

/* Every row of t equals the generated sequence. */
static void check_rows(nq_db *db, const char *table)
{
    nq_rng r;
    nq_rng_seed(&r, 3);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT id, s FROM %s ORDER BY id", table);
    nq_stmt *st;
    assert_int_equal(nq_prepare(db, sql, strlen(sql), &st, NULL), 0);
    int i = 0;
    while (nq_step(st) == NQ_ROW) {
        char *s = gen_seq(&r, LEN);
        assert_int_equal(nq_column_int64(st, 0), i);
        const char *t = nq_column_blob(st, 1);
        size_t n = nq_column_bytes(st, 1);
        assert_int_equal(n, LEN);
        assert_memory_equal(t, s, LEN);
        free(s);
        i++;
    }
    assert_int_equal(i, ROWS);
    nq_finalize(st);
}

static void test_sql_columns(void **state)
{
    (void)state;
    const char *pt = "test_record_dna_text.db", *pd = "test_record_dna_seq.db";
    nq_db *a = open_fresh(pt), *b = open_fresh(pd);
    exec_ok(a, "CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT)");
    exec_ok(b, "CREATE TABLE t(id INTEGER PRIMARY KEY, s DNA_SEQUENCE)");
    fill(a, "t");
    fill(b, "t");
    check_rows(b, "t");
    assert_int_equal(nq_checkpoint(a), 0);
    assert_int_equal(nq_checkpoint(b), 0);
    nq_close(a);
    nq_close(b);
    long long st = file_size(pt), sd = file_size(pd);
    fprintf(stderr, "# %d sequences of %d letters: TEXT file %lld bytes, DNA_SEQUENCE file %lld "
            "bytes\n", ROWS, LEN, st, sd);
    assert_true(st > (long long)ROWS * LEN);
    assert_true(sd * 3 < st); /* 2 bits a base, plus pages and containers */

    /* reopened: the marker is still there (validation, coding), the values are exact */
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    assert_int_equal(nq_open(pd, &o, &b), 0);
    check_rows(b, "t");
    nq_stmt *s;
    const char *bad = "INSERT INTO t VALUES (1000, 'ACGTACGU')";
    assert_int_equal(nq_prepare(b, bad, strlen(bad), &s, NULL), 0);
    assert_int_not_equal(nq_step(s), NQ_DONE);
    assert_non_null(strstr(nq_errmsg(b), "column \"s\""));
    assert_non_null(strstr(nq_errmsg(b), "'U' at position 8"));
    nq_finalize(s);
    /* WITH COMPRESSION DNA, added later: sequences coded, anything else kept */
    exec_ok(b, "ALTER TABLE t ADD COLUMN note TEXT WITH COMPRESSION DNA");
    nq_close(b);
    assert_int_equal(nq_open(pd, &o, &b), 0);
    exec_ok(b, "UPDATE t SET note = s WHERE id < 100; UPDATE t SET note = 'plain words, not DNA "
               "at all, and long enough to be tried' WHERE id >= 100");
    const char *q = "SELECT count(*) FROM t WHERE (id < 100 AND note = s) OR (id >= 100 AND note "
                    "LIKE 'plain words%')";
    assert_int_equal(nq_prepare(b, q, strlen(q), &s, NULL), 0);
    assert_int_equal(nq_step(s), NQ_ROW);
    assert_int_equal(nq_column_int64(s, 0), ROWS);
    nq_finalize(s);
    nq_close(b);
    unlink(pt);
    unlink(pd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_sql_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
