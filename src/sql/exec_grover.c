/*
 * exec_grover.c — the Grover search operator: the FROM/WHERE part of a one-table query
 * (QUANTUM_SEARCH t WHERE c, SELECT ... USING QUANTUM GROVER) answered by simulating Grover's
 * algorithm over the table's row-index space (docs/quantum.md, "QUANTUM_SEARCH").
 *
 * Open does all the work, in three timed phases:
 *   1. read: the child (a full scan of the table, in rowid order) is read and its rows copied;
 *      row i of that order is basis state |i> of n = max(1, ceil(log2 N)) qubits, and the
 *      indices N..2^n-1 are padding that no oracle marks.
 *   2. classical filter: the WHERE predicate is evaluated on every row. Its truth table is the
 *      oracle (a device would evaluate the predicate reversibly on a superposition of row
 *      indices; a simulator has to evaluate it on every index, so it holds the classical
 *      answer before the search starts). This phase is exactly what a FILTER over the same
 *      rows costs, which is why EXPLAIN ANALYZE prints it beside the simulation.
 *   3. simulation: rounds of Grover's search on a state vector (src/quantum/grover.h). Each
 *      round amplifies the marked rows not found yet, measures (a seeded generator, so a run
 *      is reproducible), checks each measured index with the oracle and takes the marked
 *      ones out of the oracle for the next round.
 *        - default: the simulator knows M, the number of marked rows left, and uses the
 *          optimal count k = floor(pi / (4 asin(sqrt(M / 2^n)))) and M shots per round (a
 *          device would run the circuit M times; learning M needs quantum counting);
 *        - AMPLITUDE_AMPLIFICATION: M is treated as unknown, and the exponential search of
 *          Boyer, Brassard, Hoyer and Tapp (1998) runs: one shot per trial with k uniform in
 *          [0, m), m growing by 6/5 after each miss up to sqrt(2^n) and reset after a find;
 *          it stops after 32 misses in a row at m = sqrt(2^n), where each trial finds a
 *          remaining marked row with probability at least 1/4 (BBHT lemma 2), so a stop with
 *          rows left has probability at most (3/4)^32 ~ 1e-4.
 *      MAX_ITERATIONS caps k per round, ITERATIONS fixes it. The search also stops after 64
 *      rounds in a row without a new row, or when it has spent the simulation budget
 *      (GROVER_WORK_BUDGET amplitude updates). Whatever marked rows are left are then taken
 *      from the truth table ("finished classically"), and EXPLAIN ANALYZE says how many and
 *      why.
 * Next returns the found rows in rowid order: exactly the rows the classical plan returns.
 *
 * When the rows need more qubits than the budget (MAX_QUBITS, default GROVER_DEFAULT_QUBITS),
 * or the state does not fit the simulator's memory budget, the operator is a classical filter
 * over the rows it read and EXPLAIN ANALYZE gives the reason. Memory: the rows are copied
 * while they are read (at most 2^MAX_QUBITS of them before the operator falls back to
 * filtering as it reads), the non-matching copies are dropped after phase 2, and the state
 * vector takes 16 * 2^n bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quantum/grover.h"
#include "sql/ops.h"

#define GROVER_MAX_FAIL_ROUNDS 64  /* known M: rounds in a row without a new row */
#define GROVER_BBHT_STOP 32        /* BBHT: misses in a row at m = sqrt(2^n) */
#define GROVER_BBHT_LAMBDA 1.2     /* BBHT: growth of m after a miss (1 < lambda < 4/3) */

typedef struct gstats {
    uint64_t rows, marked, qubits, dim, state_bytes;
    uint64_t rounds, shots, hits, iterations, device_queries, checks, work;
    uint64_t found_grover, found_classical;
    uint64_t first_k;
    double first_predicted, first_state; /* first round: sin^2((2k+1)theta); the state's value */
    double first_measured;               /* first round: share of its shots on marked rows */
    double t_read_ns, t_filter_ns, t_sim_ns;
    int searched;                        /* the simulation ran (else: classical, see why) */
    char why[200];                       /* classical reason, or why the search stopped */
} gstats;

