/*
 * difftest.c — differential testing of the QSQL engine against SQLite: the driver.
 *
 *   difftest [--seed N | --seeds A,B,C-D] [--queries M] [--time SECONDS] [--verbose]
 *            [--max-rows R] [--known-bugs] [--unsupported] [--no-minimize] [--dump] [--tmp DIR]
 *   difftest --self-test
 *
 * For each seed: a fresh database pair (engine.h), the generator's schema and data run on
 * both, then M statements (gen.h), each run on both engines and compared (compare.h). A
 * data-changing statement is followed by a full comparison of the table it changed. With
 * --time the seeds continue (N, N+1, ...) until the time is up: the mode for long local runs.
 *
 * On a mismatch the report gives the seed and statement number (rerunning that seed replays
 * it exactly), the schema and data at that moment as a script (taken from SQLite, which also
 * confirms that both sides held the same rows: every change was compared), the statement and
 * both answers; then a minimized reproduction: indexes that do not matter dropped, rows
 * removed by delta debugging (ddmin over all rows of all tables, each try a fresh pair), tables
 * the statement does not name dropped. A seed stops at its first mismatch — after a failed
 * change the two databases no longer agree — and the run goes on with the next seed.
 *
 * A query that fails on both sides is a generator error (everything generated is meant to be
 * valid in both dialects) and fails the run too; data changes may fail on both (constraints).
 *
 * Exit status: 0 all agreed, 1 mismatches or generator errors, 2 usage or setup trouble.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compare.h"
#include "engine.h"
#include "gen.h"

typedef struct opts {
    uint64_t seeds[256];
    int nseeds;
    long queries;
    double seconds;
    int verbose;
    int minimize;
    int self_test;
    int dump;
    const char *tmp;
    gen_config gc;
} opts;

typedef struct stats {
    long seeds, queries, dml, txn, dml_failed_both, rows, mismatches, gen_errors;
} stats;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- one statement on both sides --------------------------------------------------------- */

/* The outcome of running a statement (and, for a change, the table check) on both sides. */
typedef struct outcome {
    dresult r[2];     /* the statement: [ENG_NQ], [ENG_LITE] */
    dresult tab[2];   /* after a change: SELECT * FROM the table */
    int have_tab;
    char *step;       /* GS_TXN: the statement of the unit that disagreed (malloc'd) */
    dbuf why;
} outcome;

static void outcome_free(outcome *o)
{
    for (int i = 0; i < 2; i++) {
        dres_free(&o->r[i]);
        dres_free(&o->tab[i]);
    }
    free(o->step);
    o->step = NULL;
    db_free(&o->why);
    o->have_tab = 0;
}

static const char *table_name(const gen *g, int t) { return g->t[t].name; }

/* Compare SELECT * FROM tname on both sides (into o->tab); 1 when they differ. A table that
 * neither side has (the minimizer dropped it) is no difference. */
static int compare_table(eng_pair *p, const char *tname, outcome *o)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT * FROM %s", tname);
    dres_free(&o->tab[0]);
    dres_free(&o->tab[1]);
    eng_run(p, ENG_NQ, sql, &o->tab[ENG_NQ]);
    eng_run(p, ENG_LITE, sql, &o->tab[ENG_LITE]);
    o->have_tab = 1;
    cmp_spec all = {0};
    dbuf why = {0};
    int bad = cmp_results(&o->tab[ENG_NQ], &o->tab[ENG_LITE], &all, &why);
    if (bad)
        db_printf(&o->why, "table %s afterwards differs: %s", tname, db_str(&why));
    db_free(&why);
    return bad;
}

static int is_change(const char *sql)
{
    return !strncmp(sql, "INSERT", 6) || !strncmp(sql, "UPDATE", 6) || !strncmp(sql, "DELETE", 6);
}

