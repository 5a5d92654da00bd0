/*
 * crashkit.h — small helpers shared by the crash tests (tests/crash/test_*.c): the scale knob,
 * reading a whole database into a kvm model, and running the integrity check into a string.
 *
 * Trees are addressed by index: tree i is named "t<i>" in the database and is tree i of the
 * model, so a model and a database compare tree by tree.
 */
#ifndef NQ_TEST_CRASHKIT_H
#define NQ_TEST_CRASHKIT_H

#include <stddef.h>
#include <stdint.h>

#include "kvmodel.h"
#include "nqdb.h"

/* NQ_CRASH_SCALE from the environment (default 1; CI under sanitizers or qemu sets ~0.1,
 * a long soak 10 or more). Every crash test multiplies its iteration counts by it. */
double crash_scale(void);
/* max(lo, round(n * crash_scale())). */
uint64_t crash_scaled(uint64_t n, uint64_t lo);
/* An unsigned number from the environment, or dflt when unset or not a number. */
uint64_t crash_env_u64(const char *name, uint64_t dflt);
int crash_env_set(const char *name);

/* "t<i>" (static storage, i < 100). */
const char *crash_tree_name(int i);

/* Read every tree t0..t<ntrees-1> of db into a new model (*out, caller frees). Returns NQ_OK,
 * or the failing call's code with a description in why. Runs in db's open transaction, if
 * any, else in read transactions of its own. */
int crash_db_snapshot(nq_db *db, int ntrees, kvm **out, char *why, size_t whylen);

/* nq_check, with the first problems (and the count) written into buf. Returns nq_check's code. */
int crash_db_check(nq_db *db, char *buf, size_t buflen, uint64_t *problems);

/* Wall-clock seconds since an arbitrary point (monotonic). */
double crash_now(void);

#endif
