/*
 * h_quantum.c — POST /api/v1/quantum/search (reference 1.15): a similarity search over a
 * table's NEURAL_VECTOR column whose scores are true cosine similarities and whose
 * probabilities are read from a simulated quantum state — nothing is made up.
 *
 * How a request runs:
 *   1. The body is validated (every field typed and bounded; unknown fields are 400).
 *   2. On a pooled engine connection, DESCRIBE finds the vector column (the only
 *      NEURAL_VECTOR column, or the one named by `vector_column`), then one `SELECT *` scans
 *      the table under the request deadline. Every row with a vector gets its cosine
 *      similarity s_i to query_vector (double arithmetic over the stored float32 values); rows
 *      with s_i >= similarity_threshold are matches, and the best max_results of them (ties:
 *      scan order) are kept as JSON rows in a bounded heap, so memory is O(max_results) rows
 *      plus one weight per row. A row whose vector has another dimension than the query is a
 *      400 naming it; NULL vectors and zero vectors (no direction) are skipped and counted.
 *   3. The connection goes back to the pool, and the simulation runs (h_quantum.h has the
 *      definitions): the rows with a vector are the basis states |i⟩ of n = ceil(log2 N)
 *      qubits, amplitude-encoded as |ψ⟩ ∝ Σ w_i |i⟩ with w_i = (1 + s_i)/2, prepared by the
 *      Householder reflection A (A|0⟩ = |ψ⟩); amplitude amplification (grover_amplify) with
 *      the matches as the marked states then runs floor(π/(4θ)) iterations, θ = asin(√a),
 *      a = Σ_marked w²/Σ w². A result's quantum_probability is |⟨i|state⟩|² at the end, so the
 *      results' probabilities sum to at most the success probability sin²((2k+1)θ) ≤ 1 and
 *      are proportional to w_i² among the matches (amplification keeps the shape of the
 *      marked part). Past 2^max_qubits rows the simulation is skipped and the probabilities
 *      are null, with the reason in quantum_stats.
 *   4. The optional flags run the library's solvers on stated problems (docs/quantum.md).
 *
 * The simulation is a classical computation that costs more than the scan it decorates
 * (O(N^1.5) against O(N)); quantum_stats reports both times, and no speed-up is claimed.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "h_quantum.h"
#include "query_int.h"
#include "quantum/grover.h"
#include "quantum/qubo_solve.h"
#include "rowjson.h"
#include "server.h"

#define QS_MAX_RESULTS 1000       /* max_results */
#define QS_MAX_DIM 65536          /* query_vector elements */
#define QS_DEFAULT_QUBITS 16      /* the simulation's row budget: 2^16 rows by default */
#define QS_MAX_QUBITS 20          /* ... and at most 2^20 (16 MiB of amplitudes) */

/* ---- pure helpers (h_quantum.h) ------------------------------------------------------------ */

float qsearch_vec_get(const unsigned char *b, size_t k)
{
    const unsigned char *q = b + 4 * k;
    uint32_t u = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

void qsearch_dot_norm(const float *q, const unsigned char *v, size_t dim, double *dot,
                      double *vnorm2)
{
    double d = 0, n2 = 0;
    for (size_t k = 0; k < dim; k++) {
        double x = qsearch_vec_get(v, k);
        d += (double)q[k] * x;
        n2 += x * x;
    }
    *dot = d;
    *vnorm2 = n2;
}

double qsearch_cosine(const float *a, const float *b, size_t dim)
{
    double d = 0, na = 0, nb = 0;
    for (size_t k = 0; k < dim; k++) {
        d += (double)a[k] * b[k];
        na += (double)a[k] * a[k];
        nb += (double)b[k] * b[k];
    }
    if (na == 0 || nb == 0)
        return 0;
    return d / (sqrt(na) * sqrt(nb));
}

int qsearch_prep_init(const double *w, uint64_t n, double **u)
{
    *u = NULL;
    double w2 = 0;
    for (uint64_t i = 0; i < n; i++)
        w2 += w[i] * w[i];
    if (!(w2 > 0))
        return NQ_EINVAL;
    double wn = sqrt(w2);
    /* d = |0> - psi; |d|^2 = 2 - 2 psi_0 */
    double psi0 = w[0] / wn;
    double dn2 = 2.0 - 2.0 * psi0;
    if (dn2 <= 1e-300)
        return 0; /* psi = |0>: A = I */
    double *v = malloc((size_t)n * sizeof *v);
    if (!v)
        return NQ_ENOMEM;
    double dn = sqrt(dn2);
    v[0] = (1.0 - psi0) / dn;
    for (uint64_t i = 1; i < n; i++)
        v[i] = -(w[i] / wn) / dn;
    *u = v;
    return 0;
}

int qsearch_prep_apply(statevec *sv, int inverse, void *arg)
{
    (void)inverse; /* A is a reflection: A^dg = A */
    const qsearch_prep *p = arg;
    if (!p->u)
        return 0;
    if (sv->prec != STATEVEC_F64 || p->n > sv->dim)
        return NQ_EINVAL;
    double *re = sv->re, *im = sv->im;
    double dr = 0, di = 0;
    for (uint64_t i = 0; i < p->n; i++) {
        dr += p->u[i] * re[i];
        di += p->u[i] * im[i];
    }
    dr *= 2, di *= 2;
    for (uint64_t i = 0; i < p->n; i++) {
        re[i] -= p->u[i] * dr;
        im[i] -= p->u[i] * di;
    }
    return 0;
}

int qsearch_diversity_qubo(int R, const double *s, const double *c, int k, double lambda,
                           double penalty, qubo_model *out, double *penalty_used, nq_err *err)
{
    double P = penalty > 0 ? penalty : 2.0 + lambda * (R - 1);
    qubo_builder b;
    int rc = qubo_builder_init(&b, R, err);
    if (rc)
        return rc;
    for (int i = 0; i < R; i++) {
        qubo_builder_add(&b, i, i, -s[i] + P * (1.0 - 2.0 * k));
        for (int j = i + 1; j < R; j++)
            qubo_builder_add(&b, i, j, lambda * c[(size_t)i * R + j] + 2.0 * P);
    }
    qubo_builder_add_offset(&b, P * (double)k * (double)k);
    rc = qubo_builder_build(&b, out, err);
    qubo_builder_free(&b);
    if (penalty_used)
        *penalty_used = P;
    return rc;
}

/* ---- request -------------------------------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A number field in [lo, hi]; absent leaves *out alone (0) or is an error (required). */
static int req_number(req *r, json_t *obj, const char *field, const char *path, int required,
                      double lo, double hi, double *out)
{
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return required ? req_fail(r, AE_VALIDATION, path, "is required") : 0;
    if (!json_is_number(v))
        return req_fail(r, AE_VALIDATION, path, "must be a number");
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi)) {
        char msg[120];
        snprintf(msg, sizeof msg, "must be between %g and %g", lo, hi);
        return req_fail(r, AE_VALIDATION, path, msg);
    }
    *out = d;
    return 0;
}

/* Fields a request may carry that have no effect here: recorded in data.unused_fields with
 * the reason, so a client never mistakes an accepted field for an applied one. */
static void unused(json_t *u, const char *field, const char *why)
{
    json_object_set_new(u, field, json_string(why));
}

