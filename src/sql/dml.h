/*
 * dml.h — compiled INSERT / UPDATE / DELETE statements (exec_dml.c).
 */
#ifndef NQ_SQL_DML_H
#define NQ_SQL_DML_H

#include "sql/compile.h"

enum { DML_INSERT, DML_UPDATE, DML_DELETE };

/* ON CONFLICT clause of an INSERT. */
typedef struct dml_upsert {
    int any;                /* no target: any constraint */
    int ipk;                /* the target is the INTEGER PRIMARY KEY (rowid) */
    cat_index *ix;          /* the target unique index */
    int do_nothing;
    int *set_cols;
    bx **set_exprs;
    int nset;
    bx *where;
} dml_upsert;

typedef struct dml_plan {
    int kind;
    cat_table *t;
    int conflict;           /* TW_ABORT / TW_IGNORE / TW_REPLACE */
    /* INSERT: columns given (map[i] = table column of value i), VALUES rows or a source plan */
    int *map;
    int nmap;
    bx ***rows;
    int nrows;
    op *src;                /* INSERT ... SELECT source, or the UPDATE/DELETE target scan */
    int src_slot;
    bx **dflt;              /* per table column: its DEFAULT (NULL constant if none) */
    /* UPDATE */
    int *set_cols;
    bx **set_exprs;
    int nset;
    int from_join;          /* UPDATE ... FROM: SET values are computed while collecting */
    int truncate;           /* DELETE without WHERE or RETURNING (and no table references t) */
    int referenced;         /* another table's FOREIGN KEY references t: act on deletes/updates */
    /* INSERT ... ON CONFLICT */
    dml_upsert *ups;
    int nups;
    int old_slot, excl_slot; /* DO UPDATE: the existing row, and the proposed one (excluded.*) */
    /* the new row's register (CHECK, RETURNING) */
    int new_slot;
    bx **checks;
    bx **ret;
    const char **ret_names;
    int nret;
} dml_plan;

/* Buffered results: RETURNING rows (nret values each) and the change count. */
typedef struct dml_out {
    sqlv *rows;
    size_t n, cap;
    int64_t changes;
} dml_out;

int dml_compile_insert(cc *c, const ast_insert *ins, dml_plan **out);
int dml_compile_update(cc *c, const ast_update *up, dml_plan **out);
int dml_compile_delete(cc *c, const ast_delete *del, dml_plan **out);
int dml_run(dml_plan *d, xenv *x, dml_out *o, nq_err *e);

#endif
