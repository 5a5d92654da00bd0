/*
 * neuromatch.h — NEUROMATCH: the upstream similarity of a value to a text pattern, and the
 * learned term–row associations that relevance feedback strengthens (docs/qsql.md,
 * "NEUROMATCH"; docs/neuromorphic.md, "Training through the API and in QSQL").
 *
 * Similarity (upstream-qsql.md §8.2, exactly; nm_similarity):
 *   1. lower-case value and pattern; if the value contains the pattern, s = 1;
 *   2. split both on whitespace; if either has no word, s = 0;
 *   3. for each pattern word pw: best = 1 if a value word contains pw or is contained in it,
 *      else the maximum over value words vw of 1 - lev(vw, pw) / max(len vw, len pw)
 *      (Levenshtein distance in characters, lengths in bytes); pw is a match if best > 0.7;
 *   4. s = 0.7 matches / |pw| + 0.3 Σ best / |pw|, and s = 0 when that is below 0.3.
 * Lower-casing is per code point (fn_cp_lower), white space is ASCII's (space, \t \n \v \f
 * \r). Upstream's second, inconsistent variant of the formula (0.6/0.4, no floor, used on its
 * WHERE path) is not reproduced: every NEUROMATCH form here uses the one above.
 *
 * Learned associations. The distinct words of a pattern are its terms. For each base table,
 * term and row (rowid) the store keeps a weight w in [0, 1]; a row's association with a
 * pattern is a = mean over the pattern's terms of w (0 for a term never reinforced), and the
 * score NEUROMATCH ranks by is
 *
 *     score = s + (1 - s) a
 *
 * so a = 0 (nothing learned) gives upstream's s exactly, and learning only ever raises a
 * score, never above 1. Relevance feedback (HEBBIAN_STRENGTHENING) takes the rows a statement
 * returned as confirmed: for each of them (postsynaptic activity y = its score) and each term
 * of the pattern (presynaptic activity x = 1) it applies the Hebbian rule with decay of the
 * neuromorphic library, dw = eta x y - lambda w with lambda = eta x y (neuro_hebb_dw): the
 * decay acts while the connection is active, which bounds w by 1, so
 *
 *     w <- w + eta y (1 - w).
 *
 * Time is a logical clock of feedback events (the store's sequence): every feedback statement
 * is one tick; it records the tick on each term it presented (the term's last "spike"), on
 * each row it confirmed (the row's last spike) and on each association it strengthened.
 * ADAPT WEIGHTS ... RULE STDP pairs, for each association, the term's last spike with the
 * row's last spike (nm_adapt_stdp).
 *
 * Storage: the tree "neuro:qsql" (created by the first feedback or LEARN; a database without
 * it reads as "nothing learned", so old databases open unchanged). Keys start with a tag byte:
 *   'A' table_id(8) len(2) term rowid(8) -> w(f64) tick(u64) count(u64) adapt_tick(u64)
 *   'T' table_id(8) len(2) term          -> tick(u64)      the term's last presentation
 *   'R' table_id(8) rowid(8)             -> tick(u64)      the row's last confirmation
 *   'P' name                             -> a stored pattern memory (exec_learn.c)
 * integers big-endian in keys (rowid with its sign bit flipped, so keys sort by number), values
 * little-endian. Writes go through tw_put (the undo log of explicit transactions).
 */
#ifndef NQ_SQL_NEUROMATCH_H
#define NQ_SQL_NEUROMATCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "sql/session.h"
#include "sql/value.h"

#define NM_TREE "neuro:qsql"
#define NM_TERM_MAX 256            /* longest term kept in the store (bytes); longer: cut */
#define NM_DEFAULT_THRESHOLD 0.5   /* upstream's clause weight: kept when score >= 0.5 */
#define NM_DEFAULT_RATE 0.1        /* LEARNING_RATE of feedback when not given */

/* Reusable buffers for scoring many values against one pattern (no allocation per row once
 * they have grown). Zero-initialise; nm_scratch_free releases. */