/* Run s on both sides; 1 when they disagree (reason in o->why). */
static int run_pair(eng_pair *p, const gstmt *s, const char *tname, outcome *o)
{
    memset(o, 0, sizeof *o);
    if (s->kind == GS_TXN) {
        char *text = db_strdup(db_str(&s->sql)), *line = text;
        int bad = 0;
        while (!bad && line && *line) {
            char *e = strstr(line, ";\n");
            if (e)
                *e = 0;
            dres_free(&o->r[0]);
            dres_free(&o->r[1]);
            eng_run(p, ENG_NQ, line, &o->r[ENG_NQ]);
            eng_run(p, ENG_LITE, line, &o->r[ENG_LITE]);
            cmp_spec sp = s->spec;
            sp.check_changes = is_change(line);
            if (!sp.check_changes)
                o->r[0].changes = o->r[1].changes = 0;
            if (cmp_results(&o->r[ENG_NQ], &o->r[ENG_LITE], &sp, &o->why)) {
                o->step = db_strdup(line);
                bad = 1;
            }
            line = e ? e + 2 : NULL;
        }
        free(text);
        for (int t = 0; t < GEN_MAX_TABLES && !bad; t++) {
            char name[16];
            snprintf(name, sizeof name, "t%d", t);
            bad = compare_table(p, name, o);
        }
        return bad;
    }
    eng_run(p, ENG_NQ, db_str(&s->sql), &o->r[ENG_NQ]);
    eng_run(p, ENG_LITE, db_str(&s->sql), &o->r[ENG_LITE]);
    if (s->kind == GS_QUERY)
        o->r[0].changes = o->r[1].changes = 0;
    if (cmp_results(&o->r[ENG_NQ], &o->r[ENG_LITE], &s->spec, &o->why))
        return 1;
    if (s->kind != GS_DML)
        return 0;
    if (!o->r[ENG_NQ].ok && o->r[ENG_LITE].ok) {
        /* an accepted one-sided error (compare.c): undo SQLite's change so that the tables
         * agree again (the driver runs every change inside the savepoint "pre") */
        if (eng_lite_try(p, "ROLLBACK TO pre") == 0)
            return 0;
    }
    return compare_table(p, tname, o);
}

/* ---- reproductions ------------------------------------------------------------------------ */

/* A schema + data script split in parts that the minimizer can drop one by one. */
typedef struct repro {
    gscript tables;   /* CREATE TABLE, one per table (index = table number) */
    gscript indexes;  /* CREATE [UNIQUE] INDEX */
    gscript rows;     /* INSERT INTO t VALUES (...), one per row */
    int *row_table;   /* rows.v[i] belongs to table row_table[i] */
    int *keep_row, *keep_idx, *keep_tab;
} repro;

static void repro_free(repro *r)
{
    gscript_free(&r->tables);
    gscript_free(&r->indexes);
    gscript_free(&r->rows);
    free(r->row_table);
    free(r->keep_row);
    free(r->keep_idx);
    free(r->keep_tab);
    memset(r, 0, sizeof *r);
}

/* The schema from the setup script, the rows as SQLite holds them now. 0 or -1. */
static int repro_snapshot(eng_pair *p, const gen *g, const gscript *setup, repro *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < setup->n; i++) {
        if (!strncmp(setup->v[i], "CREATE TABLE", 12))
            gscript_add(&r->tables, setup->v[i]);
        else if (!strncmp(setup->v[i], "CREATE", 6))
            gscript_add(&r->indexes, setup->v[i]);
    }
    int cap = 16;
    r->row_table = malloc((size_t)cap * sizeof *r->row_table);
    for (int t = 0; t < g->ntables; t++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT * FROM %s", table_name(g, t));
        dresult d;
        if (!eng_run(p, ENG_LITE, sql, &d)) {
            fprintf(stderr, "difftest: snapshot of %s: %s\n", table_name(g, t), d.err);
            dres_free(&d);
            return -1;
        }
        for (size_t i = 0; i < d.nrows; i++) {
            dbuf b = {0};
            db_printf(&b, "INSERT INTO %s VALUES (", table_name(g, t));
            for (int c = 0; c < d.ncols; c++) {
                if (c)
                    db_puts(&b, ", ");
                dv_sql_literal(&b, dres_at(&d, i, c));
            }
            db_puts(&b, ")");
            gscript_add(&r->rows, db_str(&b));
            db_free(&b);
            if (r->rows.n > cap) {
                cap *= 2;
                r->row_table = realloc(r->row_table, (size_t)cap * sizeof *r->row_table);
            }
            r->row_table[r->rows.n - 1] = t;
        }
        dres_free(&d);
    }
    r->keep_row = malloc(((size_t)r->rows.n + 1) * sizeof *r->keep_row);
    r->keep_idx = malloc(((size_t)r->indexes.n + 1) * sizeof *r->keep_idx);
    r->keep_tab = malloc(((size_t)r->tables.n + 1) * sizeof *r->keep_tab);
    if (!r->row_table || !r->keep_row || !r->keep_idx || !r->keep_tab)
        abort();
    for (int i = 0; i < r->rows.n; i++)
        r->keep_row[i] = 1;
    for (int i = 0; i < r->indexes.n; i++)
        r->keep_idx[i] = 1;
    for (int i = 0; i < r->tables.n; i++)
        r->keep_tab[i] = 1;
    return 0;
}