typedef struct qs_hit {
    double score;
    uint64_t idx;        /* basis state: position among the rows with a usable vector */
    json_t *row;
    float *vec;          /* the row's vector (dim floats) */
} qs_hit;

/* a is worse than b: lower score, or the same score found later */
static int worse(const qs_hit *a, const qs_hit *b)
{
    return a->score < b->score || (a->score == b->score && a->idx > b->idx);
}

static void sift_down(qs_hit *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && worse(&h[l], &h[m]))
            m = l;
        if (l + 1 < n && worse(&h[l + 1], &h[m]))
            m = l + 1;
        if (m == i)
            return;
        qs_hit t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void sift_up(qs_hit *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!worse(&h[i], &h[p]))
            return;
        qs_hit t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static int by_rank(const void *a, const void *b)
{
    const qs_hit *x = a, *y = b;
    return worse(x, y) ? 1 : worse(y, x) ? -1 : 0;
}

typedef struct qs_req {
    const char *table, *vcol_req, *pattern;
    float *q;
    size_t dim;
    double qnorm, thr;
    uint64_t k, max_qubits;
    int use_grover, use_qubo, use_pt, use_tfim;
    json_t *grover_cfg, *qubo_cfg, *pt_cfg, *tfim_cfg;
    /* grover_config */
    uint64_t g_shots, g_max_iter, g_seed;
    double g_success;
    /* qubo_config: the formulation (shared with use_parallel_tempering) and the solver */
    uint64_t k_sel, qb_seed, qb_sweeps, qb_restarts, qb_time_ms;
    double lambda, penalty;
    int qb_solver;
    /* parallel_tempering_config */
    uint64_t pt_replicas, pt_sweeps, pt_seed, pt_restarts, pt_time_ms;
    double pt_tmin, pt_tmax;
} qs_req;

typedef struct qs_scan {
    char vcol[200];
    long declared_dim;            /* NEURAL_VECTOR(n), or -1 */
    uint64_t rows, null_vec, zero_vec, usable, matches;
    uint64_t cap;                 /* rows the simulation holds (2^max_qubits) */
    double *w;                    /* [usable] weights while usable <= cap */
    double *s;                    /* [usable] similarities, same */
    unsigned char *pmark;         /* [usable] the row contains search_pattern (use_grover) */
    size_t wcap;
    int over_cap;
    qs_hit *heap;
    size_t nheap;
    double scan_ms;
} qs_scan;

static void scan_free(qs_scan *sc)
{
    for (size_t i = 0; i < sc->nheap; i++) {
        json_decref(sc->heap[i].row);
        free(sc->heap[i].vec);
    }
    free(sc->heap);
    free(sc->w);
    free(sc->s);
    free(sc->pmark);
}

static int table_exists(nq_db *db, const char *name)
{
    nq_stmt *st = NULL;
    int found = 0;
    if (nq_prepare(db, "SHOW TABLES", (size_t)-1, &st, NULL) != NQ_OK)
        return 0;
    while (nq_step(st) == NQ_ROW) {
        const char *t = nq_column_text(st, 0);
        if (t && strcmp(t, name) == 0)
            found = 1;
    }
    nq_finalize(st);
    return found;
}

/* The vector column: DESCRIBE gives each column's declared type. */
static int find_vector_column(req *r, nq_db *db, const char *qt, const qs_req *q, qs_scan *sc)
{
    char sql[260];
    snprintf(sql, sizeof sql, "DESCRIBE %s", qt);
    nq_stmt *st = NULL;
    int rc = nq_prepare(db, sql, (size_t)-1, &st, NULL);
    if (rc != NQ_OK)
        return req_engine_error(r, db, rc, "describe");
    char names[512] = "";
    int nvec = 0, found_req = 0, req_not_vec = 0;
    sc->declared_dim = -1;
    while ((rc = nq_step(st)) == NQ_ROW) {
        const char *name = nq_column_text(st, 0), *type = nq_column_text(st, 1);
        if (!name || !type)
            continue;
        int isvec = strncmp(type, "NEURAL_VECTOR", 13) == 0;
        long dd = -1;
        if (isvec && type[13] == '(')
            dd = strtol(type + 14, NULL, 10);
        if (q->vcol_req) {
            if (strcmp(name, q->vcol_req) == 0) {
                found_req = 1;
                if (isvec) {
                    snprintf(sc->vcol, sizeof sc->vcol, "%s", name);
                    sc->declared_dim = dd;
                } else {
                    req_not_vec = 1;
                }
            }
        } else if (isvec) {
            if (nvec++ == 0) {
                snprintf(sc->vcol, sizeof sc->vcol, "%s", name);
                sc->declared_dim = dd;
            }
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", l ? ", " : "", name);
        }
    }
    nq_finalize(st);
    if (rc != NQ_DONE)
        return req_engine_error(r, db, rc, "describe");
    if (q->vcol_req) {
        if (!found_req)
            return req_failf(r, AE_BAD_REQUEST, "vector_column '%s': table '%s' has no such column",
                             q->vcol_req, q->table);
        if (req_not_vec)
            return req_failf(r, AE_BAD_REQUEST,
                             "vector_column '%s' of table '%s' is not a NEURAL_VECTOR column",
                             q->vcol_req, q->table);
    } else if (nvec == 0) {
        return req_failf(r, AE_BAD_REQUEST,
                         "table '%s' has no NEURAL_VECTOR column to search", q->table);
    } else if (nvec > 1) {
        return req_failf(r, AE_BAD_REQUEST,
                         "table '%s' has %d NEURAL_VECTOR columns (%s): name one in vector_column",
                         q->table, nvec, names);
    }
    if (sc->declared_dim > 0 && (size_t)sc->declared_dim != q->dim)
        return req_failf(r, AE_BAD_REQUEST,
                         "dimension mismatch: column '%s' is NEURAL_VECTOR(%ld), query_vector "
                         "has %zu elements",
                         sc->vcol, sc->declared_dim, q->dim);
    return 0;
}

/* 1 if any TEXT value of the current row contains pat. */
static int row_has_pattern(nq_stmt *st, const char *pat)
{
    size_t pl = strlen(pat);
    for (int i = 0; i < nq_column_count(st); i++) {
        if (nq_column_type(st, i) != NQ_TYPE_TEXT)
            continue;
        const char *t = nq_column_blob(st, i);
        size_t n = nq_column_bytes(st, i);
        if (!t || n < pl)
            continue;
        for (size_t k = 0; k + pl <= n; k++)
            if (memcmp(t + k, pat, pl) == 0)
                return 1;
    }
    return 0;
}

static int grow(qs_scan *sc, int need_pmark)
{
    size_t cap = sc->wcap ? sc->wcap * 2 : 1024;
    double *w = realloc(sc->w, cap * sizeof *w);
    if (!w)
        return NQ_ENOMEM;
    sc->w = w;
    double *s = realloc(sc->s, cap * sizeof *s);
    if (!s)
        return NQ_ENOMEM;
    sc->s = s;
    if (need_pmark) {
        unsigned char *p = realloc(sc->pmark, cap);
        if (!p)
            return NQ_ENOMEM;
        sc->pmark = p;
    }
    sc->wcap = cap;
    return 0;
}