typedef struct nm_scratch {
    char *low;
    size_t lowcap;
    uint32_t *cp;
    size_t cpcap;
    size_t *dp;
    size_t dpcap;
} nm_scratch;
void nm_scratch_free(nm_scratch *sc);

typedef struct nm_word {
    size_t off, len;       /* bytes in the lower-cased text */
    size_t cpoff, ncp;     /* code points (pattern words only) */
} nm_word;

/* A pattern prepared once: the lower-cased text, its words, its distinct terms. */
typedef struct nm_pattern {
    char *low;
    size_t n;
    nm_word *words;
    size_t nwords;
    uint32_t *cps;         /* code points of all words */
    size_t *terms;         /* indexes into words of the first occurrence of each term */
    size_t nterms;
} nm_pattern;

int nm_pattern_init(nm_pattern *p, const char *s, size_t n, nq_err *e);
void nm_pattern_free(nm_pattern *p);
/* Term i of p (lower-case bytes, not NUL-terminated). */
const char *nm_term(const nm_pattern *p, size_t i, size_t *len);

/* Upstream similarity of value v to pattern p, in [0, 1]. 0 or NQ_ENOMEM. */
int nm_score_text(const nm_pattern *p, const char *v, size_t vn, nm_scratch *sc, double *out,
                  nq_err *e);
/* The same with a one-off pattern (the NEUROMATCH() function). */
int nm_similarity(const char *v, size_t vn, const char *pat, size_t pn, double *out, nq_err *e);
/* A value's text for scoring: NULL gives *has = 0 (no score); TEXT is borrowed; anything else
 * is converted as CAST(v AS TEXT) (into hold, which the caller sqlv_clears). */
int nm_value_text(const sqlv *v, sqlv *hold, const char **p, size_t *n, int *has, nq_err *e);

/* ---- learned associations ---- */
/* rowid -> sum of the pattern's term weights, for one table (NULL: nothing learned). */
typedef struct nm_assoc_map nm_assoc_map;
int nm_assoc_load(sql_session *s, int64_t table_id, const nm_pattern *p, nm_assoc_map **out,
                  nq_err *e);
void nm_assoc_free(nm_assoc_map *m);
/* a for a row: mean weight over the pattern's terms (0 when m is NULL or the row has none). */
double nm_assoc_get(const nm_assoc_map *m, int64_t rowid);
size_t nm_assoc_count(const nm_assoc_map *m); /* associations loaded */
/* The combined score s + (1 - s) a. */
static inline double nm_combine(double s, double a) { return s + (1.0 - s) * a; }

/* Relevance feedback: rows[i] (rowid, score) were returned for pattern p over the table. */
typedef struct nm_hit {
    int64_t rowid;
    double score;
} nm_hit;
typedef struct nm_feedback_stats {
    uint64_t tick;         /* the clock value of this feedback event */
    size_t rows, terms, strengthened;
} nm_feedback_stats;
int nm_feedback(sql_session *s, int64_t table_id, const nm_pattern *p, double eta,
                const nm_hit *hits, size_t n, nm_feedback_stats *st, nq_err *e);

/* ADAPT WEIGHTS [ON table] RULE STDP: table_id < 0 for every table. tau in ticks. Associations
 * of tables that no longer exist (live_ids, sorted, nlive) are removed. */
typedef struct nm_adapt_stats {
    uint64_t tick;
    size_t associations, potentiated, depressed, unchanged, pruned, orphaned;
    double mean_before, mean_after;
} nm_adapt_stats;
int nm_adapt_stdp(sql_session *s, int64_t table_id, const int64_t *live_ids, size_t nlive,
                  double eta, double tau, nm_adapt_stats *st, nq_err *e);

/* The store's tree for writing (created on first use) or reading (*t NULL when absent). */
int nm_store_open(sql_session *s, int write, nq_tree **t, nq_err *e);
/* Encoding helpers shared with exec_learn.c. */
void nm_put_u64le(uint8_t *p, uint64_t v);
uint64_t nm_get_u64le(const uint8_t *p);

#endif