/* Which table an index statement is on ("CREATE ... ON tN (...)"). */
static int index_table(const char *sql)
{
    const char *on = strstr(sql, " ON t");
    return on ? atoi(on + 5) : -1;
}

/* The kept part of r as one script (statements end with ";\n"). */
static void repro_print(const repro *r, dbuf *out)
{
    for (int i = 0; i < r->tables.n; i++)
        if (r->keep_tab[i])
            db_printf(out, "%s;\n", r->tables.v[i]);
    for (int i = 0; i < r->rows.n; i++)
        if (r->keep_row[i] && r->keep_tab[r->row_table[i]])
            db_printf(out, "%s;\n", r->rows.v[i]);
    for (int i = 0; i < r->indexes.n; i++) {
        int t = index_table(r->indexes.v[i]);
        if (r->keep_idx[i] && (t < 0 || r->keep_tab[t]))
            db_printf(out, "%s;\n", r->indexes.v[i]);
    }
}

/* Load the kept part of r into a fresh pair and run s: 1 mismatch, 0 agreement, -1 the
 * script itself failed somewhere (not a usable reduction). */
static int repro_try(eng_pair *p, const repro *r, const gstmt *s, const char *tname, outcome *o)
{
    if (eng_reset(p))
        return -1;
    dbuf script = {0};
    repro_print(r, &script);
    char *text = script.p, *line = text;
    int rc = 0;
    while (line && *line) {
        char *e = strstr(line, ";\n");
        *e = 0;
        for (int side = 0; side < 2 && rc == 0; side++) {
            dresult d;
            if (!eng_run(p, (eng_side)side, line, &d))
                rc = -1;
            dres_free(&d);
        }
        if (rc)
            break;
        line = e + 2;
    }
    db_free(&script);
    if (rc)
        return rc;
    int bad = run_pair(p, s, tname, o);
    return bad;
}

/* Delta debugging (ddmin, complements only) over the kept rows; then indexes and tables. */
static void minimize(eng_pair *p, repro *r, const gstmt *s, const char *tname, int *tries)
{
    const int budget = 600;
    outcome o;
    /* indexes first: fewer statements make every later try cheaper */
    for (int i = 0; i < r->indexes.n && *tries < budget; i++) {
        r->keep_idx[i] = 0;
        (*tries)++;
        if (repro_try(p, r, s, tname, &o) != 1)
            r->keep_idx[i] = 1;
        outcome_free(&o);
    }
    int n = 2;
    for (;;) {
        int kept = 0;
        for (int i = 0; i < r->rows.n; i++)
            kept += r->keep_row[i];
        if (kept < 1 || *tries >= budget)
            break;
        if (n > kept)
            n = kept;
        int chunk = (kept + n - 1) / n, reduced = 0;
        int *idx = malloc((size_t)kept * sizeof *idx), m = 0;
        for (int i = 0; i < r->rows.n; i++)
            if (r->keep_row[i])
                idx[m++] = i;
        for (int c = 0; c < n && *tries < budget; c++) {
            int lo = c * chunk, hi = lo + chunk < kept ? lo + chunk : kept;
            if (lo >= hi)
                break;
            for (int k = lo; k < hi; k++)
                r->keep_row[idx[k]] = 0;
            (*tries)++;
            int res = repro_try(p, r, s, tname, &o);
            outcome_free(&o);
            if (res == 1) {
                reduced = 1;
                n = n > 2 ? n - 1 : 2;
                break;
            }
            for (int k = lo; k < hi; k++)
                r->keep_row[idx[k]] = 1;
        }
        free(idx);
        if (!reduced) {
            if (n >= kept)
                break;
            n = n * 2 < kept ? n * 2 : kept;
        }
    }
    /* tables the statement does not name */
    for (int t = 0; t < r->tables.n && *tries < budget; t++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", t);
        const char *q = db_str(&s->sql), *hit = q;
        int named = 0;
        while ((hit = strstr(hit, name))) {
            char nx = hit[strlen(name)];
            if (!(nx >= '0' && nx <= '9')) {
                named = 1;
                break;
            }
            hit++;
        }
        if (named)
            continue;
        r->keep_tab[t] = 0;
        (*tries)++;
        if (repro_try(p, r, s, tname, &o) != 1)
            r->keep_tab[t] = 1;
        outcome_free(&o);
    }
}

