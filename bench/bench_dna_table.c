/*
 * bench_dna_table.c — DNA in the database (docs/dna.md, "In the database"): bytes stored and
 * scan speed for a table of sequences and a table of ordinary rows, plain against a
 * DNA_SEQUENCE column and against COMPRESS TABLE ... USING DNA, with zstd -19 and xz -9 of the
 * same data as the anchors, all in the same run.
 *
 *   bench_dna_table [--fasta FILE.fa[.gz]] [--rows N] [--dir DIR]
 *
 * Data: the E. coli K-12 MG1655 genome (ragout-examples; a seeded random sequence of the same
 * length when absent, said in the output) cut into records of 960 bases (four fill a 4 KiB leaf page) (id, seq), and N
 * (default 100 000) ordinary rows (id, name, city, amount, created, note) from a seeded
 * generator. Each variant is a fresh database file (page size 4096): rows inserted in one
 * transaction, checkpointed, closed; "file" is the size of the database file then. The
 * COMPRESS TABLE variants report the statement's own figures (entropy-stage bytes, parity,
 * the bytes the pages occupy in their slots).
 *
 * Scan: `SELECT sum(length(seq))` (or of the ordinary columns) on a freshly opened database
 * with a 256 KiB buffer pool, so every page comes from the file (the OS cache is warm: this
 * measures our read path — checksums, the page codec — not the disk); median of 5, wall
 * clock, MB of logical table bytes per second. Anchors: `zstd -19 -T1` and `xz -9 -T1` on the
 * raw sequence text / the rows as CSV, through popen (sizes only).
 *
 * The entropy stage: the page codec alone (pgcodec.h: zstd + Reed-Solomon) against the DNA
 * library's own coders (dna_zip.h: KmerBased, NeuralNetwork) on the same 4 KiB page images
 * (the CSV rows cut into pages), MB/s of page bytes (CPU time of this thread) and the coded
 * size — what decided the choice of zstd (docs/dna.md, "The page codec"); and the repair
 * path: decoding pages with m/2 damaged bytes in every codeword.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "dna/dna_zip.h"
#include "storage/pager.h"
#include "storage/pgcodec.h"
#include <time.h>
#include "nqdb.h"

#define ECOLI "/usr/share/doc/ragout/examples/E.Coli/references/MG1655-K12.fasta.gz"
#define REC 960 /* 4 records fill a 4 KiB leaf; at 1000 every record would spill to an overflow page */

static const char *dir = ".";

static void die(const char *what, nq_db *db)
{
    fprintf(stderr, "bench_dna_table: %s: %s\n", what, db ? nq_errmsg(db) : "");
    exit(1);
}

static void exec(nq_db *db, const char *sql)
{
    const char *tail = sql;
    while (tail && *tail) {
        nq_stmt *st = NULL;
        if (nq_prepare(db, tail, strlen(tail), &st, &tail))
            die(sql, db);
        if (!st)
            break;
        int rc;
        while ((rc = nq_step(st)) == NQ_ROW)
            ;
        nq_finalize(st);
        if (rc != NQ_DONE)
            die(sql, db);
    }
}

static nq_db *open_db(const char *path, int fresh, size_t cache)
{
    char p[1024], w[1100];
    snprintf(p, sizeof p, "%s/%s", dir, path);
    if (fresh) {
        snprintf(w, sizeof w, "%s-wal", p);
        unlink(p);
        unlink(w);
    }
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    o.page_size = 4096;
    o.cache_bytes = cache;
    nq_db *db = NULL;
    if (nq_open(p, &o, &db))
        die(p, db);
    return db;
}

static long long file_bytes(const char *path)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, path);
    struct stat sb;
    return stat(p, &sb) ? -1 : (long long)sb.st_size;
}

