/*
 * qubo_solve.h — solvers for the sparse QUBO of qubo.h: exhaustive (Gray code), simulated
 * annealing, parallel tempering, tabu search and simulated quantum annealing, and the
 * multi-start driver that runs any of them under a time limit.
 *
 * Every solver is seeded (base/rand.h, xoshiro256**) and reproducible: the same model, options
 * and seed give the same answer, except that a time limit can cut a run at a different point.
 * Each keeps the local fields f_i = lin_i + Σ_j W_ij x_j, so a flip costs O(degree) and the
 * energy is tracked exactly (re-checked against qubo_energy at the end).
 *
 * Ownership: results carry x (n bytes, malloc'd by the solver); free with qubo_result_free.
 * Errors: 0 or a negative NQ_E* code with a message in err (NULL allowed).
 */
#ifndef NQ_QUANTUM_QUBO_SOLVE_H
#define NQ_QUANTUM_QUBO_SOLVE_H

#include "qubo.h"

#define QUBO_EXACT_MAX_VARS 30

typedef enum qubo_solver {
    QUBO_SOLVER_SA,
    QUBO_SOLVER_PT,
    QUBO_SOLVER_TABU,
    QUBO_SOLVER_SQA,
    QUBO_SOLVER_EXACT
} qubo_solver;

typedef struct qubo_options {
    uint64_t seed;        /* default 1 */
    double time_limit;    /* seconds for the multi-start driver; 0 = no limit */
    int restarts;         /* runs for the driver; 0 = until time limit (1 when there is none) */
    int has_target;       /* stop as soon as a state with energy <= target is found */
    double target;
    /* simulated annealing (and the Metropolis sweeps of PT) */
    long sweeps;          /* sweeps per run (SA, PT, SQA); 0 = default per solver */
    double t_hot, t_cold; /* SA temperatures; 0 = derived from the model's local fields */
    /* parallel tempering */
    int replicas;         /* default 16 */
    int adaptive;         /* adjust the ladder toward equal exchange acceptance (default on: 1;
                             -1 = fixed geometric ladder) */
    /* tabu search */
    int tenure;           /* 0 = n/100 + 10, capped at n/4 */
    long stall;           /* iterations without improvement before a restart; 0 = 10·n + 1000 */
    /* simulated quantum annealing */
    int trotter;          /* slices P, default 32 */
    double gamma_hot, gamma_cold; /* transverse field schedule, 0 = derived */
    double sqa_temp;      /* temperature T (the chain runs at P·T); 0 = derived */
    double deadline;      /* qubo_now() time at which a run stops early; 0 = none (qubo_solve
                             sets it from time_limit) */
    /* Asked where the deadline is checked (inside runs and between them): nonzero stops the
     * search like the deadline, keeping the best state so far. NULL = never (the default).
     * The SQL layer passes the statement's interrupt check. */
    int (*stop)(void *arg);
    void *stop_arg;
} qubo_options;

typedef struct qubo_result {
    int n;
    unsigned char *x;     /* the best state found */
    double energy;        /* qubo_energy(m, x) */
    uint64_t iterations;  /* flips proposed (SA, PT, SQA), moves made (tabu), states (exact) */
    int runs;             /* restarts completed */
    double seconds;       /* wall time */
    double seconds_to_best;
} qubo_result;

void qubo_options_default(qubo_options *o);
void qubo_result_free(qubo_result *r);
const char *qubo_solver_name(qubo_solver s);
/* "sa", "pt", "tabu", "sqa", "exact" -> solver; -1 if unknown. */
int qubo_solver_parse(const char *name);

/* Exhaustive minimum over all 2^n states, n <= QUBO_EXACT_MAX_VARS; ties go to the first state
 * in Gray-code order. */
int qubo_solve_exact(const qubo_model *m, qubo_result *r, nq_err *err);
/* One run of each heuristic from a seeded random start (the driver below restarts them). */
int qubo_solve_sa(const qubo_model *m, const qubo_options *o, qubo_result *r, nq_err *err);
int qubo_solve_pt(const qubo_model *m, const qubo_options *o, qubo_result *r, nq_err *err);
int qubo_solve_tabu(const qubo_model *m, const qubo_options *o, qubo_result *r, nq_err *err);
int qubo_solve_sqa(const qubo_model *m, const qubo_options *o, qubo_result *r, nq_err *err);

/* Multi-start: repeat the solver with seeds seed, seed+1, ... until o->restarts runs are done,
 * the time limit passes or the target is reached; returns the best. exact runs once. */
int qubo_solve(const qubo_model *m, qubo_solver s, const qubo_options *o, qubo_result *r,
               nq_err *err);

/* Parallel tempering as a sampler at fixed temperatures temps[0..R) (any order): after burn
 * sweeps, averages the energy at each temperature over `sweeps` sweeps, each followed by an
 * exchange attempt between neighbouring temperatures. mean[k] is ⟨E⟩ at temps[k]; err_out[k]
 * (may be NULL) its standard error by batch means (20 batches). */
int qubo_pt_sample(const qubo_model *m, const double *temps, int R, long burn, long sweeps,
                   uint64_t seed, double *mean, double *err_out, nq_err *err);

/* Seconds on the monotonic clock (for the driver, the CLI and the benchmark). */
double qubo_now(void);

#endif