typedef struct grover_op {
    op base;
    cat_table *t;
    int width;          /* values per row: the columns and the hidden rowid */
    bx *cond;
    grover_opts opt;
    /* rows of the current execution */
    sqlv *rows;         /* nrows x width; after phase 2 only the matching rows, compacted */
    size_t nrows, cap;
    uint64_t *midx;     /* index (rowid order) of each kept row */
    uint8_t *found;     /* per kept row: found by the search or the classical finish */
    size_t pos;
    gstats st;
    uint64_t loops;
} grover_op;

typedef struct skip_op {
    op base;
    const char *why;
} skip_op;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int qubits_for(uint64_t n)
{
    int q = 1;
    while (q < 63 && ((uint64_t)1 << q) < n)
        q++;
    return q;
}

static void release_rows(grover_op *s)
{
    if (s->rows)
        rows_clear(s->rows, (int)(s->nrows * (size_t)s->width));
    free(s->rows);
    free(s->midx);
    free(s->found);
    s->rows = NULL;
    s->midx = NULL;
    s->found = NULL;
    s->nrows = s->cap = s->pos = 0;
}

static int keep_row(grover_op *s, const sqlv *row, uint64_t idx, nq_err *e)
{
    if (s->nrows == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        sqlv *nr = realloc(s->rows, nc * (size_t)s->width * sizeof *nr);
        if (!nr)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        s->rows = nr;
        uint64_t *ni = realloc(s->midx, nc * sizeof *ni);
        if (!ni)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        s->midx = ni;
        s->cap = nc;
    }
    int rc = rows_copy(row, s->width, s->rows + s->nrows * (size_t)s->width, e);
    if (rc < 0)
        return rc;
    s->midx[s->nrows++] = idx;
    return 0;
}

/* Phase 2 over the kept rows: mark[i] = the predicate holds for row i. */
static int filter_rows(grover_op *s, xenv *x, uint8_t *mark, uint64_t *m, nq_err *e)
{
    int slot = s->base.child[0]->out_slot;
    uint64_t cnt = 0;
    for (size_t i = 0; i < s->nrows; i++) {
        x->slot[slot] = s->rows + i * (size_t)s->width;
        int t, rc = ev_truth(s->cond, x, &t, e);
        if (rc < 0)
            return rc;
        mark[i] = t == 1;
        cnt += t == 1;
    }
    *m = cnt;
    return 0;
}

/* Drop the copies of the rows the predicate rejected; the rest keep their order. */
static void compact(grover_op *s, const uint8_t *mark)
{
    size_t k = 0;
    for (size_t i = 0; i < s->nrows; i++) {
        sqlv *r = s->rows + i * (size_t)s->width;
        if (!mark[i]) {
            rows_clear(r, s->width);
            continue;
        }
        if (k != i)
            memmove(s->rows + k * (size_t)s->width, r, (size_t)s->width * sizeof *r);
        s->midx[k++] = s->midx[i];
    }
    s->nrows = k;
}

/* Position of row index idx among the kept (marked) rows, or -1. */
static long kept_pos(const grover_op *s, uint64_t idx)
{
    size_t lo = 0, hi = s->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->midx[mid] < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nrows && s->midx[lo] == idx ? (long)lo : -1;
}

/* The oracle's check of a measured index: a marked row not found yet. Marks it found. */
static int check(grover_op *s, uint64_t idx)
{
    s->st.checks++;
    long p = kept_pos(s, idx);
    if (p < 0 || s->found[p])
        return 0;
    s->found[p] = 1;
    s->st.found_grover++;
    return 1;
}

/* The marked rows not found yet, as row indices (ascending) into u; their count. */
static size_t unfound(const grover_op *s, uint64_t *u)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nrows; i++)
        if (!s->found[i])
            u[n++] = s->midx[i];
    return n;
}

/* One round: k iterations over the oracle u[0..nu), then shots measurements, each checked.
 * Returns the number of new rows found, or a negative error. */