/* Size of `tool` run on the bytes (written to a temporary file). */
static long anchor(const char *tool, const uint8_t *data, size_t n)
{
    char tmp[1100], cmd[1300];
    snprintf(tmp, sizeof tmp, "%s/bench_dna_table.anchor", dir);
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(data, 1, n, f) != n) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s < '%s' | wc -c", tool, tmp);
    long sz = bu_cmd_long(cmd);
    remove(tmp);
    return sz;
}

/* The COMPRESS TABLE result row: compressed_size_bytes (7), parity (8), stored (9), pages
 * coded (4) and raw (5). */
typedef struct cres {
    long long original, compressed, parity, stored, coded, raw;
} cres;

static cres compress(nq_db *db, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "COMPRESS TABLE %s USING DNA", table);
    nq_stmt *st;
    cres r = {0};
    if (nq_prepare(db, sql, strlen(sql), &st, NULL) || nq_step(st) != NQ_ROW)
        die(sql, db);
    r.coded = nq_column_int64(st, 4);
    r.raw = nq_column_int64(st, 5);
    r.original = nq_column_int64(st, 6);
    r.compressed = nq_column_int64(st, 7);
    r.parity = nq_column_int64(st, 8);
    r.stored = nq_column_int64(st, 9);
    nq_finalize(st);
    return r;
}

/* Median wall seconds of 5 cold scans (fresh connection, small pool). */
static double scan(const char *path, const char *q)
{
    double t[5];
    for (int i = 0; i < 5; i++) {
        nq_db *db = open_db(path, 0, 256 * 1024);
        nq_stmt *st;
        double t0 = bu_now();
        if (nq_prepare(db, q, strlen(q), &st, NULL) || nq_step(st) != NQ_ROW)
            die(q, db);
        nq_finalize(st);
        t[i] = bu_now() - t0;
        nq_close(db);
    }
    return bu_median(t, 5);
}

typedef struct variant {
    const char *name, *file, *create, *table;
    int compress;
} variant;

/* Load rows through the binder: fill(db, st) binds and steps every row. */
typedef void (*fill_fn)(nq_stmt *st, void *arg);

static void build(const variant *v, const char *insert, fill_fn fill, void *arg, cres *cr)
{
    nq_db *db = open_db(v->file, 1, 64 << 20);
    exec(db, v->create);
    exec(db, "BEGIN");
    nq_stmt *st;
    if (nq_prepare(db, insert, strlen(insert), &st, NULL))
        die(insert, db);
    fill(st, arg);
    nq_finalize(st);
    exec(db, "COMMIT");
    memset(cr, 0, sizeof *cr);
    if (v->compress)
        *cr = compress(db, v->table);
    if (nq_checkpoint(db))
        die("checkpoint", db);
    nq_close(db);
}

typedef struct seqs {
    const char *s;
    size_t n;
} seqs;

static void fill_seqs(nq_stmt *st, void *arg)
{
    seqs *q = arg;
    for (size_t i = 0, id = 0; i < q->n; i += REC, id++) {
        size_t l = q->n - i < REC ? q->n - i : REC;
        nq_bind_int64(st, 1, (int64_t)id);
        nq_bind_text(st, 2, q->s + i, l);
        if (nq_step(st) != NQ_DONE)
            die("insert", NULL);
        nq_reset(st);
    }
}

static const char *cities[] = {"Berlin", "Paris", "Lisbon", "Oslo", "Vienna", "Prague",
                               "Dublin", "Madrid", "Rome", "Athens"};
static const char *first[] = {"Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta",
                              "Hugo", "Ida", "Jonas", "Karla", "Leo"};

typedef struct rowgen {
    long rows;
    char *csv;
    size_t csvlen, csvcap;
} rowgen;