static int scan(req *r, nq_db *db, const char *qt, const qs_req *q, qs_scan *sc)
{
    char sql[260];
    snprintf(sql, sizeof sql, "SELECT * FROM %s", qt);
    nq_stmt *st = NULL;
    int rc = nq_prepare(db, sql, (size_t)-1, &st, NULL);
    if (rc != NQ_OK)
        return req_engine_error(r, db, rc, "scan");
    int vc = -1;
    for (int i = 0; i < nq_column_count(st); i++)
        if (strcmp(nq_column_name(st, i), sc->vcol) == 0)
            vc = i;
    if (vc < 0) {
        nq_finalize(st);
        return req_failf(r, AE_INTERNAL, "column '%s' is not in SELECT *", sc->vcol);
    }
    sc->heap = calloc(q->k ? q->k : 1, sizeof *sc->heap);
    if (!sc->heap) {
        nq_finalize(st);
        return req_fail(r, AE_INTERNAL, "out of memory", NULL);
    }
    double t0 = now_ms();
    int status = 0;
    while ((rc = nq_step(st)) == NQ_ROW) {
        uint64_t rowno = sc->rows++;
        if (nq_column_type(st, vc) != NQ_TYPE_VECTOR) {
            sc->null_vec++;
            continue;
        }
        size_t bytes = nq_column_bytes(st, vc);
        const unsigned char *v = nq_column_blob(st, vc);
        if (bytes / 4 != q->dim) {
            status = req_failf(r, AE_BAD_REQUEST,
                               "dimension mismatch: row %llu of '%s' (in scan order, from 0) has a "
                               "%zu-element vector in '%s', query_vector has %zu elements",
                               (unsigned long long)rowno, q->table, bytes / 4, sc->vcol, q->dim);
            break;
        }
        double dot, n2;
        qsearch_dot_norm(q->q, v, q->dim, &dot, &n2);
        if (!(n2 > 0)) {
            sc->zero_vec++;
            continue;
        }
        double s = dot / (q->qnorm * sqrt(n2));
        if (s > 1)
            s = 1;
        if (s < -1)
            s = -1;
        uint64_t idx = sc->usable++;
        if (!sc->over_cap) {
            if (sc->usable > sc->cap) {
                sc->over_cap = 1;
                free(sc->w), free(sc->s), free(sc->pmark);
                sc->w = sc->s = NULL;
                sc->pmark = NULL;
            } else {
                if (idx >= sc->wcap && grow(sc, q->use_grover)) {
                    status = req_fail(r, AE_INTERNAL, "out of memory", NULL);
                    break;
                }
                sc->w[idx] = qsearch_weight(s);
                sc->s[idx] = s;
                if (q->use_grover)
                    sc->pmark[idx] = !q->pattern || row_has_pattern(st, q->pattern);
            }
        }
        if (!(s >= q->thr))
            continue;
        sc->matches++;
        qs_hit h = {s, idx, NULL, NULL};
        if (q->k == 0)
            continue;
        if (sc->nheap == q->k && !worse(&sc->heap[0], &h))
            continue;
        h.row = rowjson_row(st);
        h.vec = malloc(q->dim * sizeof *h.vec);
        if (!h.row || !h.vec) {
            json_decref(h.row);
            free(h.vec);
            status = req_fail(r, AE_INTERNAL, "out of memory", NULL);
            break;
        }
        for (size_t k = 0; k < q->dim; k++)
            h.vec[k] = qsearch_vec_get(v, k);
        if (sc->nheap < q->k) {
            sc->heap[sc->nheap++] = h;
            sift_up(sc->heap, sc->nheap - 1);
        } else {
            json_decref(sc->heap[0].row);
            free(sc->heap[0].vec);
            sc->heap[0] = h;
            sift_down(sc->heap, sc->nheap, 0);
        }
    }
    if (!status && rc != NQ_DONE)
        status = req_engine_error(r, db, rc, "scan");
    nq_finalize(st);
    sc->scan_ms = now_ms() - t0;
    if (!status)
        qsort(sc->heap, sc->nheap, sizeof *sc->heap, by_rank);
    return status;
}

/* ---- the amplitude-amplified state ---------------------------------------------------------- */

typedef struct qs_sim {
    int ran;
    int qubits;
    uint64_t dim, nonzero, iterations, marked;
    double initial, success, predicted, ms;
    double *prob;                 /* [nheap] probability of each result */
    char note[300];
} qs_sim;

static int qubits_for(uint64_t n)
{
    int q = 1;
    while (((uint64_t)1 << q) < n)
        q++;
    return q;
}

static int simulate(req *r, const qs_req *q, qs_scan *sc, qs_sim *sim)
{
    memset(sim, 0, sizeof *sim);
    if (sc->usable == 0) {
        snprintf(sim->note, sizeof sim->note, "not run: no row has a usable vector");
        return 0;
    }
    if (sc->over_cap) {
        snprintf(sim->note, sizeof sim->note,
                 "not run: %llu rows with a vector need %d qubits, over max_qubits %llu",
                 (unsigned long long)sc->usable, qubits_for(sc->usable),
                 (unsigned long long)q->max_qubits);
        return 0;
    }
    double *u = NULL;
    int rc = qsearch_prep_init(sc->w, sc->usable, &u);
    if (rc == NQ_EINVAL) {
        snprintf(sim->note, sizeof sim->note,
                 "not run: every row's vector points opposite to query_vector (all weights 0)");
        return 0;
    }
    if (rc)
        return req_fail(r, AE_INTERNAL, "out of memory", NULL);
    double t0 = now_ms();
    sim->qubits = qubits_for(sc->usable);
    statevec *sv = NULL;
    nq_err err = {0};
    if ((rc = statevec_new(&sv, sim->qubits, STATEVEC_F64, 0, &err)) != 0) {
        free(u);
        return req_failf(r, AE_INTERNAL, "simulation: %s", err.msg);
    }
    uint64_t *marked = malloc((size_t)(sc->matches ? sc->matches : 1) * sizeof *marked);
    sim->prob = calloc(sc->nheap ? sc->nheap : 1, sizeof *sim->prob);
    if (!marked || !sim->prob) {
        free(u), free(marked), statevec_free(sv);
        return req_fail(r, AE_INTERNAL, "out of memory", NULL);
    }
    uint64_t m = 0;
    for (uint64_t i = 0; i < sc->usable; i++) {
        if (sc->w[i] != 0)
            sim->nonzero++;
        if (sc->s[i] >= q->thr)
            marked[m++] = i;
    }
    qsearch_prep prep = {u, sc->usable};
    grover_oracle o = {marked, m, NULL, NULL};
    grover_result gr = {0};
    if (m > 0) {
        rc = grover_amplify(sv, qsearch_prep_apply, &prep, &o, -1, &gr, &err);
    } else {
        statevec_reset(sv);
        rc = qsearch_prep_apply(sv, 0, &prep);
    }
    if (rc) {
        free(u), free(marked), statevec_free(sv);
        return req_failf(r, AE_INTERNAL, "simulation: %s", err.msg[0] ? err.msg : "failed");
    }
    for (size_t i = 0; i < sc->nheap; i++)
        sim->prob[i] = statevec_prob(sv, sc->heap[i].idx);
    sim->ran = 1;
    sim->dim = sv->dim;
    sim->marked = m;
    sim->iterations = gr.iterations;
    sim->initial = gr.initial;
    sim->success = gr.success;
    sim->predicted = gr.predicted;
    sim->ms = now_ms() - t0;
    free(u), free(marked);
    statevec_free(sv);
    return 0;
}