static void print_outcome(dbuf *out, const outcome *o)
{
    if (o->step)
        db_printf(out, "-- the statement of the unit that disagreed:\n%s;\n", o->step);
    db_puts(out, "-- nqdb:\n");
    dres_print(out, &o->r[ENG_NQ], 30);
    db_puts(out, "-- SQLite:\n");
    dres_print(out, &o->r[ENG_LITE], 30);
    if (o->have_tab) {
        db_puts(out, "-- table afterwards, nqdb:\n");
        dres_print(out, &o->tab[ENG_NQ], 30);
        db_puts(out, "-- table afterwards, SQLite:\n");
        dres_print(out, &o->tab[ENG_LITE], 30);
    }
}

/* The statement (or unit) as script text, with the table check after a change. */
static void stmt_text(dbuf *out, const gstmt *s, const char *tname)
{
    if (s->kind == GS_TXN) {
        db_puts(out, db_str(&s->sql)); /* each statement already ends with ";\n" */
        return;
    }
    db_printf(out, "%s;\n", db_str(&s->sql));
    if (tname)
        db_printf(out, "SELECT * FROM %s;\n", tname);
}

/* Report a mismatch. pre: the state before the statement when it was taken in advance (a
 * transaction unit, which SQLite cannot run inside a savepoint); otherwise it comes from SQLite
 * after rolling a single change back to the savepoint "pre". */
static void report(eng_pair *p, const opts *op, const gen *g, const gscript *setup, uint64_t seed,
                   long n, const gstmt *s, outcome *o, repro *pre)
{
    const char *tname = s->kind == GS_DML ? table_name(g, s->table) : NULL;
    static const char *kinds[] = {"query", "data change", "transaction"};
    dbuf out = {0};
    db_printf(&out, "\n=== MISMATCH: seed %" PRIu64 ", statement %ld (%s)\n", seed, n,
              kinds[s->kind]);
    db_printf(&out, "reason: %s\n", db_str(&o->why));
    db_printf(&out, "replay: difftest --seed %" PRIu64 " --queries %ld%s\n", seed, n,
              op->gc.known_bugs ? " --known-bugs" : "");
    if (s->kind == GS_DML) /* the state before the change (SQLite ran it in a savepoint) */
        eng_lite_exec(p, "ROLLBACK TO pre");
    repro r;
    int have;
    if (pre) {
        r = *pre;
        memset(pre, 0, sizeof *pre);
        have = 1;
    } else {
        have = repro_snapshot(p, g, setup, &r) == 0;
    }
    if (have) {
        db_puts(&out, "-- schema and data before the statement (as SQLite holds them):\n");
        repro_print(&r, &out);
    }
    db_puts(&out, "-- the statement:\n");
    stmt_text(&out, s, tname);
    print_outcome(&out, o);
    fputs(db_str(&out), stdout);
    fflush(stdout);
    db_clear(&out);
    if (have && op->minimize) {
        outcome mo;
        int tries = 1;
        int res = repro_try(p, &r, s, tname, &mo);
        if (res != 1) {
            db_printf(&out, "-- (the mismatch does not reproduce from this snapshot alone: it "
                            "depends on the history; replay the seed)\n");
        } else {
            outcome_free(&mo);
            minimize(p, &r, s, tname, &tries);
            int kept = 0;
            for (int i = 0; i < r.rows.n; i++)
                kept += r.keep_row[i] && r.keep_tab[r.row_table[i]];
            repro_try(p, &r, s, tname, &mo);
            db_printf(&out, "-- minimized reproduction (%d of %d rows kept, %d tries):\n", kept,
                      r.rows.n, tries);
            repro_print(&r, &out);
            stmt_text(&out, s, tname);
            db_printf(&out, "-- reason: %s\n", db_str(&mo.why));
            print_outcome(&out, &mo);
        }
        outcome_free(&mo);
    }
    if (have)
        repro_free(&r);
    db_puts(&out, "=== END MISMATCH\n");
    fputs(db_str(&out), stdout);
    fflush(stdout);
    db_free(&out);
}