static void fill_rows(nq_stmt *st, void *arg)
{
    rowgen *g = arg;
    bu_rng r;
    bu_rng_seed(&r, 42);
    char name[64], note[128], line[300];
    for (long i = 0; i < g->rows; i++) {
        snprintf(name, sizeof name, "%s %c.", first[bu_rng_below(&r, 12)],
                 (char)('A' + bu_rng_below(&r, 26)));
        const char *city = cities[bu_rng_below(&r, 10)];
        double amount = (double)bu_rng_below(&r, 1000000) / 100.0;
        int64_t ts = 1700000000 + (int64_t)i * 37;
        snprintf(note, sizeof note, "order %ld shipped %s", i, bu_rng_below(&r, 4) ? "on time"
                                                                                     : "late");
        nq_bind_int64(st, 1, i);
        nq_bind_text(st, 2, name, (size_t)-1);
        nq_bind_text(st, 3, city, (size_t)-1);
        nq_bind_double(st, 4, amount);
        nq_bind_int64(st, 5, ts);
        nq_bind_text(st, 6, note, (size_t)-1);
        if (nq_step(st) != NQ_DONE)
            die("insert row", NULL);
        nq_reset(st);
        int l = snprintf(line, sizeof line, "%ld,%s,%s,%.2f,%lld,%s\n", i, name, city, amount,
                         (long long)ts, note);
        if (g->csvlen + (size_t)l > g->csvcap) {
            g->csvcap = (g->csvcap + (size_t)l) * 2;
            g->csv = realloc(g->csv, g->csvcap);
            if (!g->csv)
                die("out of memory", NULL);
        }
        memcpy(g->csv + g->csvlen, line, (size_t)l);
        g->csvlen += (size_t)l;
    }
}