static int round_run(grover_op *s, statevec *sv, nq_rng *rng, const uint64_t *u, size_t nu,
                     uint64_t k, uint64_t shots, uint64_t *outs, nq_err *e)
{
    grover_oracle o = {u, nu, NULL, NULL};
    grover_result res;
    int rc = grover_search(sv, &o, (int64_t)k, &res, e);
    if (rc < 0)
        return rc;
    if (s->st.rounds == 0) {
        s->st.first_k = k;
        s->st.first_predicted = res.predicted;
        s->st.first_state = res.success;
    }
    s->st.rounds++;
    s->st.iterations += k;
    s->st.device_queries += shots * k;
    s->st.work += sv->dim * (k + 2); /* uniform state, k iterations, the sampling pass */
    if ((rc = statevec_sample(sv, rng, shots, outs, e)) < 0)
        return rc;
    s->st.shots += shots;
    /* outcomes on the round's marked states (outs and u are both ascending), for the
     * measured success rate; then the oracle check of each outcome */
    uint64_t on = 0;
    for (size_t j = 0, i = 0; j < shots; j++) {
        while (i < nu && u[i] < outs[j])
            i++;
        on += i < nu && u[i] == outs[j];
    }
    s->st.hits += on;
    if (s->st.rounds == 1)
        s->st.first_measured = shots ? (double)on / (double)shots : 0;
    int found = 0;
    for (uint64_t j = 0; j < shots; j++)
        found += check(s, outs[j]);
    return found;
}

static uint64_t cap_k(const grover_op *s, uint64_t k)
{
    if (s->opt.max_iterations > 0 && k > (uint64_t)s->opt.max_iterations)
        k = (uint64_t)s->opt.max_iterations;
    return k;
}