/* ---- self-test ------------------------------------------------------------------------------
 * The tester must be able to fail. --self-test checks that the comparator tells equal answers
 * from different ones, that a real dialect difference (ORDER BY without NULLS FIRST/LAST: we
 * sort NULLs last, SQLite first) is reported as a mismatch, and that the minimizer cuts its
 * table down to the two rows that show it. */

static int expect(int cond, const char *what, int *fails)
{
    if (!cond) {
        printf("self-test FAILED: %s\n", what);
        (*fails)++;
    }
    return cond;
}

static dresult one_value(dval v)
{
    dresult r = {.ok = 1, .ncols = 1, .nrows = 1};
    r.v = malloc(sizeof *r.v);
    if (!r.v)
        abort();
    r.v[0] = v;
    if (v.t == DV_TEXT)
        r.v[0].s = db_strdup(v.s);
    return r;
}

static int values_agree(dval a, dval b)
{
    dresult x = one_value(a), y = one_value(b);
    cmp_spec sp = {0};
    dbuf why = {0};
    int same = cmp_results(&x, &y, &sp, &why) == 0;
    db_free(&why);
    dres_free(&x);
    dres_free(&y);
    return same;
}

static int self_test(const opts *op)
{
    int fails = 0;
    dval i2 = {.t = DV_INT, .i = 2}, r2 = {.t = DV_REAL, .r = 2.0}, i3 = {.t = DV_INT, .i = 3};
    dval rclose = {.t = DV_REAL, .r = 2.0 * (1 + 1e-12)}, rfar = {.t = DV_REAL, .r = 2.001};
    dval null = {.t = DV_NULL}, zero = {.t = DV_INT, .i = 0};
    dval ta = {.t = DV_TEXT, .s = "a", .n = 1}, tA = {.t = DV_TEXT, .s = "A", .n = 1};
    expect(values_agree(i2, r2), "INTEGER 2 equals REAL 2.0", &fails);
    expect(values_agree(r2, rclose), "reals within 1e-9 are equal", &fails);
    expect(!values_agree(r2, rfar), "2.0 differs from 2.001", &fails);
    expect(!values_agree(i2, i3), "2 differs from 3", &fails);
    expect(!values_agree(null, zero), "NULL differs from 0", &fails);
    expect(!values_agree(ta, tA), "'a' differs from 'A'", &fails);
    expect(!values_agree(ta, null), "'a' differs from NULL", &fails);

    eng_pair p;
    if (eng_open(&p, op->tmp))
        return 2;
    /* answers: same multiset in another order, a different value, a one-sided error */
    gstmt s = {.kind = GS_QUERY};
    outcome o;
    db_puts(&s.sql, "SELECT 1 UNION ALL SELECT 2");
    expect(run_pair(&p, &s, NULL, &o) == 0, "SELECT 1 UNION ALL SELECT 2 agrees", &fails);
    outcome_free(&o);
    dresult a, b;
    eng_run(&p, ENG_NQ, "SELECT 1, 'x' UNION ALL SELECT 2, 'y'", &a);
    eng_run(&p, ENG_LITE, "SELECT 2, 'y' UNION ALL SELECT 1, 'x'", &b);
    cmp_spec unordered = {0}, ordered = {.total_order = 1};
    dbuf why = {0};
    expect(cmp_results(&a, &b, &unordered, &why) == 0, "multisets in another order agree", &fails);
    expect(cmp_results(&a, &b, &ordered, &why) == 1, "sequences in another order differ", &fails);
    cmp_spec partial = {.nkeys = 1, .keys = {{.col = 0, .desc = 1}}};
    db_clear(&why);
    expect(cmp_results(&a, &a, &partial, &why) == 1, "a partial ORDER BY is checked", &fails);
    dres_free(&a);
    dres_free(&b);
    eng_run(&p, ENG_NQ, "SELECT 1 / 0", &a);
    eng_run(&p, ENG_LITE, "SELECT 1 / 0", &b);
    db_clear(&why);
    expect(!a.ok && b.ok && cmp_results(&a, &b, &unordered, &why) == 1,
           "division by zero fails on one side only, and that is a mismatch", &fails);
    dres_free(&a);
    dres_free(&b);
    db_free(&why);

    /* the whole pipeline on a real dialect difference: NULL placement */
    repro r = {0};
    gscript_add(&r.tables, "CREATE TABLE t0 (c0 INTEGER, c1 TEXT)");
    gscript_add(&r.indexes, "CREATE INDEX t0_i0 ON t0 (c1)");
    int nrows = 24;
    r.row_table = calloc((size_t)nrows, sizeof *r.row_table);
    r.keep_row = malloc((size_t)nrows * sizeof *r.keep_row);
    r.keep_idx = malloc(sizeof *r.keep_idx);
    r.keep_tab = malloc(sizeof *r.keep_tab);
    for (int i = 0; i < nrows; i++) {
        char sql[96];
        if (i == 17)
            snprintf(sql, sizeof sql, "INSERT INTO t0 VALUES (NULL, 'n')");
        else
            snprintf(sql, sizeof sql, "INSERT INTO t0 VALUES (%d, 'v%d')", i * 7 % 11, i);
        gscript_add(&r.rows, sql);
        r.keep_row[i] = 1;
    }
    r.keep_idx[0] = r.keep_tab[0] = 1;
    db_clear(&s.sql);
    db_puts(&s.sql, "SELECT c0 FROM t0 ORDER BY 1");
    s.spec.total_order = 1;
    int res = repro_try(&p, &r, &s, NULL, &o);
    outcome_free(&o);
    if (expect(res == 1, "ORDER BY without NULLS FIRST/LAST differs", &fails)) {
        int tries = 1;
        minimize(&p, &r, &s, NULL, &tries);
        int kept = 0, null_kept = 0;
        for (int i = 0; i < nrows; i++) {
            kept += r.keep_row[i];
            null_kept |= r.keep_row[i] && i == 17;
        }
        char what[128];
        snprintf(what, sizeof what, "the minimizer keeps 2 rows, one of them the NULL (kept %d)",
                 kept);
        expect(kept == 2 && null_kept, what, &fails);
        expect(r.keep_idx[0] == 0, "the minimizer drops the index that does not matter", &fails);
    }
    repro_free(&r);
    db_free(&s.sql);
    eng_close(&p);
    printf("difftest self-test: %s\n", fails ? "FAILED" : "ok");
    return fails ? 1 : 0;
}

