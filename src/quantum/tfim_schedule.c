/*
 * tfim_schedule.c — annealing schedules (formulas in tfim_schedule.h).
 */
#include "tfim_schedule.h"

#include <math.h>

int tfim_schedule_check(const tfim_schedule *sc, nq_err *err)
{
    if (!isfinite(sc->g0) || !isfinite(sc->g1))
        return nq_err_set(err, NQ_EINVAL, "schedule end points must be finite");
    switch (sc->kind) {
    case TFIM_SCHED_LINEAR:
        return 0;
    case TFIM_SCHED_EXPONENTIAL:
        if (!(sc->g0 > 0) || !(sc->g1 > 0))
            return nq_err_set(err, NQ_EINVAL, "an exponential schedule needs g0 > 0 and g1 > 0");
        return 0;
    case TFIM_SCHED_POLYNOMIAL:
        if (!(sc->power > 0) || !isfinite(sc->power))
            return nq_err_set(err, NQ_EINVAL, "a polynomial schedule needs a power > 0");
        return 0;
    case TFIM_SCHED_CUSTOM:
        if (!sc->fn)
            return nq_err_set(err, NQ_EINVAL, "a custom schedule needs a callback");
        return 0;
    }
    return nq_err_set(err, NQ_EINVAL, "unknown schedule kind");
}

double tfim_schedule_value(const tfim_schedule *sc, double s)
{
    if (!(s > 0))
        s = 0;
    if (s > 1)
        s = 1;
    switch (sc->kind) {
    case TFIM_SCHED_LINEAR:
        return s == 1 ? sc->g1 : sc->g0 + (sc->g1 - sc->g0) * s;
    case TFIM_SCHED_EXPONENTIAL:
        return s == 1 ? sc->g1 : sc->g0 * pow(sc->g1 / sc->g0, s);
    case TFIM_SCHED_POLYNOMIAL:
        return sc->g1 + (sc->g0 - sc->g1) * pow(1 - s, sc->power);
    case TFIM_SCHED_CUSTOM:
        return sc->fn(s, sc->arg);
    }
    return NAN;
}

double tfim_schedule_step(const tfim_schedule *sc, long k, long steps)
{
    if (steps <= 1)
        return tfim_schedule_value(sc, 0);
    return tfim_schedule_value(sc, (double)k / (double)(steps - 1));
}