static uint32_t get_u16_le(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The entropy stage on page images cut from data. */
static void entropy_stage(const char *data, size_t len)
{
    const uint32_t PS = 4096 - 12; /* the bytes the codec owns (pagexform_usable) */
    size_t np = len / PS;
    if (np > 400)
        np = 400;
    if (!np)
        return;
    uint8_t *mem = malloc(np * PS), *disk = malloc(np * PS), *work = malloc(PS);
    for (size_t i = 0; i < np; i++) {
        memcpy(mem + i * PS, data + i * PS, PS);
        mem[i * PS] = PGTYPE_BTREE_LEAF;
        mem[i * PS + 1] = PGCODEC_PAGE_FLAG;
    }
    double t0 = cpu_now();
    uint64_t coded = 0, bytes = 0;
    for (size_t i = 0; i < np; i++) {
        pgcodec_info info;
        if (pgcodec_encode(mem + i * PS, PS, disk + i * PS, PS, &info) == 1) {
            coded++;
            bytes += info.payload;
        }
    }
    double enc = cpu_now() - t0;
    t0 = cpu_now();
    uint32_t rep;
    nq_err e;
    for (int rr = 0; rr < 5; rr++)
        for (size_t i = 0; i < np; i++) {
            memcpy(work, disk + i * PS, PS);
            if (pgcodec_decode(work, PS, &rep, &e))
                die("pgcodec_decode", NULL);
        }
    double dec = (cpu_now() - t0) / 5;
    /* the repair path: m/2 damaged bytes in every codeword */
    t0 = cpu_now();
    uint64_t fixed = 0;
    for (size_t i = 0; i < np; i++) {
        memcpy(work, disk + i * PS, PS);
        uint32_t m = work[3], ncw = get_u16_le(work + 6);
        for (uint32_t j = 0; j < ncw; j++)
            for (uint32_t q = 0; q < m / 2; q++)
                work[PGCODEC_PREFIX + q * ncw + j] ^= 0x3C;
        if (pgcodec_decode(work, PS, &rep, &e) || memcmp(work, mem + i * PS, PS))
            die("pgcodec repair", NULL);
        fixed += rep;
    }
    double fix = cpu_now() - t0;
    double mb = (double)np * PS / 1e6;
    printf("\nentropy stage on %zu page images of %u bytes (the CSV rows), CPU time:\n", np, PS);
    printf("  %-40s %10s %12s %12s\n", "coder", "bytes", "encode MB/s", "decode MB/s");
    printf("  %-40s %10llu %12.1f %12.1f   (%llu/%zu pages coded; + parity filling the slot)\n",
           "page codec: zstd-3 + Reed-Solomon", (unsigned long long)bytes, mb / enc, mb / dec,
           (unsigned long long)coded, np);
    printf("  %-40s %10s %12s %12.1f   (%llu bytes repaired)\n",
           "page codec, repair path (m/2 per codeword)", "", "", mb / fix,
           (unsigned long long)fixed);
    dna_algo algos[] = {DNA_ALGO_KMER, DNA_ALGO_MIXED};
    for (int a = 0; a < 2; a++) {
        size_t n = np < 40 ? np : 40; /* the statistical coders are slow: 40 pages */
        dna_buf z = {0}, o = {0};
        uint64_t zb = 0;
        double te = 0, td = 0;
        for (size_t i = 0; i < n; i++) {
            z.len = 0;
            o.len = 0;
            double t1 = cpu_now();
            if (dna_compress(mem + i * PS, PS, algos[a], &z, NULL))
                die("dna_compress", NULL);
            double t2 = cpu_now();
            if (dna_decompress(z.data, z.len, PS, &o, NULL) || o.len != PS)
                die("dna_decompress", NULL);
            td += cpu_now() - t2;
            te += t2 - t1;
            zb += z.len;
        }
        char nm[64];
        snprintf(nm, sizeof nm, "DNA library, %s", dna_algo_name(algos[a]));
        printf("  %-40s %10llu %12.1f %12.1f   (first %zu pages)\n", nm,
               (unsigned long long)(zb * np / n), (double)n * PS / 1e6 / te,
               (double)n * PS / 1e6 / td, n);
        dna_buf_free(&z);
        dna_buf_free(&o);
    }
    free(mem);
    free(disk);
    free(work);
}

static void report(const char *name, long long file, const cres *c, double secs, double logical)
{
    printf("  %-34s %12lld", name, file);
    if (c && c->original)
        printf(" %12lld %10lld %12lld %6lld/%-6lld", c->compressed, c->parity, c->stored,
               c->coded, c->coded + c->raw);
    else
        printf(" %12s %10s %12s %13s", "", "", "", "");
    printf(" %9.1f\n", logical / 1e6 / secs);
}

int main(int argc, char **argv)
{
    const char *fasta = ECOLI;
    long rows = 100000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--fasta") && i + 1 < argc)
            fasta = argv[++i];
        else if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = atol(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_dna_table [--fasta FILE] [--rows N] [--dir DIR]\n");
            return 2;
        }
    }
    bu_machine m;
    bu_machine_probe(&m, dir);
    bu_machine_print(&m, dir);
#ifdef NQ_BENCH_BUILD_TYPE
    printf("build: %s\n", NQ_BENCH_BUILD_TYPE);
#endif

    /* ---- the sequences ---- */
    char cmd[1200];
    size_t fl = 0;
    snprintf(cmd, sizeof cmd, "gzip -dc '%s' 2>/dev/null", fasta);
    uint8_t *fa = access(fasta, R_OK) == 0 ? bu_read_cmd(cmd, &fl) : NULL;
    char *seq = malloc(fl ? fl : 4700000);
    size_t n = 0;
    if (fa) {
        int hdr = 0, start = 1;
        for (size_t i = 0; i < fl; i++) {
            if (fa[i] == '\n') {
                hdr = 0;
                start = 1;
                continue;
            }
            if (start && fa[i] == '>')
                hdr = 1;
            start = 0;
            if (!hdr && fa[i] != '\r')
                seq[n++] = (char)fa[i];
        }
        free(fa);
        printf("sequences: %s, %zu bases in records of %d\n", fasta, n, REC);
    } else {
        bu_rng r;
        bu_rng_seed(&r, 7);
        for (n = 0; n < 4641652; n++)
            seq[n] = "ACGT"[bu_rng_below(&r, 4)];
        printf("sequences: %s absent: %zu seeded random bases instead (ragout-examples gives "
               "the genome)\n", fasta, n);
    }
    seqs q = {seq, n};
    printf("\n%-36s %12s %12s %10s %12s %13s %9s\n", "  variant", "file bytes", "compressed",
           "parity", "in slots", "pages coded", "scan MB/s");
    variant sv[] = {
        {"sequences, TEXT", "bdt_text.db", "CREATE TABLE s(id INTEGER PRIMARY KEY, seq TEXT)", "s", 0},
        {"sequences, DNA_SEQUENCE", "bdt_dna.db",
         "CREATE TABLE s(id INTEGER PRIMARY KEY, seq DNA_SEQUENCE)", "s", 0},
        {"sequences, TEXT + COMPRESS TABLE", "bdt_text_c.db",
         "CREATE TABLE s(id INTEGER PRIMARY KEY, seq TEXT)", "s", 1},
        {"sequences, DNA_SEQUENCE + COMPRESS", "bdt_dna_c.db",
         "CREATE TABLE s(id INTEGER PRIMARY KEY, seq DNA_SEQUENCE)", "s", 1},
    };
    for (size_t i = 0; i < sizeof sv / sizeof sv[0]; i++) {
        cres c;
        build(&sv[i], "INSERT INTO s VALUES (?, ?)", fill_seqs, &q, &c);
        double secs = scan(sv[i].file, "SELECT sum(length(seq)) FROM s");
        report(sv[i].name, file_bytes(sv[i].file), &c, secs, (double)n);
    }
    long zs = anchor("zstd -19 -T1 -q -c", (const uint8_t *)seq, n);
    long xs = anchor("xz -9 -T1 -c", (const uint8_t *)seq, n);
    printf("  %-34s %12zu\n  %-34s %12ld\n  %-34s %12ld\n  %-34s %12zu\n", "raw sequence text",
           n, "anchor: zstd -19 of the text", zs, "anchor: xz -9 of the text", xs,
           "2 bits a base", (n + 3) / 4);

    /* ---- ordinary rows ---- */
    rowgen g = {rows, NULL, 0, 0};
    const char *cr = "CREATE TABLE r(id INTEGER PRIMARY KEY, name TEXT, city TEXT, amount REAL, "
                     "created INTEGER, note TEXT)";
    variant rv[] = {
        {"rows, plain", "bdt_rows.db", cr, "r", 0},
        {"rows, COMPRESS TABLE", "bdt_rows_c.db", cr, "r", 1},
    };
    printf("\n");
    for (size_t i = 0; i < 2; i++) {
        cres c;
        g.csvlen = 0;
        build(&rv[i], "INSERT INTO r VALUES (?, ?, ?, ?, ?, ?)", fill_rows, &g, &c);
        double secs = scan(rv[i].file, "SELECT sum(length(name) + length(city) + length(note)), "
                                       "sum(amount) FROM r");
        report(rv[i].name, file_bytes(rv[i].file), &c, secs, (double)g.csvlen);
    }
    zs = anchor("zstd -19 -T1 -q -c", (const uint8_t *)g.csv, g.csvlen);
    xs = anchor("xz -9 -T1 -c", (const uint8_t *)g.csv, g.csvlen);
    printf("  %-34s %12zu\n  %-34s %12ld\n  %-34s %12ld\n", "rows as CSV", g.csvlen,
           "anchor: zstd -19 of the CSV", zs, "anchor: xz -9 of the CSV", xs);
    entropy_stage(g.csv, g.csvlen);
    printf("\nscan MB/s: logical bytes (sequence text / CSV) per second, median of 5 cold "
           "scans.\n");
    free(g.csv);
    free(seq);
    const char *files[] = {"bdt_text.db", "bdt_dna.db", "bdt_text_c.db", "bdt_dna_c.db",
                           "bdt_rows.db", "bdt_rows_c.db"};
    for (size_t i = 0; i < 6; i++) {
        char p[1100];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
        strcat(p, "-wal");
        unlink(p);
    }
    return 0;
}