/* Phase 3 (see the header). The kept rows are the marked ones; found[] is filled. */
static int search(grover_op *s, xenv *x, nq_err *e)
{
    gstats *st = &s->st;
    statevec *sv = NULL;
    nq_err se;
    nq_err_clear(&se);
    int rc = statevec_new(&sv, (int)st->qubits, STATEVEC_F64, 0, &se);
    if (rc == NQ_ETOOBIG || rc == NQ_ENOMEM) {
        /* the state does not fit: the truth table answers, and EXPLAIN ANALYZE says why */
        snprintf(st->why, sizeof st->why, "classical: %.180s", se.msg);
        return 0;
    }
    if (rc < 0)
        return nq_err_set(e, rc, "%s", se.msg);
    st->searched = 1;
    st->state_bytes = sv->dim * 2 * sizeof(double);
    uint64_t *u = malloc((s->nrows ? s->nrows : 1) * sizeof *u);
    uint64_t *outs = malloc((s->nrows ? s->nrows : 1) * sizeof *outs);
    if (!u || !outs) {
        free(u);
        free(outs);
        statevec_free(sv);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    nq_rng rng;
    nq_rng_seed(&rng, s->opt.seed);
    const double sqrt_dim = sqrt((double)sv->dim);
    double m = 1;
    int misses = 0;
    size_t left = s->nrows;
    if (!s->opt.amplify && left == 0)
        snprintf(st->why, sizeof st->why,
                 "no marked row: the simulator knows M = 0, a device would learn it by quantum counting");
    else
        snprintf(st->why, sizeof st->why, "every marked row found");
    while (rc >= 0) {
        if (!s->opt.amplify && left == 0)
            break;
        /* a round is a long step: it counts as up to 256 operator calls (to the next multiple
         * of 256, where the progress handler is consulted), and nq_interrupt stops the search
         * between rounds */
        x->ticks = (x->ticks | 255) + 1;
        if ((rc = exec_check_interrupt(x, e)) < 0)
            break;
        size_t nu = unfound(s, u);
        uint64_t k, shots;
        if (!s->opt.amplify) {
            k = s->opt.iterations >= 0 ? (uint64_t)s->opt.iterations
                                       : grover_optimal_iterations(sv->dim, nu);
            shots = nu;
        } else {
            k = nq_rng_below(&rng, (uint64_t)ceil(m));
            shots = 1;
        }
        k = cap_k(s, k);
        if (st->work + sv->dim * (k + 2) > GROVER_WORK_BUDGET) {
            snprintf(st->why, sizeof st->why,
                     "the simulation budget of %llu amplitude updates would be exceeded by the next round",
                     (unsigned long long)GROVER_WORK_BUDGET);
            break;
        }
        int got = round_run(s, sv, &rng, u, nu, k, shots, outs, e);
        if (got < 0) {
            rc = got;
            break;
        }
        left -= (size_t)got;
        if (!s->opt.amplify) {
            misses = got ? 0 : misses + 1;
            if (misses >= GROVER_MAX_FAIL_ROUNDS) {
                snprintf(st->why, sizeof st->why, "%d rounds in a row found no new row",
                         GROVER_MAX_FAIL_ROUNDS);
                break;
            }
        } else if (got) {
            m = 1;
            misses = 0;
        } else {
            if (m >= sqrt_dim && ++misses >= GROVER_BBHT_STOP) {
                snprintf(st->why, sizeof st->why,
                         "stop rule: %d misses in a row at m = sqrt(2^n) (the search does not know M)",
                         GROVER_BBHT_STOP);
                break;
            }
            m = m * GROVER_BBHT_LAMBDA < sqrt_dim ? m * GROVER_BBHT_LAMBDA : sqrt_dim;
        }
    }
    free(u);
    free(outs);
    statevec_free(sv);
    return rc < 0 ? rc : 0;
}

static int grover_open(op *o, xenv *x, nq_err *e)
{
    grover_op *s = (grover_op *)o;
    release_rows(s);
    memset(&s->st, 0, sizeof s->st);
    s->loops++;
    const uint64_t limit = (uint64_t)1 << s->opt.max_qubits;
    op *c = o->child[0];
    int slot = c->out_slot;
    int over = 0;
    uint64_t n = 0;
    uint64_t t0 = now_ns(), filter_ns = 0;
    int rc = op_open(c, x, e);
    while (rc >= 0) {
        if ((rc = op_next(c, x, e)) <= 0)
            break;
        sqlv *row = x->slot[slot]; /* the child's current row */
        if (!over && n == limit) {
            /* past the qubit budget: filter what is kept, then filter while reading */
            uint8_t *mark = malloc(s->nrows ? s->nrows : 1);
            if (!mark) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            uint64_t m, f0 = now_ns();
            rc = filter_rows(s, x, mark, &m, e);
            filter_ns += now_ns() - f0;
            if (rc == 0)
                compact(s, mark);
            free(mark);
            if (rc < 0)
                break;
            x->slot[slot] = row;
            over = 1;
        }
        n++;
        if (over) {
            int t;
            uint64_t f0 = now_ns();
            rc = ev_truth(s->cond, x, &t, e);
            filter_ns += now_ns() - f0;
            if (rc == 0 && t == 1)
                rc = keep_row(s, row, n - 1, e);
        } else {
            rc = keep_row(s, row, n - 1, e);
        }
    }
    op_close(c, x);
    if (rc < 0)
        return rc;
    gstats *st = &s->st;
    st->rows = n;
    st->qubits = n ? (uint64_t)qubits_for(n) : 0;
    st->dim = n ? (uint64_t)1 << st->qubits : 0;
    if (over) {
        st->t_read_ns = (double)(now_ns() - t0) - (double)filter_ns;
        st->t_filter_ns = (double)filter_ns;
        st->marked = s->nrows;
        st->found_classical = s->nrows;
        snprintf(st->why, sizeof st->why, "classical: %llu rows need %d qubits, past MAX_QUBITS %d",
                 (unsigned long long)n, qubits_for(n), s->opt.max_qubits);
    } else {
        st->t_read_ns = (double)(now_ns() - t0);
        uint8_t *mark = malloc(s->nrows ? s->nrows : 1);
        if (!mark)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        uint64_t m, f0 = now_ns();
        rc = filter_rows(s, x, mark, &m, e);
        st->t_filter_ns = (double)(now_ns() - f0);
        if (rc == 0)
            compact(s, mark);
        free(mark);
        if (rc < 0)
            return rc;
        st->marked = m;
    }
    s->found = calloc(s->nrows ? s->nrows : 1, 1);
    if (!s->found)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    if (!over && n > 0) {
        uint64_t s0 = now_ns();
        rc = search(s, x, e);
        st->t_sim_ns = (double)(now_ns() - s0);
        if (rc < 0)
            return rc;
    } else if (n == 0) {
        snprintf(st->why, sizeof st->why, "the table is empty");
    }
    /* the classical finish: marked rows the search did not reach */
    uint64_t fin = 0;
    for (size_t i = 0; i < s->nrows; i++)
        if (!s->found[i]) {
            s->found[i] = 1;
            fin++;
        }
    if (!over)
        st->found_classical = fin;
    s->pos = 0;
    return 0;
}

static int grover_next(op *o, xenv *x, nq_err *e)
{
    grover_op *s = (grover_op *)o;
    while (s->pos < s->nrows) {
        size_t i = s->pos++;
        if (s->found[i]) {
            x->slot[o->child[0]->out_slot] = s->rows + i * (size_t)s->width;
            return 1;
        }
    }
    return 0;
}

static void grover_close(op *o, xenv *x) { release_rows((grover_op *)o); }
static void grover_destroy(op *o) { release_rows((grover_op *)o); }

static void grover_describe(const op *o, char *buf, size_t cap)
{
    const grover_op *s = (const grover_op *)o;
    char extra[96] = "";
    if (s->opt.max_iterations > 0)
        snprintf(extra, sizeof extra, ", at most %lld iterations a round",
                 (long long)s->opt.max_iterations);
    else if (s->opt.iterations >= 0)
        snprintf(extra, sizeof extra, ", %lld iterations a round", (long long)s->opt.iterations);
    snprintf(buf, cap, "GROVER SEARCH %s (oracle: the WHERE predicate; %s%s; up to %d qubits = %llu rows)",
             s->t->name,
             s->opt.amplify ? "exponential search, M unknown (BBHT)"
                            : "optimal iterations for the known M",
             extra, s->opt.max_qubits, (unsigned long long)((uint64_t)1 << s->opt.max_qubits));
}

static const op_vt grover_vt = {"grover", grover_open, grover_next, grover_close, grover_destroy,
                                grover_describe};

op *op_grover_new(ast_arena *a, op *child, cat_table *t, bx *cond, const grover_opts *opt)
{
    grover_op *s = ast_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->base.vt = &grover_vt;
    s->base.child[0] = child;
    s->base.nchild = 1;
    s->base.out_slot = -1;
    s->base.ncols = child->ncols;
    s->t = t;
    s->width = t->ncols + 1;
    s->cond = cond;
    s->opt = *opt;
    return &s->base;
}

/* ---- the classical plan in the hint's place ---------------------------------------------- */
static int skip_open(op *o, xenv *x, nq_err *e) { return op_open(o->child[0], x, e); }
static int skip_next(op *o, xenv *x, nq_err *e) { return op_next(o->child[0], x, e); }
static void skip_close(op *o, xenv *x) { op_close(o->child[0], x); }
static void skip_describe(const op *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "CLASSICAL PLAN (no Grover search: %s)", ((const skip_op *)o)->why);
}
static const op_vt skip_vt = {"grover_skip", skip_open, skip_next, skip_close, NULL, skip_describe};

