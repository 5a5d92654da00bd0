/*
 * func.c — the function registry: name -> definition for scalars and aggregates.
 *
 * Both tables are static, sorted by lower-case name, and searched with bsearch after the
 * name is folded to lower case into a stack buffer, so lookup is case-insensitive, allocates
 * nothing and holds no state (the tests check that each table is strictly sorted). Aliases
 * (ceil/ceiling, substr/substring, ...) are just more rows pointing at the same C function.
 * The aggregate table lives with the aggregates in func_agg.c; the scalar table is here
 * because it spans every func_*.c file. (Window functions are the executor's:
 * exec_window.c.)
 */
#include "sql/func_int.h"

#include <stdlib.h>
#include <string.h>

#define D FN_DETERMINISTIC
#define N FN_NULL_OK

static const fn_scalar_def scalar_defs[] = {
    {"abs", 1, 1, D, fn_abs},
    {"acos", 1, 1, D, fn_acos},
    {"ascii", 1, 1, D, fn_ascii},
    {"asin", 1, 1, D, fn_asin},
    {"atan", 1, 1, D, fn_atan},
    {"atan2", 2, 2, D, fn_atan2},
    {"btrim", 1, 2, D, fn_trim},
    {"cbrt", 1, 1, D, fn_cbrt},
    {"ceil", 1, 1, D, fn_ceil},
    {"ceiling", 1, 1, D, fn_ceil},
    {"char_length", 1, 1, D, fn_length},
    {"character_length", 1, 1, D, fn_length},
    {"chr", 1, 1, D, fn_chr},
    {"coalesce", 1, -1, D | N, fn_coalesce},
    {"concat", 1, -1, D | N, fn_concat},
    {"concat_ws", 1, -1, D | N, fn_concat_ws},
    {"cos", 1, 1, D, fn_cos},
    {"cot", 1, 1, D, fn_cot},
    {"curdate", 0, 0, 0, fn_current_date},
    {"current_date", 0, 0, 0, fn_current_date},
    {"current_time", 0, 0, 0, fn_current_time},
    {"current_timestamp", 0, 0, 0, fn_now},
    {"curtime", 0, 0, 0, fn_current_time},
    {"date", 1, 1, D, fn_date},
    {"date_add", 2, 3, D, fn_date_add},
    {"date_format", 2, 2, D, fn_date_format},
    {"date_part", 2, 2, D, fn_extract_fn},
    {"date_sub", 2, 3, D, fn_date_sub},
    {"datediff", 2, 2, D, fn_datediff},
    {"datetime", 1, 1, D, fn_timestamp},
    {"day", 1, 1, D, fn_day},
    {"dayofmonth", 1, 1, D, fn_day},
    {"dayofweek", 1, 1, D, fn_dayofweek},
    {"dayofyear", 1, 1, D, fn_dayofyear},
    {"degrees", 1, 1, D, fn_degrees},
    {"div", 2, 2, D, fn_div},
    {"dna_decode", 1, 1, D, fn_dna_decode},
    {"dna_encode", 1, 1, D, fn_dna_encode},
    {"dna_length", 1, 1, D, fn_dna_length},
    {"epoch", 0, 1, 0, fn_unix_timestamp},
    {"exp", 1, 1, D, fn_exp},
    {"extract", 2, 2, D, fn_extract_fn},
    {"floor", 1, 1, D, fn_floor},
    {"format", 1, -1, D | N, fn_printf},
    {"gc_content", 1, 1, D, fn_gc_content},
    {"getdate", 0, 0, 0, fn_now},
    {"glob", 2, 2, D, fn_glob_fn},
    {"greatest", 1, -1, D | N, fn_greatest},
    {"hebbian_learning", 1, 3, D | N, fn_hebbian_learning},
    {"hex", 1, 1, D, fn_hex},
    {"hour", 1, 1, D, fn_hour},
    {"ifnull", 2, 2, D | N, fn_ifnull},
    {"initcap", 1, 1, D, fn_initcap},
    {"instr", 2, 2, D, fn_position},
    {"kmer_similarity", 3, 3, D, fn_kmer_similarity},
    {"last_day", 1, 1, D, fn_last_day},
    {"lcase", 1, 1, D, fn_lower},
    {"least", 1, -1, D | N, fn_least},
    {"left", 2, 2, D, fn_left},
    {"len", 1, 1, D, fn_length},
    {"length", 1, 1, D, fn_length},
    {"like", 2, 3, D, fn_like_fn},
    {"ln", 1, 1, D, fn_ln},
    {"localtime", 0, 0, 0, fn_current_time},
    {"localtimestamp", 0, 0, 0, fn_now},
    {"log", 1, 2, D, fn_log},
    {"log10", 1, 1, D, fn_log10},
    {"log2", 1, 1, D, fn_log2},
    {"lower", 1, 1, D, fn_lower},
    {"lpad", 2, 3, D, fn_lpad},
    {"ltrim", 1, 2, D, fn_ltrim},
    {"make_date", 3, 3, D, fn_make_date},
    {"minute", 1, 1, D, fn_minute},
    {"mod", 2, 2, D, fn_modf},
    {"month", 1, 1, D, fn_month},
    {"neuromatch", 2, 2, D, fn_neuromatch},
    {"now", 0, 0, 0, fn_now},
    {"nullif", 2, 2, D | N, fn_nullif},
    {"nvl", 2, 2, D | N, fn_ifnull},
    {"octet_length", 1, 1, D, fn_octet_length},
    {"pi", 0, 0, D, fn_pi},
    {"position", 2, 2, D, fn_position},
    {"pow", 2, 2, D, fn_power},
    {"power", 2, 2, D, fn_power},
    {"printf", 1, -1, D | N, fn_printf},
    {"quarter", 1, 1, D, fn_quarter},
    {"quote", 1, 1, D | N, fn_quote},
    {"radians", 1, 1, D, fn_radians},
    {"rand", 0, 0, 0, fn_random},
    {"random", 0, 0, 0, fn_random},
    {"repeat", 2, 2, D, fn_repeat},
    {"replace", 3, 3, D, fn_replace},
    {"reverse", 1, 1, D, fn_reverse},
    {"reverse_complement", 1, 1, D, fn_reverse_complement},
    {"right", 2, 2, D, fn_right},
    {"round", 1, 2, D, fn_round},
    {"rpad", 2, 3, D, fn_rpad},
    {"rtrim", 1, 2, D, fn_rtrim},
    {"second", 1, 1, D, fn_second},
    {"sign", 1, 1, D, fn_sign},
    {"sin", 1, 1, D, fn_sin},
    {"split_part", 3, 3, D, fn_split_part},
    {"sqrt", 1, 1, D, fn_sqrt},
    {"starts_with", 2, 2, D, fn_starts_with},
    {"strftime", 2, 2, D, fn_strftime},
    {"strpos", 2, 2, D, fn_position},
    {"substr", 2, 3, D, fn_substr},
    {"substring", 2, 3, D, fn_substr},
    {"synaptic_weight", 1, 2, D | N, fn_synaptic_weight},
    {"sysdate", 0, 0, 0, fn_now},
    {"tan", 1, 1, D, fn_tan},
    {"time", 1, 1, D, fn_time},
    {"timestamp", 1, 1, D, fn_timestamp},
    {"trim", 1, 2, D, fn_trim},
    {"trunc", 1, 2, D, fn_trunc},
    {"truncate", 1, 2, D, fn_trunc},
    {"typeof", 1, 1, D | N, fn_typeof},
    {"ucase", 1, 1, D, fn_upper},
    {"unix_timestamp", 0, 1, 0, fn_unix_timestamp},
    {"upper", 1, 1, D, fn_upper},
    {"utc_date", 0, 0, 0, fn_current_date},
    {"utc_time", 0, 0, 0, fn_current_time},
    {"utc_timestamp", 0, 0, 0, fn_now},
    {"week", 1, 1, D, fn_week},
    {"weekday", 1, 1, D, fn_weekday},
    {"weekofyear", 1, 1, D, fn_week},
    {"year", 1, 1, D, fn_year},
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
