/*
 * func_null.c — coalesce, nullif, ifnull/nvl: the functions whose whole point is NULL.
 *
 * All three are registered with FN_NULL_OK (they must see NULL arguments) and answer with a
 * borrowed copy of one of their arguments, so they never allocate. nullif compares with
 * sqlv_compare, the same comparison as the = operator: 1 and 1.0 are equal, and values of
 * different classes (1 and '1') are simply not equal.
 */
#include "sql/func_int.h"

int fn_coalesce(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    for (int k = 0; k < argc; k++)
        if (argv[k].type != SQLV_NULL) {
            fn_set_borrowed(out, &argv[k]);
            return 0;
        }
    *out = sqlv_null();
    return 0;
}

int fn_ifnull(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    fn_set_borrowed(out, argv[0].type != SQLV_NULL ? &argv[0] : &argv[1]);
    return 0;
}

int fn_nullif(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    if (sqlv_compare(&argv[0], &argv[1]) == 0)
        *out = sqlv_null();
    else
        fn_set_borrowed(out, &argv[0]);
    return 0;
}