/* ---- the solver flags ----------------------------------------------------------------------- */

#define QS_MAX_QUBO_VARS 200     /* results a QUBO is built over (max_results with the flags) */
#define QS_EXACT_REF_VARS 20     /* up to here the exact optimum is computed for comparison */
#define QS_EXACT_MAX_VARS 24     /* backend exact: 2^24 states take about 0.3 s (Release);
                                    2^30, extrapolated, would hold a worker for ~20 s */
#define QS_MAX_TIME_MS 10000     /* time_limit_ms */
#define QS_MAX_SHOTS 100000
#define QS_MAX_GATES_COUNTED 200000

/* Unknown fields of a *_config object are errors naming "cfg.field". */
static int cfg_fields(req *r, json_t *obj, const char *cfg, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        int ok = 0;
        for (int i = 0; allowed[i]; i++)
            ok |= !strcmp(k, allowed[i]);
        if (!ok) {
            char f[160];
            snprintf(f, sizeof f, "%s.%s", cfg, k);
            return req_fail(r, AE_VALIDATION, f, "unknown field");
        }
    }
    return 0;
}

static int cfg_uint(req *r, json_t *obj, const char *cfg, const char *field, uint64_t lo,
                    uint64_t hi, uint64_t *out)
{
    json_t *v = obj ? json_object_get(obj, field) : NULL;
    if (!v || json_is_null(v))
        return 0;
    char f[160], msg[120];
    snprintf(f, sizeof f, "%s.%s", cfg, field);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) < lo || (uint64_t)json_integer_value(v) > hi) {
        snprintf(msg, sizeof msg, "must be an integer between %llu and %llu",
                 (unsigned long long)lo, (unsigned long long)hi);
        return req_fail(r, AE_VALIDATION, f, msg);
    }
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int cfg_num(req *r, json_t *obj, const char *cfg, const char *field, double lo, double hi,
                   double *out)
{
    if (!obj)
        return 0;
    char f[160];
    snprintf(f, sizeof f, "%s.%s", cfg, field);
    return req_number(r, obj, field, f, 0, lo, hi, out);
}

/* A field upstream had that means nothing here: typed-checked, then reported as unused. */
static int cfg_unused(req *r, json_t *obj, const char *cfg, const char *field, int boolean,
                      json_t *unused_f, const char *why)
{
    json_t *v = obj ? json_object_get(obj, field) : NULL;
    if (!v || json_is_null(v))
        return 0;
    char f[160];
    snprintf(f, sizeof f, "%s.%s", cfg, field);
    if (boolean ? !json_is_boolean(v) : !json_is_number(v))
        return req_fail(r, AE_VALIDATION, f,
                        boolean ? "must be true or false" : "must be a number");
    unused(unused_f, f, why);
    return 0;
}

static int cfg_backend(req *r, json_t *obj, const char *cfg, const char **out)
{
    json_t *v = obj ? json_object_get(obj, "backend") : NULL;
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        char f[160];
        snprintf(f, sizeof f, "%s.backend", cfg);
        return req_fail(r, AE_VALIDATION, f, "must be a string");
    }
    *out = json_string_value(v);
    return 0;
}

static int parse_configs(req *r, qs_req *q, json_t *unused_f)
{
    static const char *const g_fields[] = {"backend", "num_shots", "max_iterations", "seed",
                                           "success_threshold", "error_mitigation", NULL};
    static const char *const q_fields[] = {"backend", "select_count", "redundancy_weight",
                                           "penalty", "seed", "max_iterations", "restarts",
                                           "time_limit_ms", "num_shots", "qaoa_depth",
                                           "convergence_threshold", NULL};
    static const char *const p_fields[] = {"backend", "num_replicas", "num_exchanges",
                                           "min_temperature", "max_temperature", "seed",
                                           "restarts", "time_limit_ms", "trotter_slices",
                                           "transverse_field", NULL};
    const char *be;
    q->g_shots = 1024, q->g_seed = 1, q->g_success = 0.5;
    q->k_sel = 3, q->lambda = 1.0, q->qb_seed = 1, q->qb_restarts = 4, q->qb_time_ms = 2000;
    q->qb_solver = QUBO_SOLVER_SQA;
    q->pt_replicas = 8, q->pt_sweeps = 2000, q->pt_seed = 1, q->pt_restarts = 1;
    q->pt_time_ms = 2000;
    json_t *g = q->grover_cfg, *c = q->qubo_cfg, *p = q->pt_cfg;
    if (g && (cfg_fields(r, g, "grover_config", g_fields) ||
              cfg_uint(r, g, "grover_config", "num_shots", 1, QS_MAX_SHOTS, &q->g_shots) ||
              cfg_uint(r, g, "grover_config", "max_iterations", 0, 100000, &q->g_max_iter) ||
              cfg_uint(r, g, "grover_config", "seed", 0, UINT32_MAX, &q->g_seed) ||
              cfg_num(r, g, "grover_config", "success_threshold", 0, 1, &q->g_success) ||
              cfg_unused(r, g, "grover_config", "error_mitigation", 1, unused_f,
                         "no effect: the simulator is exact and has no noise to mitigate") ||
              cfg_backend(r, g, "grover_config", &be)))
        return r->status;
    if (g && be && strcmp(be, "simulator")) {
        if (!strcmp(be, "superconducting") || !strcmp(be, "trapped_ion") ||
            !strcmp(be, "neutral_atom") || !strcmp(be, "classical"))
            return req_failf(r, AE_NOT_IMPLEMENTED,
                             "grover_config.backend \"%s\": not supported yet (only \"simulator\", "
                             "the state-vector simulator, runs here)", be);
        return req_fail(r, AE_VALIDATION, "grover_config.backend", "must be \"simulator\"");
    }
    if (c && (cfg_fields(r, c, "qubo_config", q_fields) ||
              cfg_uint(r, c, "qubo_config", "select_count", 1, QS_MAX_QUBO_VARS, &q->k_sel) ||
              cfg_num(r, c, "qubo_config", "redundancy_weight", 0, 100, &q->lambda) ||
              cfg_num(r, c, "qubo_config", "penalty", 0, 1e6, &q->penalty) ||
              cfg_uint(r, c, "qubo_config", "seed", 0, UINT32_MAX, &q->qb_seed) ||
              cfg_uint(r, c, "qubo_config", "max_iterations", 0, 1000000, &q->qb_sweeps) ||
              cfg_uint(r, c, "qubo_config", "restarts", 1, 64, &q->qb_restarts) ||
              cfg_uint(r, c, "qubo_config", "time_limit_ms", 1, QS_MAX_TIME_MS, &q->qb_time_ms) ||
              cfg_unused(r, c, "qubo_config", "num_shots", 0, unused_f,
                         "no effect: the solvers read energies exactly, nothing is sampled") ||
              cfg_unused(r, c, "qubo_config", "qaoa_depth", 0, unused_f,
                         "no effect: QAOA is not a backend here") ||
              cfg_unused(r, c, "qubo_config", "convergence_threshold", 0, unused_f,
                         "no effect: the solvers stop after max_iterations sweeps per restart") ||
              cfg_backend(r, c, "qubo_config", &be)))
        return r->status;
    if (c && be) {
        int sv = qubo_solver_parse(be);
        if (sv < 0 && (!strcmp(be, "qaoa") || !strcmp(be, "vqe") || !strcmp(be, "classical")))
            return req_failf(r, AE_NOT_IMPLEMENTED,
                             "qubo_config.backend \"%s\": not supported yet (backends: sa, pt, "
                             "tabu, sqa, exact)", be);
        if (sv < 0)
            return req_fail(r, AE_VALIDATION, "qubo_config.backend",
                            "must be one of sa, pt, tabu, sqa, exact");
        q->qb_solver = sv;
    }
    if (c && json_object_get(c, "penalty") && !(q->penalty > 0))
        return req_fail(r, AE_VALIDATION, "qubo_config.penalty", "must be greater than 0");
    const char *ptc = "parallel_tempering_config";
    if (p && (cfg_fields(r, p, ptc, p_fields) ||
              cfg_uint(r, p, ptc, "num_replicas", 2, 256, &q->pt_replicas) ||
              cfg_uint(r, p, ptc, "num_exchanges", 1, 1000000, &q->pt_sweeps) ||
              cfg_num(r, p, ptc, "min_temperature", 1e-9, 1e9, &q->pt_tmin) ||
              cfg_num(r, p, ptc, "max_temperature", 1e-9, 1e9, &q->pt_tmax) ||
              cfg_uint(r, p, ptc, "seed", 0, UINT32_MAX, &q->pt_seed) ||
              cfg_uint(r, p, ptc, "restarts", 1, 64, &q->pt_restarts) ||
              cfg_uint(r, p, ptc, "time_limit_ms", 1, QS_MAX_TIME_MS, &q->pt_time_ms) ||
              cfg_unused(r, p, ptc, "trotter_slices", 0, unused_f,
                         "no effect: this is classical replica exchange, without Trotter slices") ||
              cfg_unused(r, p, ptc, "transverse_field", 0, unused_f,
                         "no effect: this is classical replica exchange, without a transverse "
                         "field") ||
              cfg_backend(r, p, ptc, &be)))
        return r->status;
    if (p && be && strcmp(be, "classical")) {
        if (!strcmp(be, "pimc") || !strcmp(be, "qmc") || !strcmp(be, "annealing") ||
            !strcmp(be, "hybrid"))
            return req_failf(r, AE_NOT_IMPLEMENTED,
                             "parallel_tempering_config.backend \"%s\": not supported yet (only "
                             "\"classical\" replica exchange runs here)", be);
        return req_fail(r, AE_VALIDATION, "parallel_tempering_config.backend",
                        "must be \"classical\"");
    }
    if (q->pt_tmin > 0 && q->pt_tmax > 0 && !(q->pt_tmin < q->pt_tmax))
        return req_fail(r, AE_VALIDATION, "parallel_tempering_config.min_temperature",
                        "must be below max_temperature");
    if ((q->use_qubo || q->use_pt) && q->k > QS_MAX_QUBO_VARS)
        return req_fail(r, AE_VALIDATION, "max_results",
                        "must be at most 200 with use_qubo or use_parallel_tempering (their QUBO "
                        "has one variable per result)");
    if (q->use_tfim)
        return req_fail(r, AE_NOT_IMPLEMENTED,
                        "use_tfim: not supported yet — the library's exact TFIM solver "
                        "(src/quantum/tfim.h) handles the uniform chain -J sum ZZ - h sum X only, "
                        "and no search problem maps onto that chain honestly",
                        NULL);
    return 0;
}