op *op_grover_skip_new(ast_arena *a, op *child, const char *why)
{
    skip_op *s = ast_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->base.vt = &skip_vt;
    s->base.child[0] = child;
    s->base.nchild = 1;
    s->base.out_slot = -1;
    s->base.ncols = child->ncols;
    s->why = why;
    return &s->base;
}

/* ---- EXPLAIN ANALYZE ------------------------------------------------------------------- */
static double ms(double ns) { return ns / 1e6; }

int op_grover_explain(const op *o, int analyze, int depth, char *buf, size_t cap)
{
    if (o->vt != &grover_vt || !analyze || cap == 0)
        return 0;
    const grover_op *s = (const grover_op *)o;
    const gstats *st = &s->st;
    int ind = depth * 2 + (depth ? 3 : 0) + 2;
    size_t n = 0;
#define OUT(...)                                                                              \
    do {                                                                                      \
        if (n < cap) {                                                                        \
            int w_ = snprintf(buf + n, cap - n, __VA_ARGS__);                                 \
            n += w_ > 0 ? (size_t)w_ : 0;                                                     \
        }                                                                                     \
    } while (0)
    if (!st->searched) {
        OUT("%*sGrover: not run (%s); rows=%llu marked=%llu\n", ind, "", st->why,
            (unsigned long long)st->rows, (unsigned long long)st->marked);
        OUT("%*stime: read %.3f ms, classical filter %.3f ms\n", ind, "", ms(st->t_read_ns),
            ms(st->t_filter_ns));
        return n >= cap ? (int)cap - 1 : (int)n;
    }
    OUT("%*sGrover: rows=%llu qubits=%llu states=%llu marked=%llu rounds=%llu shots=%llu iterations=%llu\n",
        ind, "", (unsigned long long)st->rows, (unsigned long long)st->qubits,
        (unsigned long long)st->dim, (unsigned long long)st->marked, (unsigned long long)st->rounds,
        (unsigned long long)st->shots, (unsigned long long)st->iterations);
    OUT("%*sfirst round: k=%llu success probability %.6f (sin^2((2k+1)theta), theta=asin(sqrt(M/2^n))), in the state %.6f, measured %.4f; all rounds: %.4f of the shots on marked rows\n",
        ind, "", (unsigned long long)st->first_k, st->first_predicted, st->first_state,
        st->first_measured, st->shots ? (double)st->hits / (double)st->shots : 0.0);
    OUT("%*soracle calls: %llu quantum queries (shots x iterations, what a device would make), %llu classical checks of measured rows; a classical scan makes %llu\n",
        ind, "", (unsigned long long)st->device_queries, (unsigned long long)st->checks,
        (unsigned long long)st->rows);
    OUT("%*sfound by Grover: %llu rows, finished classically: %llu rows (%s)\n", ind, "",
        (unsigned long long)st->found_grover, (unsigned long long)st->found_classical, st->why);
    OUT("%*stime: read %.3f ms, classical filter %.3f ms (the predicate on all %llu rows), simulation %.3f ms = %.1fx the classical filter (%llu amplitude updates, state %llu KiB)\n",
        ind, "", ms(st->t_read_ns), ms(st->t_filter_ns), (unsigned long long)st->rows,
        ms(st->t_sim_ns), st->t_filter_ns > 0 ? st->t_sim_ns / st->t_filter_ns : 0.0,
        (unsigned long long)st->work, (unsigned long long)(st->state_bytes / 1024));
#undef OUT
    return n >= cap ? (int)cap - 1 : (int)n;
}