/* ---- one seed ------------------------------------------------------------------------------ */

static int64_t lite_count(eng_pair *p, const char *table)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    dresult d;
    int64_t n = 0;
    if (eng_run(p, ENG_LITE, sql, &d) && d.nrows == 1)
        n = dres_at(&d, 0, 0)->i;
    dres_free(&d);
    return n;
}

/* Run one seed; 0 fine, 1 mismatch or generator error, 2 could not run. */
static int run_seed(const opts *op, uint64_t seed, long queries, stats *st)
{
    eng_pair p;
    if (eng_open(&p, op->tmp))
        return 2;
    gen g;
    gen_init(&g, seed, &op->gc);
    gscript setup = {0};
    gen_setup(&g, &setup);
    int status = 0;
    st->seeds++;
    for (int i = 0; i < setup.n && !status; i++) {
        dresult a, b;
        eng_run(&p, ENG_NQ, setup.v[i], &a);
        eng_run(&p, ENG_LITE, setup.v[i], &b);
        if (op->verbose > 1)
            printf("[%" PRIu64 " setup] %s\n", seed, setup.v[i]);
        if (!a.ok || !b.ok) {
            printf("\n=== SETUP FAILED: seed %" PRIu64 ", statement %d\n%s;\n-- nqdb: %s\n-- SQLite: %s\n",
                   seed, i + 1, setup.v[i], a.ok ? "ok" : a.err, b.ok ? "ok" : b.err);
            status = 1;
            st->mismatches++;
        }
        dres_free(&a);
        dres_free(&b);
    }
    gstmt s = {0};
    for (long n = 1; n <= queries && !status; n++) {
        gen_next(&g, &s);
        if (op->verbose > 1) { /* flushed: when the engine crashes, the last line is the culprit */
            printf("[%" PRIu64 " #%ld] %s\n", seed, n, db_str(&s.sql));
            fflush(stdout);
        }
        const char *tname = s.kind == GS_DML ? table_name(&g, s.table) : NULL;
        if (s.kind == GS_DML && eng_lite_exec(&p, "SAVEPOINT pre")) {
            status = 2;
            break;
        }
        repro pre;
        int have_pre = s.kind == GS_TXN && repro_snapshot(&p, &g, &setup, &pre) == 0;
        outcome o;
        int bad = run_pair(&p, &s, tname, &o);
        st->queries++;
        if (s.kind == GS_TXN)
            st->txn++;
        if (s.kind == GS_DML) {
            st->dml++;
            if (!o.r[0].ok && !o.r[1].ok)
                st->dml_failed_both++;
        }
        st->rows += (long)o.r[ENG_NQ].nrows;
        if (bad) {
            st->mismatches++;
            report(&p, op, &g, &setup, seed, n, &s, &o, have_pre ? &pre : NULL);
            status = 1;
        } else if (s.kind == GS_QUERY && !o.r[0].ok && !o.r[1].ok) {
            st->gen_errors++;
            printf("\n=== GENERATOR ERROR: seed %" PRIu64 ", statement %ld: both engines reject\n"
                   "%s;\n-- nqdb: %s\n-- SQLite: %s\n",
                   seed, n, db_str(&s.sql), o.r[0].err, o.r[1].err);
            status = 1;
        }
        outcome_free(&o);
        if (have_pre)
            repro_free(&pre); /* (report took it over on a mismatch: then this is a no-op) */
        if (s.kind == GS_DML && !bad) {
            eng_lite_exec(&p, "RELEASE pre");
            gen_set_rows(&g, s.table, lite_count(&p, tname));
        }
        if (s.kind == GS_TXN && !bad)
            for (int t = 0; t < g.ntables; t++)
                gen_set_rows(&g, t, lite_count(&p, table_name(&g, t)));
    }
    if (op->dump && !status) { /* the state after the run, as a script (SQLite's rows) */
        repro r;
        if (repro_snapshot(&p, &g, &setup, &r) == 0) {
            dbuf out = {0};
            db_printf(&out, "-- seed %" PRIu64 " after %ld statements:\n", seed, queries);
            repro_print(&r, &out);
            fputs(db_str(&out), stdout);
            db_free(&out);
            repro_free(&r);
        }
    }
    db_free(&s.sql);
    gscript_free(&setup);
    eng_close(&p);
    if (op->verbose)
        printf("seed %" PRIu64 ": %s\n", seed, status ? "FAILED" : "ok");
    return status;
}

