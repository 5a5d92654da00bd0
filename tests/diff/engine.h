/*
 * engine.h — the two engines under comparison, behind one interface, and their results
 * normalized to one value model.
 *
 * A "pair" is one NeuroQuantumDB database (a file in a private temporary directory, opened
 * with NQ_SYNC_OFF) and one SQLite in-memory database that start empty and receive the same
 * statements. eng_run() runs one statement on one side and collects everything the comparator
 * needs: success or the error message, the rows, the change count.
 *
 * Normalization (so that equal answers compare equal across the dialects):
 *   - BOOLEAN (ours) becomes INTEGER 0/1, which is what SQLite returns for comparisons;
 *   - INTEGER and REAL stay distinct here; the comparator treats equal numbers as equal;
 *   - TEXT and BLOB keep their bytes; every other type of ours (dates, vectors: never
 *     generated) is kept as its text form.
 */
#ifndef NQ_DIFF_ENGINE_H
#define NQ_DIFF_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "nqdb.h"

typedef enum { DV_NULL, DV_INT, DV_REAL, DV_TEXT } dv_type;

typedef struct dval {
    dv_type t;
    int64_t i;
    double r;
    char *s; /* DV_TEXT: malloc'd, NUL-terminated (n bytes before the NUL) */
    size_t n;
} dval;

typedef struct dresult {
    int ok;         /* 1 the statement succeeded */
    char *err;      /* the error message when !ok (malloc'd) */
    int ncols;
    size_t nrows;
    dval *v;        /* nrows * ncols values, row-major */
    int64_t changes; /* rows changed by INSERT/UPDATE/DELETE */
} dresult;

typedef enum { ENG_NQ = 0, ENG_LITE = 1 } eng_side;

typedef struct eng_pair {
    nq_db *nq;
    sqlite3 *lite;
    char dir[512];   /* the temporary directory of the nqdb file */
    char path[600];
} eng_pair;

/* Open a fresh pair (both databases empty). 0 or -1 with a message on stderr. The directory is
 * made under $TMPDIR (or /tmp) unless base is given. */
int eng_open(eng_pair *p, const char *base);
/* Close both and remove the nqdb files and directory. */
void eng_close(eng_pair *p);
/* Close and reopen both databases empty, keeping the directory. 0 or -1. */
int eng_reset(eng_pair *p);

/* Run one statement on one side; *r is filled (free with dres_free). Returns r->ok. */
int eng_run(eng_pair *p, eng_side side, const char *sql, dresult *r);
/* Run a statement on SQLite only and ignore rows; -1 with the message on stderr on error. */
int eng_lite_exec(eng_pair *p, const char *sql);

/* The same, silently: 0 or -1. */
int eng_lite_try(eng_pair *p, const char *sql);

void dres_free(dresult *r);
const dval *dres_at(const dresult *r, size_t row, int col);

#endif