/* Depth of a gate list: each gate sits one layer above the latest gate on any of its qubits. */
static uint64_t circuit_depth(const statevec_circuit *c)
{
    uint64_t level[64] = {0}, depth = 0;
    for (size_t g = 0; g < c->ngates; g++) {
        uint64_t mask = c->gates[g].cmask | ((uint64_t)1 << c->gates[g].target), top = 0;
        for (int qb = 0; qb < c->n; qb++)
            if (mask >> qb & 1 && level[qb] > top)
                top = level[qb];
        top++;
        for (int qb = 0; qb < c->n; qb++)
            if (mask >> qb & 1)
                level[qb] = top;
        if (top > depth)
            depth = top;
    }
    return depth;
}

/* use_grover: Grover's search (uniform start) over the 2^n basis states of the row indices,
 * marking the rows at or above the threshold that contain search_pattern (when given). */
static int run_grover(req *r, const qs_req *q, const qs_scan *sc, json_t *unused_f, json_t **out)
{
    *out = NULL;
    if (sc->usable == 0 || sc->over_cap) {
        unused(unused_f, "use_grover",
               sc->usable == 0 ? "not run: no row has a usable vector"
                               : "not run: the rows need more qubits than max_qubits");
        return 0;
    }
    double t0 = now_ms();
    int n = qubits_for(sc->usable);
    uint64_t m = 0;
    uint64_t *marked = malloc((size_t)sc->usable * sizeof *marked);
    uint64_t *shots = malloc((size_t)q->g_shots * sizeof *shots);
    statevec *sv = NULL;
    nq_err err = {0};
    if (!marked || !shots) {
        free(marked), free(shots);
        return req_fail(r, AE_INTERNAL, "out of memory", NULL);
    }
    for (uint64_t i = 0; i < sc->usable; i++)
        if (sc->s[i] >= q->thr && sc->pmark[i])
            marked[m++] = i;
    uint64_t dim = (uint64_t)1 << n;
    uint64_t opt = grover_optimal_iterations(dim, m);
    uint64_t k = q->g_max_iter && q->g_max_iter < opt ? q->g_max_iter : opt;
    grover_oracle o = {marked, m, NULL, NULL};
    grover_result gr = {0};
    int rc = statevec_new(&sv, n, STATEVEC_F64, 0, &err);
    if (!rc)
        rc = grover_search(sv, &o, (int64_t)k, &gr, &err);
    nq_rng rng;
    nq_rng_seed(&rng, q->g_seed);
    if (!rc)
        rc = statevec_sample(sv, &rng, q->g_shots, shots, &err);
    if (rc) {
        free(marked), free(shots), statevec_free(sv);
        return req_failf(r, AE_INTERNAL, "grover: %s", err.msg);
    }
    /* marked is ascending (scan order); shots come sorted ascending */
    json_t *found = json_array(), *probs = json_array();
    uint64_t on_marked = 0, j = 0;
    double best = 0;
    for (uint64_t i = 0; i < m; i++) {
        double p = statevec_prob(sv, marked[i]);
        if (p > best)
            best = p;
    }
    for (uint64_t t = 0; t < q->g_shots; t++) {
        while (j < m && marked[j] < shots[t])
            j++;
        if (j < m && marked[j] == shots[t]) {
            on_marked++;
            if (t == 0 || shots[t - 1] != shots[t]) {
                json_array_append_new(found, json_integer((json_int_t)shots[t]));
                json_array_append_new(probs, json_real(statevec_prob(sv, shots[t])));
            }
        }
    }
    double sim_ms = now_ms() - t0;
    /* the gate-level circuit (grover_circuit) when it is small enough to build and count */
    json_t *gates = json_null(), *depth = json_null();
    double est = (double)n + (double)k * ((double)m * (2.0 * n + 1) + 4.0 * n + 1);
    if (est <= QS_MAX_GATES_COUNTED) {
        statevec_circuit *c = NULL;
        if (grover_circuit(n, &o, k, &c, &err) == 0) {
            json_decref(gates), json_decref(depth);
            gates = json_integer((json_int_t)c->ngates);
            depth = json_integer((json_int_t)circuit_depth(c));
            statevec_circuit_free(c);
        }
    }
    json_t *g = json_object();
    json_object_set_new(g, "problem",
                        json_string("Grover search over the row-index basis states: marked = "
                                    "rows with similarity >= similarity_threshold (and containing "
                                    "search_pattern in a TEXT column, when given)"));
    json_object_set_new(g, "found_indices", found);
    json_object_set_new(g, "probabilities", probs);
    json_object_set_new(g, "iterations", json_integer((json_int_t)gr.iterations));
    json_object_set_new(g, "optimal_iterations", json_integer((json_int_t)opt));
    json_object_set_new(g, "num_qubits", json_integer(n));
    json_object_set_new(g, "num_marked_states", json_integer((json_int_t)m));
    json_object_set_new(g, "search_space", json_integer((json_int_t)dim));
    json_object_set_new(g, "success_probability", json_real(gr.success));
    json_object_set_new(g, "predicted_success_probability", json_real(gr.predicted));
    json_object_set_new(g, "success_threshold", json_real(q->g_success));
    json_object_set_new(g, "meets_success_threshold", json_boolean(gr.success >= q->g_success));
    json_object_set_new(g, "best_probability", m ? json_real(best) : json_null());
    json_object_set_new(g, "num_shots", json_integer((json_int_t)q->g_shots));
    json_object_set_new(g, "shots_on_marked", json_integer((json_int_t)on_marked));
    json_object_set_new(g, "seed", json_integer((json_int_t)q->g_seed));
    json_object_set_new(g, "search_pattern", q->pattern ? json_string(q->pattern) : json_null());
    json_object_set_new(g, "num_gates", gates);
    json_object_set_new(g, "circuit_depth", depth);
    json_object_set_new(g, "backend_used", json_string("simulator"));
    json_object_set_new(g, "computation_time_ms", envelope_ms(sim_ms));
    json_object_set_new(g, "classical_scan_time_ms", envelope_ms(sc->scan_ms));
    json_object_set_new(g, "quantum_speedup", json_null());
    free(marked), free(shots);
    statevec_free(sv);
    *out = g;
    return 0;
}

