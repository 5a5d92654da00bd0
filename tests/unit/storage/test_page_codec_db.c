/*
 * test_page_codec_db.c — COMPRESS TABLE ... USING DNA end to end, on a real file:
 *   - the statement's figures add up (pages coded + raw = pages, compressed < logical,
 *     stored <= logical), and after a checkpoint the table's pages in the file are in codec
 *     form (the form's header byte), the file size unchanged (fixed slots);
 *   - bit rot below the correction limit — random bytes in many coded pages, and a burst as
 *     long as the interleave repairs — is repaired at read time: queries answer exactly, SHOW
 *     COMPRESSION STATS counts the pages and the bytes, nq_check names each repaired page;
 *   - damage beyond the limit in one page is a clean NQ_ECORRUPT that names the page; the
 *     other pages still read; nothing crashes;
 *   - DECOMPRESS TABLE writes the pages raw again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/endian.h"
#include "base/rand.h"
#include "nqdb.h"
#include "storage/pgcodec.h"
#include "sqlscript.h"

#define PATH "test_pcdb.db"
#define P 4096

static nq_db *open_db(int fresh)
{
    if (fresh) {
        unlink(PATH);
        unlink(PATH "-wal");
    }
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    o.page_size = P;
    o.workload_off = 1; /* the file must keep its size: no learned workload saved at close */
    nq_db *db = NULL;
    assert_int_equal(nq_open(PATH, &o, &db), 0);
    return db;
}

static int exec(nq_db *db, const char *sql) { return tsql_exec(db, sql); }

/* The answer of a one-row query as text "a|b|c", or the error code. */
static int query(nq_db *db, const char *sql, char *out, size_t cap)
{
    nq_stmt *st;
    int rc = nq_prepare(db, sql, strlen(sql), &st, NULL);
    if (rc)
        return rc;
    rc = nq_step(st);
    out[0] = 0;
    if (rc == NQ_ROW) {
        for (int i = 0; i < nq_column_count(st); i++) {
            const char *t = nq_column_text(st, i);
            size_t l = strlen(out);
            snprintf(out + l, cap - l, "%s%s", i ? "|" : "", t ? t : "NULL");
        }
        rc = 0;
    }
    nq_finalize(st);
    return rc;
}

static int64_t stat_of(nq_db *db, const char *object, const char *metric)
{
    nq_stmt *st;
    const char *q = "SHOW COMPRESSION STATS FOR t";
    assert_int_equal(nq_prepare(db, q, strlen(q), &st, NULL), 0);
    int64_t v = -1;
    while (nq_step(st) == NQ_ROW)
        if (!strcmp(nq_column_text(st, 0), object) && !strcmp(nq_column_text(st, 1), metric))
            v = nq_column_int64(st, 2);
    nq_finalize(st);
    return v;
}

static const char *Q = "SELECT count(*), sum(id), sum(length(body)), max(tag), min(body) FROM t";

