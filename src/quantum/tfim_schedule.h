/*
 * tfim_schedule.h — annealing schedules: how a control parameter (the transverse field
 * Gamma, a temperature) moves from g0 at s = 0 to g1 at s = 1 over the normalised time s.
 *
 *   linear       g0 + (g1 - g0) s
 *   exponential  g0 (g1 / g0)^s          (geometric; g0 and g1 > 0; equal ratios per step)
 *   polynomial   g1 + (g0 - g1) (1 - s)^p (p > 0; p > 1 spends more time at small fields)
 *   custom       a callback f(s, arg)
 *
 * Every schedule hits both end points exactly (the custom one as its callback does); s is
 * clamped to [0, 1]. These are for the annealers (simulated quantum annealing, parallel
 * tempering) that sweep a parameter; nothing here keeps state.
 */
#ifndef NQ_QUANTUM_TFIM_SCHEDULE_H
#define NQ_QUANTUM_TFIM_SCHEDULE_H

#include "base/err.h"

typedef enum tfim_schedule_kind {
    TFIM_SCHED_LINEAR = 0,
    TFIM_SCHED_EXPONENTIAL,
    TFIM_SCHED_POLYNOMIAL,
    TFIM_SCHED_CUSTOM,
} tfim_schedule_kind;

typedef double (*tfim_schedule_fn)(double s, void *arg);

typedef struct tfim_schedule {
    tfim_schedule_kind kind;
    double g0, g1;     /* start and end values */
    double power;      /* polynomial exponent */
    tfim_schedule_fn fn;
    void *arg;
} tfim_schedule;

/* NQ_EINVAL (with a message) for a schedule that cannot be evaluated. */
int tfim_schedule_check(const tfim_schedule *sc, nq_err *err);
/* The value at s (clamped to [0, 1]); the schedule must have passed the check. */
double tfim_schedule_value(const tfim_schedule *sc, double s);
/* The value at step k of steps (s = k / (steps - 1); steps <= 1 gives g0). */
double tfim_schedule_step(const tfim_schedule *sc, long k, long steps);

#endif