/* The diversity QUBO over the results (h_quantum.h). */
typedef struct qs_qubo {
    int R, k;
    double P;
    double *s, *c;
    qubo_model m;
    int have_exact;
    double exact_energy;
} qs_qubo;

static void qubo_prob_free(qs_qubo *p)
{
    free(p->s), free(p->c);
    if (p->m.lin)
        qubo_free(&p->m);
}

static int qubo_prob_build(req *r, const qs_req *q, const qs_scan *sc, qs_qubo *p)
{
    memset(p, 0, sizeof *p);
    p->R = (int)sc->nheap;
    p->k = (int)(q->k_sel < (uint64_t)p->R ? q->k_sel : (uint64_t)p->R);
    p->s = malloc((size_t)p->R * sizeof *p->s);
    p->c = calloc((size_t)p->R * (size_t)p->R, sizeof *p->c);
    if (!p->s || !p->c)
        return req_fail(r, AE_INTERNAL, "out of memory", NULL);
    for (int i = 0; i < p->R; i++) {
        p->s[i] = sc->heap[i].score;
        for (int j = 0; j < p->R; j++)
            p->c[(size_t)i * p->R + j] =
                i == j ? 1.0 : qsearch_cosine(sc->heap[i].vec, sc->heap[j].vec, q->dim);
    }
    nq_err err = {0};
    if (qsearch_diversity_qubo(p->R, p->s, p->c, p->k, q->lambda, q->penalty, &p->m, &p->P, &err))
        return req_failf(r, AE_INTERNAL, "qubo: %s", err.msg);
    if (p->R <= QS_EXACT_REF_VARS) {
        qubo_result ex = {0};
        if (qubo_solve_exact(&p->m, &ex, &err) == 0) {
            p->have_exact = 1;
            p->exact_energy = ex.energy;
        }
        qubo_result_free(&ex);
    }
    return 0;
}

/* The fields both QUBO answers share: the problem, the state and its parts. */
static void qubo_answer(json_t *o, const qs_qubo *p, const unsigned char *x, double energy,
                        const char *energy_name)
{
    json_t *vars = json_array(), *sel = json_array();
    double simsum = 0, red = 0;
    int cnt = 0;
    for (int i = 0; i < p->R; i++) {
        json_array_append_new(vars, json_integer(x[i]));
        if (x[i]) {
            json_array_append_new(sel, json_integer(i));
            simsum += p->s[i];
            cnt++;
            for (int j = i + 1; j < p->R; j++)
                if (x[j])
                    red += p->c[(size_t)i * p->R + j];
        }
    }
    json_object_set_new(o, "problem",
                        json_string("choose select_count of the results: minimise E(x) = "
                                    "-sum_i s_i x_i + redundancy_weight * sum_{i<j} c_ij x_i x_j "
                                    "+ penalty * (sum_i x_i - select_count)^2, s_i = similarity "
                                    "of result i, c_ij = cosine between the vectors of results "
                                    "i and j"));
    json_object_set_new(o, "num_variables", json_integer(p->R));
    json_object_set_new(o, "variables", vars);
    json_object_set_new(o, "selected_results", sel);
    json_object_set_new(o, "selected_count", json_integer(cnt));
    json_object_set_new(o, "select_count", json_integer(p->k));
    json_object_set_new(o, "penalty", json_real(p->P));
    json_object_set_new(o, energy_name, json_real(energy));
    json_object_set_new(o, "similarity_sum", json_real(simsum));
    json_object_set_new(o, "redundancy_sum", json_real(red));
    json_object_set_new(o, "exact_energy",
                        p->have_exact ? json_real(p->exact_energy) : json_null());
    json_object_set_new(o, "optimal",
                        p->have_exact ? json_boolean(fabs(energy - p->exact_energy) <=
                                                     1e-9 * (1 + fabs(p->exact_energy)))
                                      : json_null());
}

