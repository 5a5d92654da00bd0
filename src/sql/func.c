/*
 * func.c — the function registry: name -> definition for scalars and aggregates.
 *
 * Both tables are static, sorted by lower-case name, and searched with bsearch after the
 * name is folded to lower case into a stack buffer, so lookup is case-insensitive, allocates
 * nothing and holds no state (the tests check that each table is strictly sorted). Aliases
 * (ceil/ceiling, substr/substring, ...) are just more rows pointing at the same C function.
 * The aggregate table lives with the aggregates in func_agg.c; the scalar table is here
 * because it spans every func_*.c file.
 */
#include "sql/func_int.h"

#include <stdlib.h>
#include <string.h>

#define D FN_DETERMINISTIC
#define N FN_NULL_OK

static const fn_scalar_def scalar_defs[] = {
    {"abs", 1, 1, D, fn_abs},
    {"acos", 1, 1, D, fn_acos},
    {"asin", 1, 1, D, fn_asin},
    {"atan", 1, 1, D, fn_atan},
    {"atan2", 2, 2, D, fn_atan2},
    {"cbrt", 1, 1, D, fn_cbrt},
    {"ceil", 1, 1, D, fn_ceil},
    {"ceiling", 1, 1, D, fn_ceil},
    {"coalesce", 1, -1, D | N, fn_coalesce},
    {"cos", 1, 1, D, fn_cos},
    {"cot", 1, 1, D, fn_cot},
    {"degrees", 1, 1, D, fn_degrees},
    {"div", 2, 2, D, fn_div},
    {"exp", 1, 1, D, fn_exp},
    {"floor", 1, 1, D, fn_floor},
    {"glob", 2, 2, D, fn_glob_fn},
    {"greatest", 1, -1, D | N, fn_greatest},
    {"ifnull", 2, 2, D | N, fn_ifnull},
    {"least", 1, -1, D | N, fn_least},
    {"like", 2, 3, D, fn_like_fn},
    {"ln", 1, 1, D, fn_ln},
    {"log", 1, 2, D, fn_log},
    {"log10", 1, 1, D, fn_log10},
    {"log2", 1, 1, D, fn_log2},
    {"mod", 2, 2, D, fn_modf},
    {"nullif", 2, 2, D | N, fn_nullif},
    {"nvl", 2, 2, D | N, fn_ifnull},
    {"pi", 0, 0, D, fn_pi},
    {"pow", 2, 2, D, fn_power},
    {"power", 2, 2, D, fn_power},
    {"radians", 1, 1, D, fn_radians},
    {"rand", 0, 0, 0, fn_random},
    {"random", 0, 0, 0, fn_random},
    {"round", 1, 2, D, fn_round},
    {"sign", 1, 1, D, fn_sign},
    {"sin", 1, 1, D, fn_sin},
    {"sqrt", 1, 1, D, fn_sqrt},
    {"tan", 1, 1, D, fn_tan},
    {"trunc", 1, 2, D, fn_trunc},
    {"truncate", 1, 2, D, fn_trunc},
};

#undef D
#undef N

static const size_t n_scalar_defs = sizeof scalar_defs / sizeof scalar_defs[0];

/* Lower-cases name into buf; 0 if it does not fit (no function has a name that long). */
static int fold_name(const char *name, char *buf, size_t cap)
{
    size_t k = 0;
    for (; name[k]; k++) {
        if (k + 1 >= cap)
            return 0;
        char c = name[k];
        buf[k] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    buf[k] = 0;
    return 1;
}

static int cmp_scalar(const void *key, const void *elem)
{
    return strcmp(key, ((const fn_scalar_def *)elem)->name);
}

static int cmp_agg(const void *key, const void *elem)
{
    return strcmp(key, ((const fn_agg_def *)elem)->name);
}

const fn_scalar_def *fn_scalar_find(const char *name)
{
    char buf[64];
    if (!name || !fold_name(name, buf, sizeof buf))
        return NULL;
    return bsearch(buf, scalar_defs, n_scalar_defs, sizeof scalar_defs[0], cmp_scalar);
}

const fn_agg_def *fn_agg_find(const char *name)
{
    char buf[64];
    if (!name || !fold_name(name, buf, sizeof buf))
        return NULL;
    return bsearch(buf, fn_agg_defs, fn_agg_ndefs, sizeof fn_agg_defs[0], cmp_agg);
}

const fn_scalar_def *fn_scalar_list(size_t *n)
{
    *n = n_scalar_defs;
    return scalar_defs;
}

const fn_agg_def *fn_agg_list(size_t *n)
{
    *n = fn_agg_ndefs;
    return fn_agg_defs;
}