int op_grover_json(const op *o, int analyze, char *buf, size_t cap)
{
    if (o->vt != &grover_vt || !analyze || cap == 0)
        return 0;
    const grover_op *s = (const grover_op *)o;
    const gstats *st = &s->st;
    char why[256];
    size_t k = 0;
    for (const char *p = st->why; *p && k < sizeof why - 2; p++) {
        if (*p == '"' || *p == '\\')
            why[k++] = '\\';
        why[k++] = *p;
    }
    why[k] = 0;
    int n = snprintf(buf, cap,
                     ", \"grover\": {\"searched\": %s, \"mode\": \"%s\", \"rows\": %llu, \"qubits\": %llu, "
                     "\"marked\": %llu, \"rounds\": %llu, \"shots\": %llu, \"iterations\": %llu, "
                     "\"first_round_iterations\": %llu, \"success_probability\": %.9g, "
                     "\"state_success_probability\": %.9g, \"first_round_measured\": %.9g, \"hit_rate\": %.9g, "
                     "\"oracle_queries\": %llu, \"oracle_checks\": %llu, \"classical_predicate_evaluations\": %llu, "
                     "\"found_by_grover\": %llu, \"finished_classically\": %llu, \"stop\": \"%s\", "
                     "\"read_ms\": %.3f, \"classical_filter_ms\": %.3f, \"simulation_ms\": %.3f, "
                     "\"amplitude_updates\": %llu, \"state_bytes\": %llu}",
                     st->searched ? "true" : "false", s->opt.amplify ? "bbht" : "known_m",
                     (unsigned long long)st->rows, (unsigned long long)st->qubits,
                     (unsigned long long)st->marked, (unsigned long long)st->rounds,
                     (unsigned long long)st->shots, (unsigned long long)st->iterations,
                     (unsigned long long)st->first_k, st->first_predicted, st->first_state,
                     st->first_measured, st->shots ? (double)st->hits / (double)st->shots : 0.0,
                     (unsigned long long)st->device_queries, (unsigned long long)st->checks,
                     (unsigned long long)st->rows, (unsigned long long)st->found_grover,
                     (unsigned long long)st->found_classical, why, ms(st->t_read_ns),
                     ms(st->t_filter_ns), ms(st->t_sim_ns), (unsigned long long)st->work,
                     (unsigned long long)st->state_bytes);
    return n < 0 ? 0 : (size_t)n >= cap ? (int)cap - 1 : n;
}