static int run_qubo(req *r, const qs_req *q, const qs_qubo *p, int pt, json_t **out)
{
    *out = NULL;
    qubo_options o;
    qubo_options_default(&o);
    qubo_solver solver = pt ? QUBO_SOLVER_PT : (qubo_solver)q->qb_solver;
    if (solver == QUBO_SOLVER_EXACT && p->R > QS_EXACT_MAX_VARS)
        return req_failf(r, AE_BAD_REQUEST,
                         "qubo_config.backend exact: at most %d variables, the search returned "
                         "%d results (lower max_results)", QS_EXACT_MAX_VARS, p->R);
    if (pt) {
        o.seed = q->pt_seed;
        o.restarts = (int)q->pt_restarts;
        o.time_limit = (double)q->pt_time_ms / 1e3;
        o.replicas = (int)q->pt_replicas;
        o.sweeps = (long)q->pt_sweeps;
        o.t_cold = q->pt_tmin;
        o.t_hot = q->pt_tmax;
    } else {
        o.seed = q->qb_seed;
        o.restarts = (int)q->qb_restarts;
        o.time_limit = (double)q->qb_time_ms / 1e3;
        o.sweeps = (long)q->qb_sweeps;
    }
    qubo_result res = {0};
    nq_err err = {0};
    double t0 = now_ms();
    if (qubo_solve(&p->m, solver, &o, &res, &err)) {
        qubo_result_free(&res);
        return req_failf(r, AE_INTERNAL, "qubo: %s", err.msg);
    }
    double ms = now_ms() - t0;
    double e = qubo_energy(&p->m, res.x);
    json_t *j = json_object();
    qubo_answer(j, p, res.x, e, pt ? "best_energy" : "energy");
    if (pt) {
        json_t *spins = json_array();
        for (int i = 0; i < p->R; i++)
            json_array_append_new(spins, json_integer(res.x[i] ? 1 : -1));
        json_object_set_new(j, "best_configuration", spins);
        json_object_set_new(j, "num_replicas", json_integer((json_int_t)q->pt_replicas));
        json_object_set_new(j, "num_exchanges", json_integer((json_int_t)q->pt_sweeps));
        json_object_set_new(j, "min_temperature",
                            q->pt_tmin > 0 ? json_real(q->pt_tmin) : json_null());
        json_object_set_new(j, "max_temperature",
                            q->pt_tmax > 0 ? json_real(q->pt_tmax) : json_null());
        json_object_set_new(j, "backend_used", json_string("classical"));
        json_object_set_new(j, "best_replica_id", json_null());
        json_object_set_new(j, "total_exchanges", json_null());
        json_object_set_new(j, "acceptance_rate", json_null());
        json_object_set_new(j, "ground_state_energy_estimate", json_null());
        json_object_set_new(j, "thermal_state_fidelity", json_null());
    } else {
        json_object_set_new(j, "backend_used", json_string(qubo_solver_name(solver)));
        json_object_set_new(j, "quality", json_null());
        json_object_set_new(j, "quantum_evaluations", json_null());
        json_object_set_new(j, "converged", json_null());
        json_object_set_new(j, "best_state_probability", json_null());
    }
    json_object_set_new(j, "redundancy_weight", json_real(q->lambda));
    json_object_set_new(j, "seed", json_integer((json_int_t)o.seed));
    json_object_set_new(j, "iterations", json_integer((json_int_t)res.iterations));
    json_object_set_new(j, "runs", json_integer(res.runs));
    json_object_set_new(j, "computation_time_ms", envelope_ms(ms));
    json_object_set_new(j, "time_to_best_ms", envelope_ms(res.seconds_to_best * 1e3));
    qubo_result_free(&res);
    *out = j;
    return 0;
}

/* ---- the handler ---------------------------------------------------------------------------- */