static uint8_t *read_file(size_t *n)
{
    FILE *f = fopen(PATH, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void write_file(const uint8_t *b, size_t n)
{
    FILE *f = fopen(PATH, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void count_problem(void *arg, const char *msg)
{
    if (strstr(msg, "repaired by the page codec"))
        ++*(int *)arg;
}

static const char *victim_msg;
static int victim_seen;

static void find_victim(void *arg, const char *msg)
{
    (void)arg;
    if (strstr(msg, victim_msg) && strstr(msg, "page codec"))
        victim_seen++;
}

static void test_db(void **state)
{
    (void)state;
    nq_db *db = open_db(1);
    assert_int_equal(exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, tag TEXT, body TEXT);"
                              "CREATE INDEX t_tag ON t(tag);"
                              "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g "
                              "WHERE x < 4000) INSERT INTO t SELECT x, 'tag' || (x % 41), "
                              "'the body of row ' || x || ' is ' || repeat('text ', x % 30) FROM g"),
                     0);
    char want[512], got[512];
    assert_int_equal(query(db, Q, want, sizeof want), 0);
    assert_int_equal(nq_checkpoint(db), 0);
    size_t n0;
    free(read_file(&n0));

    /* the statement's figures */
    nq_stmt *st;
    const char *c = "COMPRESS TABLE t USING DNA";
    assert_int_equal(nq_prepare(db, c, strlen(c), &st, NULL), 0);
    assert_int_equal(nq_step(st), NQ_ROW);
    assert_string_equal(nq_column_name(st, 6), "original_size_bytes");
    int64_t rows = nq_column_int64(st, 2), pages = nq_column_int64(st, 3),
            coded = nq_column_int64(st, 4), raw = nq_column_int64(st, 5),
            orig = nq_column_int64(st, 6), comp = nq_column_int64(st, 7),
            parity = nq_column_int64(st, 8), stored = nq_column_int64(st, 9);
    nq_finalize(st);
    assert_int_equal(rows, 4000);
    assert_int_equal(coded + raw, pages);
    assert_int_equal(orig, pages * P);
    assert_true(coded == pages);              /* text rows compress well */
    assert_true(comp * 3 < orig);             /* zstd on these rows: well under a third */
    assert_true(stored <= orig && stored >= comp + parity);
    assert_true(parity > orig / 2);           /* the parity fills the freed room */
    assert_int_equal(query(db, Q, got, sizeof got), 0);
    assert_string_equal(got, want);
    assert_int_equal(nq_checkpoint(db), 0);
    nq_close(db);

    /* the file: same size, the table's pages in codec form */
    size_t n;
    uint8_t *img = read_file(&n);
    assert_int_equal(n, n0);
    int ncoded = 0;
    uint32_t pg_coded[4096];
    for (size_t p = 1; p < n / P; p++)
        if (img[p * P] == PGCODEC_MARK && pgcodec_is_encoded(img + p * P, P - 12))
            pg_coded[ncoded++] = (uint32_t)p;
    assert_int_equal(ncoded, pages);

    /* damage below the limit: in every other coded page, m/2 errors in each of a few
     * codewords (scattered) or one burst of ncw * m/2 bytes */
    nq_rng r;
    nq_rng_seed(&r, 99);
    uint64_t flipped = 0;
    int damaged = 0;
    for (int i = 0; i < ncoded; i += 2, damaged++) {
        uint8_t *pgp = img + (size_t)pg_coded[i] * P;
        uint32_t m = pgp[3], k = pgp[4], ncw = get_u16(pgp + 6);
        uint8_t *body = pgp + PGCODEC_PREFIX;
        if (i % 4 == 0) {
            uint32_t len = ncw * (m / 2), at = (uint32_t)nq_rng_below(&r, ncw * (k + m) - len + 1);
            for (uint32_t b = 0; b < len; b++)
                body[at + b] ^= (uint8_t)(1 + nq_rng_below(&r, 255));
            flipped += len;
        } else {
            for (uint32_t j = 0; j < ncw; j += 3)
                for (uint32_t s = 0; s < m / 2; s++) {
                    body[s * ncw + j] ^= 0x5A; /* m/2 distinct symbols of codeword j */
                    flipped++;
                }
        }
    }
    write_file(img, n);
    db = open_db(0);
    assert_int_equal(query(db, Q, got, sizeof got), 0);
    assert_string_equal(got, want);
    assert_int_equal(query(db, "SELECT count(*) FROM t WHERE tag = 'tag7'", got, sizeof got), 0);
    assert_string_equal(got, "98");
    assert_int_equal(stat_of(db, "database", "pages_unrepairable"), 0);
    int64_t rp = stat_of(db, "database", "pages_repaired");
    assert_true(rp > 0 && rp <= damaged);
    nq_close(db);
    /* nq_check reads every page: it names every repaired page, and the counters then hold
     * every damaged page and every flipped byte */
    db = open_db(0);
    int nrep = 0;
    uint64_t problems = 0;
    assert_int_equal(nq_check(db, count_problem, &nrep, &problems), NQ_ECORRUPT);
    assert_int_equal(nrep, damaged);
    assert_int_equal(stat_of(db, "database", "pages_repaired"), damaged);
    assert_int_equal(stat_of(db, "database", "bytes_repaired"), (int64_t)flipped);
    assert_int_equal(query(db, Q, got, sizeof got), 0);
    assert_string_equal(got, want);
    nq_close(db);

    /* beyond the limit in one page: a clean error naming it; nothing crashes */
    uint32_t victim = pg_coded[1];
    uint8_t *pgp = img + (size_t)victim * P;
    uint32_t m = pgp[3], k = pgp[4], ncw = get_u16(pgp + 6);
    for (uint32_t b = 0; b < ncw * (m / 2 + 3) && b < ncw * (k + m); b++)
        pgp[PGCODEC_PREFIX + b] ^= 0xA5;
    write_file(img, n);
    db = open_db(0);
    char name[48];
    snprintf(name, sizeof name, "page %u:", victim + 1);
    const char *qs[] = {Q, "SELECT count(*) FROM t WHERE tag = 'tag7'"};
    int failed = 0;
    for (int i = 0; i < 2; i++) {
        int rc = query(db, qs[i], got, sizeof got);
        if (rc) { /* a clean error that names the page; the other query may not touch it */
            assert_int_equal(rc, NQ_ECORRUPT);
            assert_non_null(strstr(nq_errmsg(db), name));
            assert_non_null(strstr(nq_errmsg(db), "page codec"));
            failed++;
        } else if (i == 0) {
            assert_string_equal(got, want);
        }
    }
    nq_close(db);
    db = open_db(0);
    victim_msg = name;
    victim_seen = 0;
    assert_int_equal(nq_check(db, find_victim, NULL, &problems), NQ_ECORRUPT);
    assert_true(victim_seen >= 1); /* the read, and the tree walk that needs the page */
    /* SHOW COMPRESSION STATS walks every page of the table: it fails the same clean way */
    assert_int_equal(query(db, "SHOW COMPRESSION STATS FOR t", got, sizeof got), NQ_ECORRUPT);
    assert_non_null(strstr(nq_errmsg(db), name));
    nq_close(db);
    (void)failed;
    free(img);

    /* DECOMPRESS TABLE on a sound copy: raw pages again */
    db = open_db(1);
    assert_int_equal(exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, tag TEXT, body TEXT);"
                              "INSERT INTO t VALUES (1, 'a', repeat('x', 3000)), (2, 'b', 'y');"
                              "COMPRESS TABLE t USING DNA"), 0);
    assert_int_equal(nq_checkpoint(db), 0);
    assert_int_equal(exec(db, "DECOMPRESS TABLE t"), 0);
    assert_int_equal(nq_checkpoint(db), 0);
    assert_int_equal(query(db, "SELECT length(body) FROM t WHERE id = 1", got, sizeof got), 0);
    assert_string_equal(got, "3000");
    nq_close(db);
    img = read_file(&n);
    for (size_t p = 1; p < n / P; p++)
        assert_int_not_equal(img[p * P], PGCODEC_MARK);
    free(img);
    unlink(PATH);
    unlink(PATH "-wal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_db),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
