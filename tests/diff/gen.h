/*
 * gen.h — the seeded generator of schemas, data and statements for differential testing.
 *
 * One generator, one seed: gen_setup() makes 2-4 tables (INTEGER/REAL/TEXT columns, an
 * optional INTEGER PRIMARY KEY, NOT NULL here and there, NULLs in the data) with their rows
 * and indexes (single and multi-column, ASC/DESC, UNIQUE where the data allows), and
 * gen_next() makes one statement at a time: mostly queries, some INSERT/UPDATE/DELETE. The
 * same seed and configuration always give the same text, so a failure is reproduced by
 * running the seed again (difftest --seed N --queries M).
 *
 * Everything generated stays inside the subset where QSQL (PostgreSQL semantics) and SQLite
 * agree; the table of avoided differences is in gen.c and docs/testing.md. The generator is
 * type-directed: every expression is built for a wanted type (INTEGER, REAL, TEXT, BOOLEAN),
 * so comparisons never mix text with numbers, WHERE/ON/HAVING are always boolean, arithmetic
 * is only on numbers and string functions only on text.
 *
 * KNOWN_BUG switches (gen.c) keep constructs that the engine is known to get wrong (each one
 * described in /work/diff-bugs.md) out of the mix until they are fixed; gen_config
 * .known_bugs = 1 (difftest --known-bugs) generates them anyway.
 */
#ifndef NQ_DIFF_GEN_H
#define NQ_DIFF_GEN_H

#include <stdint.h>

#include "base/rand.h"
#include "compare.h"
#include "dbuf.h"

#define GEN_MAX_TABLES 4
#define GEN_MAX_VIEWS 2
#define GEN_MAX_COLS 6
/* relations: base tables, then views, then those a statement defines (CTEs, derived tables) */
#define GEN_MAX_RELS 32

typedef enum { GT_INT, GT_REAL, GT_TEXT, GT_BOOL, GT_NTYPES } gtype;

typedef struct gcol {
    char name[8];
    gtype type;
    int pk;        /* INTEGER PRIMARY KEY */
    int notnull;
    int nullpct;   /* share of NULLs in generated data */
    int unique;    /* part of a UNIQUE index or the key: UPDATE sets it only to constants */
    int lead_desc; /* the first column of a DESC index (SQLite bug, see gen.c) */
    int indexed;   /* in some index: TEXT values written to it are kept short */
} gcol;

typedef enum { REL_TABLE, REL_VIEW, REL_CTE, REL_DERIVED } grel_kind;

typedef struct gtable {
    char name[8];
    grel_kind kind;
    int ncols;
    gcol col[GEN_MAX_COLS];
    int64_t nrows; /* base tables: kept current by the driver (gen_set_rows); others: a guess */
    double cost;   /* views, CTEs, derived tables: rows their body reads (0: base table) */
    int uniq[4][3], nuniq, uniqn[4]; /* column sets of the key and the UNIQUE indexes */
} gtable;

typedef struct gen_config {
    int max_rows;     /* initial rows per table: 0..max_rows (default 24) */
    int dml_pct;      /* share of data-changing statements, percent (default 15) */
    int known_bugs;   /* 1: generate constructs behind KNOWN_BUG switches too */
    int unsupported;  /* 1: generate what QSQL does not support yet (gen.c, UNSUPPORTED) */
} gen_config;

/* GS_QUERY: one query. GS_DML: one INSERT/UPDATE/DELETE (maybe with RETURNING), after which
 * the driver compares the table it changed. GS_TXN: several statements, each followed by
 * ";\n" in sql — BEGIN, changes, SAVEPOINT/ROLLBACK TO/RELEASE, COMMIT or ROLLBACK — each
 * compared as it runs, then every table. */
typedef enum { GS_QUERY, GS_DML, GS_TXN } gstmt_kind;

typedef struct gstmt {
    gstmt_kind kind;
    dbuf sql;
    cmp_spec spec;  /* how to compare the answers (GS_TXN: of each statement) */
    int table;      /* GS_DML: the table it changes */
} gstmt;

/* A list of SQL statements (each malloc'd). */
typedef struct gscript {
    char **v;
    int n, cap;
} gscript;

typedef struct gen {
    nq_rng rng;
    gen_config cfg;
    int ntables;    /* base tables t[0 .. ntables) */
    int nviews;     /* views t[ntables .. ntables + nviews) */
    int nrel;       /* and the current statement's CTEs and derived tables up to nrel */
    gtable t[GEN_MAX_RELS];
    int nest;       /* nesting of derived tables and CTE bodies being generated */
    int in_view;    /* generating a view's body */
    double from_est, core_est, body_est; /* estimated rows of the last FROM, core, query */
    double body_cost;                    /* and the rows the last query's FROMs read */
    /* per statement */
    int alias_seq;
    int excl_table; /* a DML statement's target: its subqueries read other tables */
} gen;

void gen_config_default(gen_config *c);
void gen_init(gen *g, uint64_t seed, const gen_config *cfg);
/* Append the schema and data statements to *out. */
void gen_setup(gen *g, gscript *out);
/* The next statement (s->sql is cleared first; free it with db_free). */
void gen_next(gen *g, gstmt *s);
/* Tell the generator how many rows a table holds now (after a data change). */
void gen_set_rows(gen *g, int table, int64_t rows);

void gscript_add(gscript *s, const char *sql);
void gscript_free(gscript *s);

#endif
