/*
 * window.h — window function calls as the compiler hands them to the window operator.
 */
#ifndef NQ_SQL_WINDOW_H
#define NQ_SQL_WINDOW_H

#include "sql/ast.h"
#include "sql/exec.h"

enum {
    WF_AGG = 0, /* an aggregate (sum, count, ...) over the frame */
    WF_ROW_NUMBER, WF_RANK, WF_DENSE_RANK, WF_PERCENT_RANK, WF_CUME_DIST, WF_NTILE,
    WF_LAG, WF_LEAD, WF_FIRST_VALUE, WF_LAST_VALUE, WF_NTH_VALUE
};

typedef struct win_spec {
    int kind;
    const fn_agg_def *agg;   /* WF_AGG */
    int distinct;
    bx **args;
    int nargs;
    bx **part;
    int npart;
    bx **ord;
    int *ord_desc, *ord_nulls_first;
    int nord;
    ast_frame_unit unit;     /* ROWS, RANGE or GROUPS (defaults filled in by the compiler) */
    ast_frame_bound start, end;
    bx *start_e, *end_e;     /* N PRECEDING / FOLLOWING: constant expressions */
    ast_frame_exclude exclude; /* EXCLUDE CURRENT ROW / GROUP / TIES (NONE, NO OTHERS: none) */
} win_spec;

/* The window function of this name (WF_*), or -1; with its argument count range. */
int win_func_kind(const char *name, int *min_args, int *max_args);

/* slots/widths: the registers a row needs after the window (the block's FROM items and its
 * aggregate output), snapshotted per row. */
op *op_window_new(ast_arena *a, op *child, int slot, const win_spec *w, int nw, const int *slots,
                  const int *widths, int nslots);

#endif