static int parse(req *r, qs_req *q, json_t *unused_f)
{
    static const char *const allowed[] = {
        "table_name", "query_vector", "similarity_threshold", "max_results", "entanglement_boost",
        "vector_column", "max_qubits", "use_tfim", "tfim_config", "use_qubo", "qubo_config",
        "use_parallel_tempering", "parallel_tempering_config", "use_grover", "grover_config",
        "search_pattern", NULL};
    json_t *qv;
    double thr = 0, boost = 0;
    uint64_t k = 10, mq = QS_DEFAULT_QUBITS;
    if (req_body_object(r, allowed) || req_string(r, r->json, "table_name", 1, &q->table) ||
        req_array(r, r->json, "query_vector", 1, &qv) ||
        req_number(r, r->json, "similarity_threshold", "similarity_threshold", 1, -1.0, 1.0,
                   &thr) ||
        req_uint(r, r->json, "max_results", 0, QS_MAX_RESULTS, &k) ||
        req_number(r, r->json, "entanglement_boost", "entanglement_boost", 0, -FLT_MAX, FLT_MAX,
                   &boost) ||
        req_string(r, r->json, "vector_column", 0, &q->vcol_req) ||
        req_uint(r, r->json, "max_qubits", 0, QS_MAX_QUBITS, &mq) ||
        req_bool(r, r->json, "use_tfim", &q->use_tfim) ||
        req_bool(r, r->json, "use_qubo", &q->use_qubo) ||
        req_bool(r, r->json, "use_parallel_tempering", &q->use_pt) ||
        req_bool(r, r->json, "use_grover", &q->use_grover) ||
        req_object(r, r->json, "tfim_config", 0, &q->tfim_cfg) ||
        req_object(r, r->json, "qubo_config", 0, &q->qubo_cfg) ||
        req_object(r, r->json, "parallel_tempering_config", 0, &q->pt_cfg) ||
        req_object(r, r->json, "grover_config", 0, &q->grover_cfg) ||
        req_string(r, r->json, "search_pattern", 0, &q->pattern))
        return r->status;
    if (strlen(q->table) > 64)
        return req_fail(r, AE_VALIDATION, "table_name", "must be at most 64 characters");
    if (json_object_get(r->json, "max_qubits") && mq < 1)
        return req_fail(r, AE_VALIDATION, "max_qubits", "must be between 1 and 20");
    if (json_array_size(qv) == 0)
        return req_fail(r, AE_BAD_REQUEST, "Query vector cannot be empty", NULL);
    if (json_array_size(qv) > QS_MAX_DIM)
        return req_fail(r, AE_VALIDATION, "query_vector", "must have at most 65536 elements");
    q->dim = json_array_size(qv);
    q->q = malloc(q->dim * sizeof *q->q);
    if (!q->q)
        return req_fail(r, AE_INTERNAL, "out of memory", NULL);
    double n2 = 0;
    for (size_t i = 0; i < q->dim; i++) {
        json_t *e = json_array_get(qv, i);
        char f[48];
        snprintf(f, sizeof f, "query_vector[%zu]", i);
        if (!json_is_number(e))
            return req_fail(r, AE_VALIDATION, f, "must be a number");
        double d = json_number_value(e);
        if (!(fabs(d) <= FLT_MAX))
            return req_fail(r, AE_VALIDATION, f, "is outside the float32 range");
        q->q[i] = (float)d; /* the wire type is f32, as upstream */
        n2 += (double)q->q[i] * q->q[i];
    }
    if (!(n2 > 0))
        return req_fail(r, AE_VALIDATION, "query_vector",
                        "has norm 0: the cosine similarity is undefined");
    q->qnorm = sqrt(n2);
    q->thr = thr;
    q->k = k;
    q->max_qubits = mq;
    if (json_object_get(r->json, "entanglement_boost") &&
        !json_is_null(json_object_get(r->json, "entanglement_boost")))
        unused(unused_f, "entanglement_boost",
               "no effect: the scores are exact cosine similarities and are not boosted "
               "(accepted for compatibility with upstream requests)");
    static const struct {
        const char *flag, *cfg;
    } pairs[] = {{"use_tfim", "tfim_config"},
                 {"use_qubo", "qubo_config"},
                 {"use_parallel_tempering", "parallel_tempering_config"},
                 {"use_grover", "grover_config"},
                 {"use_grover", "search_pattern"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        json_t *c = json_object_get(r->json, pairs[i].cfg);
        if (c && !json_is_null(c) && !json_is_true(json_object_get(r->json, pairs[i].flag))) {
            char why[120];
            snprintf(why, sizeof why, "no effect: %s is not true", pairs[i].flag);
            unused(unused_f, pairs[i].cfg, why);
        }
    }
    return parse_configs(r, q, unused_f);
}

int h_quantum_search(req *r)
{
    qs_req q = {0};
    qs_scan sc = {0};
    qs_sim sim = {0};
    qs_qubo qp = {0};
    json_t *unused_f = json_object(), *grover_j = NULL, *qubo_j = NULL, *pt_j = NULL;
    int st = 0;
    /* reading rows is reading data: the route needs `quantum`, the rows need `read` */
    if (!identity_allows(&r->who, PERM_READ)) {
        st = req_fail(r, AE_FORBIDDEN, "Read permission required (the results are table rows)",
                      NULL);
        goto out;
    }
    if ((st = parse(r, &q, unused_f)) != 0)
        goto out;
    char qt[200];
    if ((st = req_ident(r, "table_name", q.table, qt, sizeof qt)) != 0)
        goto out;
    sc.cap = (uint64_t)1 << q.max_qubits;

    nq_server *s = r->srv;
    nq_db *db = dbpool_acquire(&s->pool);
    struct timespec deadline;
    query_deadline_start(r, db, &deadline);
    if (!table_exists(db, q.table))
        st = req_failf(r, AE_NOT_FOUND, "table '%s' does not exist", q.table);
    if (!st)
        st = find_vector_column(r, db, qt, &q, &sc);
    if (!st)
        st = scan(r, db, qt, &q, &sc);
    query_deadline_end(db);
    metrics_query(s->metrics, "select", st == 0, sc.scan_ms / 1e3);
    dbpool_release(&s->pool, db);
    if (st)
        goto out;
    if ((st = simulate(r, &q, &sc, &sim)) != 0)
        goto out;
    if (q.use_grover && (st = run_grover(r, &q, &sc, unused_f, &grover_j)) != 0)
        goto out;
    if ((q.use_qubo || q.use_pt) && sc.nheap == 0) {
        if (q.use_qubo)
            unused(unused_f, "use_qubo", "not run: the search returned no results");
        if (q.use_pt)
            unused(unused_f, "use_parallel_tempering", "not run: the search returned no results");
    } else if (q.use_qubo || q.use_pt) {
        if ((st = qubo_prob_build(r, &q, &sc, &qp)) != 0)
            goto out;
        if (q.use_qubo && (st = run_qubo(r, &q, &qp, 0, &qubo_j)) != 0)
            goto out;
        if (q.use_pt && (st = run_qubo(r, &q, &qp, 1, &pt_j)) != 0)
            goto out;
    }

    json_t *results = json_array();
    for (size_t i = 0; i < sc.nheap; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "record", sc.heap[i].row);
        sc.heap[i].row = NULL;
        json_object_set_new(o, "similarity_score", json_real(sc.heap[i].score));
        json_object_set_new(o, "quantum_probability",
                            sim.ran ? json_real(sim.prob[i]) : json_null());
        json_object_set_new(o, "entanglement_strength", json_null());
        json_object_set_new(o, "basis_state", json_integer((json_int_t)sc.heap[i].idx));
        json_array_append_new(results, o);
    }
    json_t *qs = json_object();
    /* upstream's names: only what has an honest meaning here carries a number */
    json_object_set_new(qs, "coherence_time_used_ms", json_null());
    json_object_set_new(qs, "superposition_states",
                        sim.ran ? json_integer((json_int_t)sim.nonzero) : json_null());
    json_object_set_new(qs, "measurement_collapses", json_null());
    json_object_set_new(qs, "entanglement_operations", json_null());
    json_object_set_new(qs, "circuit_depth", json_null());
    json_object_set_new(qs, "num_gates", json_null());
    json_object_set_new(qs, "trotter_steps", json_null());
    json_object_set_new(qs, "simulated", json_boolean(sim.ran));
    json_object_set_new(qs, "simulation_note", sim.note[0] ? json_string(sim.note) : json_null());
    json_object_set_new(qs, "qubits", sim.ran ? json_integer(sim.qubits) : json_null());
    json_object_set_new(qs, "state_dimension",
                        sim.ran ? json_integer((json_int_t)sim.dim) : json_null());
    json_object_set_new(qs, "marked_states",
                        sim.ran ? json_integer((json_int_t)sim.marked) : json_null());
    json_object_set_new(qs, "amplification_iterations",
                        sim.ran ? json_integer((json_int_t)sim.iterations) : json_null());
    json_object_set_new(qs, "initial_success_probability",
                        sim.ran ? json_real(sim.initial) : json_null());
    json_object_set_new(qs, "success_probability", sim.ran ? json_real(sim.success) : json_null());
    json_object_set_new(qs, "predicted_success_probability",
                        sim.ran ? json_real(sim.predicted) : json_null());
    json_object_set_new(qs, "simulation_time_ms", sim.ran ? envelope_ms(sim.ms) : json_null());
    json_object_set_new(qs, "scan_time_ms", envelope_ms(sc.scan_ms));
    json_object_set_new(qs, "quantum_speedup", json_null());

    json_t *search = json_object();
    json_object_set_new(search, "table_name", json_string(q.table));
    json_object_set_new(search, "vector_column", json_string(sc.vcol));
    json_object_set_new(search, "dimension", json_integer((json_int_t)q.dim));
    json_object_set_new(search, "similarity_threshold", json_real(q.thr));
    json_object_set_new(search, "max_results", json_integer((json_int_t)q.k));
    json_object_set_new(search, "rows_scanned", json_integer((json_int_t)sc.rows));
    json_object_set_new(search, "rows_with_vector", json_integer((json_int_t)sc.usable));
    json_object_set_new(search, "rows_null_vector", json_integer((json_int_t)sc.null_vec));
    json_object_set_new(search, "rows_zero_vector", json_integer((json_int_t)sc.zero_vec));
    json_object_set_new(search, "matches", json_integer((json_int_t)sc.matches));
    json_object_set_new(search, "returned", json_integer((json_int_t)sc.nheap));

    json_t *d = json_object();
    json_object_set_new(d, "results", results);
    json_object_set_new(d, "quantum_stats", qs);
    json_object_set_new(d, "tfim_results", json_null());
    json_object_set_new(d, "qubo_results", qubo_j ? qubo_j : json_null());
    json_object_set_new(d, "parallel_tempering_results", pt_j ? pt_j : json_null());
    json_object_set_new(d, "grover_results", grover_j ? grover_j : json_null());
    qubo_j = pt_j = grover_j = NULL;
    json_object_set_new(d, "search", search);
    json_object_set_new(d, "unused_fields", unused_f);
    unused_f = NULL;
    st = req_ok(r, 200, d, "Quantum search: %zu of %llu matching rows of '%s'", sc.nheap,
                (unsigned long long)sc.matches, q.table);
out:
    json_decref(unused_f);
    json_decref(grover_j), json_decref(qubo_j), json_decref(pt_j);
    qubo_prob_free(&qp);
    scan_free(&sc);
    free(sim.prob);
    free(q.q);
    return st;
}
