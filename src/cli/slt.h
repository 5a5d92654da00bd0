/*
 * slt.h — the sqllogictest runner behind `nqdb slt FILE...`: a script reader (slt_parse.c),
 * the reference rendering, sorting and hashing of results (slt_result.c), and the driver that
 * runs scripts on the engine and reports (slt.c).
 *
 * The format is sqllogictest's (../shared/data/sqllogictest/about.wiki), read the way the
 * reference program reads it: records separated by blank lines; '#' lines are comments
 * anywhere; skipif/onlyif prefixes name engines, and ours is "nqdb" — so a record marked
 * `skipif <other>` runs here and one marked `onlyif <other>` does not. One extension: a
 * query's expected block may also give one row per line, its values joined by single spaces
 * (the form sqllogictest-rs uses); which form a block uses is told by its number of lines.
 */
#ifndef NQ_CLI_SLT_H
#define NQ_CLI_SLT_H

#include <stddef.h>
#include <stdint.h>

#define SLT_ENGINE "nqdb"

typedef enum slt_kind {
    SLT_STATEMENT_OK,
    SLT_STATEMENT_ERROR,
    SLT_QUERY,
    SLT_HASH_THRESHOLD,
    SLT_HALT,
    SLT_BAD, /* a record the reader could not understand; error says why */
} slt_kind;

typedef enum slt_sort { SLT_NOSORT, SLT_ROWSORT, SLT_VALUESORT } slt_sort;

#define SLT_SKIP_SKIPIF 1 /* "skipif nqdb" */
#define SLT_SKIP_ONLYIF 2 /* "onlyif <another engine>" */

typedef struct slt_record {
    slt_kind kind;
    unsigned line;      /* script line of the record's command (statement/query/...) */
    int skip;           /* why nqdb must not run it: 0 run, SLT_SKIP_SKIPIF, SLT_SKIP_ONLYIF */
    char *sql;          /* statement or query text, lines joined by '\n' (malloc'd) */
    char *types;        /* query: one letter per column, I R or T (malloc'd) */
    slt_sort sort;
    char *label;        /* query label or NULL (malloc'd) */
    char **expected;    /* query: the lines after "----" (malloc'd each) */
    int nexpected;
    long threshold;     /* hash-threshold value */
    char error[160];    /* SLT_BAD: what is wrong */
    char *expect_msg;   /* `statement error <text>`: the error message must contain text
                           (an extension of the format; then "not supported yet" counts too) */
} slt_record;

/* A script in memory, read record by record. */
typedef struct slt_reader {
    char *buf;          /* the whole script, NUL-terminated (owned) */
    size_t len, pos;
    unsigned lineno;    /* lines consumed so far */
} slt_reader;

/* Read the file at path. 0, or -1 with a message in err. */
int slt_reader_open(slt_reader *r, const char *path, char *err, size_t errlen);
/* A reader over a copy of text (for tests). 0, or -1 when out of memory. */
int slt_reader_mem(slt_reader *r, const char *text, size_t len);
void slt_reader_close(slt_reader *r);
/* The next record: 1 (rec filled; free it with slt_record_free), 0 at the end of the script,
 * -1 out of memory. A malformed record is returned as SLT_BAD, not as an error, so the run
 * can report it and go on. */
int slt_next(slt_reader *r, slt_record *rec);
void slt_record_free(slt_record *rec);

/* ---- results (slt_result.c) -------------------------------------------------------------- */

/* One result value as the engine gave it; type is NQ_TYPE_*. text is nq_column_text's. */
typedef struct slt_value {
    int type;
    const char *text;
    int64_t i;          /* nq_column_int64 (used for non-text values) */
    double r;           /* nq_column_double (used for non-text values) */
} slt_value;

/* Render v under type letter ('I', 'R', 'T') as the reference sqllogictest does:
 * NULL -> "NULL"; I -> "%lld" of the integer value (a REAL truncated toward zero, a text's
 * leading integer as sqlite3_column_int64 reads it, 0 if none); R -> "%.3f" (slt_real3);
 * T -> the text,
 * "(empty)" when empty, bytes outside printable ASCII replaced by '@'. malloc'd, NULL when
 * out of memory. */
char *slt_render(char letter, const slt_value *v);
/* "%.3f" as the corpus's SQLite wrote it: rounded to at most 16 significant digits, zeros
 * after them; -0.0 as 0.000; Inf, -Inf, NaN. malloc'd, NULL when out of memory. */
char *slt_real3(double r);
/* SQLite's reading of a text as an integer (sqlite3Atoi64): leading spaces, sign, digits;
 * stops at the first other character; clamps on overflow; 0 when there are no digits. */
int64_t slt_text_int(const char *s);
/* SQLite's reading of a text as a real: the longest numeric prefix, 0.0 when there is none. */
double slt_text_real(const char *s);

/* Sort values (n = nrows * ncols, row-major) in place: rows by strcmp of each value in turn
 * (rowsort), or every value on its own (valuesort). */
void slt_sort_values(char **values, size_t nrows, int ncols, slt_sort sort);
/* "N values hashing to <md5 hex>" over the values, each followed by '\n'. out >= 80 bytes.
 * 0, or -1 when the digest failed. */
int slt_hash(char *const *values, size_t n, char *out, size_t outlen);

/* Compare a query's values with the record's expected block. Returns 1 if they match. The
 * block may be the values one per line, the rows one per line (values joined by ' '), or one
 * line "N values hashing to H". Trailing blanks are ignored on both sides. */
int slt_match(const slt_record *rec, char *const *values, size_t nrows, int ncols);
/* The label hash of the record's expected block, into out (>= 80 bytes): the block's own
 * "N values hashing to H" line, or the hash of its values. 0, or -1 when it cannot say
 * (a rows-per-line block of a multi-column query). */
int slt_expected_hash(const slt_record *rec, char *out, size_t outlen);

/* ---- the command (slt.c) ----------------------------------------------------------------- */
int cmd_slt(int argc, char **argv);

#endif
