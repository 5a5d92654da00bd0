/*
 * qubo_solve.c — the solver driver (multi-start under a time limit), the exhaustive solver and
 * the helpers every solver shares (see qubo_solve_int.h).
 *
 * Exhaustive search walks all 2^n states in Gray-code order: consecutive states differ in one
 * variable (the lowest set bit of the step counter), so each step is one O(degree) flip with
 * the local fields kept up to date — 2^n·(1 + average degree) operations in all, about a second
 * for n = 25 on a sparse model. The best Gray code is remembered and decoded at the end.
 *
 * The driver runs one solver repeatedly with derived seeds (seed, stream r) and keeps the best
 * run; it stops at the run count, the deadline or the target energy, whichever comes first.
 */
#include "qubo_solve_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double qubo_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void qubo_options_default(qubo_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->adaptive = 1;
}

void qubo_result_free(qubo_result *r)
{
    if (r) {
        free(r->x);
        memset(r, 0, sizeof *r);
    }
}

static const char *const solver_names[] = {"sa", "pt", "tabu", "sqa", "exact"};

const char *qubo_solver_name(qubo_solver s)
{
    return (unsigned)s < 5 ? solver_names[s] : "?";
}

int qubo_solver_parse(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp(name, solver_names[i]))
            return i;
    return -1;
}

double qubo_fields_init(const qubo_model *m, const unsigned char *x, double *f)
{
    double e = m->offset;
    for (int i = 0; i < m->n; i++) {
        double fi = m->lin[i];
        for (size_t k = m->row[i]; k < m->row[i + 1]; k++)
            if (x[m->col[k]])
                fi += m->w[k];
        f[i] = fi;
    }
    for (int i = 0; i < m->n; i++)
        if (x[i])
            e += (m->lin[i] + f[i]) / 2; /* each pair counted from both ends */
    return e;
}

void qubo_descend(const qubo_model *m, unsigned char *x, double *f, double *e)
{
    int again = 1;
    while (again) {
        again = 0;
        for (int i = 0; i < m->n; i++) {
            double d = qubo_delta_f(x, f, i);
            if (d < -1e-12) {
                qubo_flip_f(m, x, f, i);
                *e += d;
                again = 1;
            }
        }
    }
}

void qubo_random_state(nq_rng *rng, unsigned char *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = (unsigned char)(nq_rng_next(rng) >> 63);
}

double qubo_delta_scale(const qubo_model *m, nq_rng *rng)
{
    unsigned char *x = malloc((size_t)m->n);
    double *f = malloc((size_t)m->n * sizeof *f);
    double s = 0;
    if (x && f) {
        qubo_random_state(rng, x, m->n);
        qubo_fields_init(m, x, f);
        for (int i = 0; i < m->n; i++)
            s += fabs(f[i]);
        s /= m->n;
    }
    free(x);
    free(f);
    return s > 0 ? s : 1;
}

int qubo_result_init(qubo_result *r, int n, nq_err *err)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    r->energy = INFINITY;
    r->x = calloc((size_t)n, 1);
    if (!r->x)
        return nq_err_set(err, NQ_ENOMEM, "qubo: out of memory for a state of %d variables", n);
    return 0;
}

uint64_t qubo_seed_mix(uint64_t seed, uint64_t stream)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int qubo_solve_exact(const qubo_model *m, qubo_result *r, nq_err *err)
{
    if (m->n > QUBO_EXACT_MAX_VARS)
        return nq_err_set(err, NQ_ETOOBIG, "exact: %d variables (at most %d)", m->n,
                          QUBO_EXACT_MAX_VARS);
    double t0 = qubo_now();
    int rc = qubo_result_init(r, m->n, err);
    if (rc)
        return rc;
    unsigned char *x = calloc((size_t)m->n, 1);
    double *f = malloc((size_t)m->n * sizeof *f);
    if (!x || !f) {
        free(x);
        free(f);
        qubo_result_free(r);
        return nq_err_set(err, NQ_ENOMEM, "exact: out of memory");
    }
    double e = qubo_fields_init(m, x, f);
    double best = e;
    uint64_t best_code = 0, total = (uint64_t)1 << m->n;
    for (uint64_t k = 1; k < total; k++) {
        int i = __builtin_ctzll(k);
        e += qubo_delta_f(x, f, i);
        qubo_flip_f(m, x, f, i);
        if (e < best) {
            best = e;
            best_code = k ^ (k >> 1);
        }
    }
    for (int i = 0; i < m->n; i++)
        r->x[i] = (unsigned char)((best_code >> i) & 1);
    r->energy = qubo_energy(m, r->x);
    r->iterations = total;
    r->runs = 1;
    r->seconds = r->seconds_to_best = qubo_now() - t0;
    free(x);
    free(f);
    return 0;
}

typedef int (*solver_fn)(const qubo_model *, const qubo_options *, qubo_result *, nq_err *);

int qubo_solve(const qubo_model *m, qubo_solver s, const qubo_options *o, qubo_result *r,
               nq_err *err)
{
    if (s == QUBO_SOLVER_EXACT)
        return qubo_solve_exact(m, r, err);
    solver_fn fn = s == QUBO_SOLVER_SA     ? qubo_solve_sa
                   : s == QUBO_SOLVER_PT   ? qubo_solve_pt
                   : s == QUBO_SOLVER_TABU ? qubo_solve_tabu
                   : s == QUBO_SOLVER_SQA  ? qubo_solve_sqa
                                           : NULL;
    if (!fn)
        return nq_err_set(err, NQ_EINVAL, "qubo: unknown solver %d", (int)s);
    double t0 = qubo_now();
    qubo_options run = *o;
    if (o->time_limit > 0)
        run.deadline = t0 + o->time_limit;
    int runs = o->restarts > 0 ? o->restarts : (o->time_limit > 0 ? 0 : 1);
    int rc = qubo_result_init(r, m->n, err);
    if (rc)
        return rc;
    for (int k = 0; runs == 0 || k < runs; k++) {
        qubo_result one;
        run.seed = qubo_seed_mix(o->seed, (uint64_t)k);
        rc = fn(m, &run, &one, err);
        if (rc) {
            qubo_result_free(r);
            return rc;
        }
        r->iterations += one.iterations;
        r->runs++;
        if (one.energy < r->energy) {
            r->energy = one.energy;
            memcpy(r->x, one.x, (size_t)m->n);
            r->seconds_to_best = qubo_now() - t0;
        }
        qubo_result_free(&one);
        if (o->has_target && r->energy <= o->target)
            break;
        if (qubo_should_stop(&run))
            break;
    }
    r->seconds = qubo_now() - t0;
    return 0;
}