/* ---- command line -------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: difftest [--seed N | --seeds A,B,C-D] [--queries M] [--time SECONDS]\n"
            "                [--verbose] [--max-rows R] [--known-bugs] [--unsupported] [--no-minimize]\n"
            "                [--dump] [--tmp DIR]\n"
            "  Runs random schemas, data and statements on NeuroQuantumDB and SQLite and\n"
            "  compares the answers (docs/testing.md, \"Differential testing\").\n"
            "  --seed N        one seed (default 1); --seeds: a list, with ranges\n"
            "  --queries M     statements per seed (default 200)\n"
            "  --time S        keep going with seeds N, N+1, ... until S seconds have passed\n"
            "  --verbose       one line per seed; twice: every statement\n"
            "  --max-rows R    initial rows per table at most (default 24)\n"
            "  --known-bugs    also generate the constructs of open KNOWN_BUG switches\n"
            "  --unsupported   also generate what QSQL does not support yet\n"
            "  --no-minimize   report mismatches without the minimized reproduction\n"
            "  --dump          print the schema and data after the run as a script\n"
            "  --self-test     check that the comparator and the minimizer can fail\n");
}

static int parse_seeds(opts *op, const char *s)
{
    char *end;
    while (*s) {
        errno = 0;
        unsigned long long a = strtoull(s, &end, 10), b = a;
        if (end == s || errno)
            return -1;
        s = end;
        if (*s == '-') {
            b = strtoull(s + 1, &end, 10);
            if (end == s + 1 || b < a)
                return -1;
            s = end;
        }
        for (unsigned long long x = a; x <= b; x++) {
            if (op->nseeds == (int)(sizeof op->seeds / sizeof op->seeds[0]))
                return -1;
            op->seeds[op->nseeds++] = x;
        }
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    opts op = {.queries = 200, .minimize = 1};
    gen_config_default(&op.gc);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--seed") && v) {
            op.nseeds = 0;
            if (parse_seeds(&op, v) || op.nseeds != 1)
                goto bad;
            i++;
        } else if (!strcmp(a, "--seeds") && v) {
            op.nseeds = 0;
            if (parse_seeds(&op, v))
                goto bad;
            i++;
        } else if (!strcmp(a, "--queries") && v) {
            op.queries = atol(v);
            i++;
        } else if (!strcmp(a, "--time") && v) {
            op.seconds = atof(v);
            i++;
        } else if (!strcmp(a, "--max-rows") && v) {
            op.gc.max_rows = atoi(v);
            i++;
        } else if (!strcmp(a, "--tmp") && v) {
            op.tmp = v;
            i++;
        } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            op.verbose++;
        } else if (!strcmp(a, "-vv")) {
            op.verbose += 2;
        } else if (!strcmp(a, "--known-bugs")) {
            op.gc.known_bugs = 1;
        } else if (!strcmp(a, "--dump")) {
            op.dump = 1;
        } else if (!strcmp(a, "--self-test")) {
            op.self_test = 1;
        } else if (!strcmp(a, "--unsupported")) {
            op.gc.unsupported = 1;
        } else if (!strcmp(a, "--no-minimize")) {
            op.minimize = 0;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else {
            goto bad;
        }
    }
    if (op.nseeds == 0)
        op.seeds[op.nseeds++] = 1;
    if (op.queries < 0 || op.gc.max_rows < 1)
        goto bad;

    if (op.self_test)
        return self_test(&op);
    stats st = {0};
    double t0 = now();
    int failed = 0, trouble = 0;
    uint64_t next = op.seeds[0];
    for (int i = 0;; i++) {
        uint64_t seed;
        if (op.seconds > 0) {
            if (i > 0 && now() - t0 >= op.seconds)
                break;
            seed = i < op.nseeds ? op.seeds[i] : ++next;
            if (i < op.nseeds)
                next = seed;
        } else {
            if (i >= op.nseeds)
                break;
            seed = op.seeds[i];
        }
        int rc = run_seed(&op, seed, op.queries, &st);
        if (rc == 1)
            failed++;
        else if (rc == 2)
            trouble++;
    }
    printf("difftest: %ld seeds, %ld statements (%ld changes, %ld failed on both sides; %ld "
           "transactions), %ld rows compared, %ld mismatches, %ld generator errors, %.1f s\n",
           st.seeds, st.queries, st.dml, st.dml_failed_both, st.txn, st.rows, st.mismatches,
           st.gen_errors, now() - t0);
    if (trouble)
        return 2;
    return failed ? 1 : 0;
bad:
    usage(stderr);
    return 2;
}
