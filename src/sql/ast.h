/*
 * ast.h — the syntax tree of QSQL statements, and the arena it lives in.
 *
 * Every node and every string of a parse comes from one ast_arena (a chain of malloc'd
 * blocks, bump-allocated) and is freed by ast_arena_free in one call; nodes never own memory
 * of their own, so a failed parse leaks nothing and the binder/planner may keep pointers into
 * the tree for as long as they keep the arena.
 *
 * Shape. Expressions are one struct (ast_expr) tagged by kind; the fields a kind uses are
 * listed next to it. Queries are ast_select nodes: a SELECT core, a VALUES list, or a
 * compound (UNION/INTERSECT/EXCEPT) of two queries; WITH, ORDER BY, LIMIT and OFFSET hang on
 * the node they apply to (the outermost one of a compound). FROM is a tree of ast_from nodes
 * (tables, derived tables, joins). Every other statement has its own struct, reached through
 * the union of ast_stmt. Lists (ast_list) are arrays of pointers.
 *
 * Names: unquoted identifiers are folded to lower case by the parser, "quoted" ones keep
 * their case; either way the tree holds the name itself (no quotes) — the printer re-quotes
 * where needed. Type names are upper case.
 *
 * ast_to_sql prints a tree as canonical QSQL: keywords upper case, every operator application
 * parenthesised, so that parse(print(t)) has the same print (tests rely on this).
 */
#ifndef NQ_SQL_AST_H
#define NQ_SQL_AST_H

#include <stddef.h>
#include <stdint.h>

/* ---- arena ---------------------------------------------------------------------------- */
typedef struct ast_arena ast_arena;

ast_arena *ast_arena_new(void);            /* NULL when out of memory */
void ast_arena_free(ast_arena *a);         /* NULL is fine */
void *ast_alloc(ast_arena *a, size_t n);   /* zeroed, 8-aligned; NULL when out of memory */
char *ast_strndup(ast_arena *a, const char *s, size_t n);
size_t ast_arena_used(const ast_arena *a); /* bytes handed out (tests, statistics) */

typedef struct ast_list {
    void **v;
    int n, cap;
} ast_list;
/* Appends (growing inside the arena); 0 or -1 when out of memory. */
int ast_list_push(ast_arena *a, ast_list *l, void *item);

/* ---- expressions ---------------------------------------------------------------------- */
typedef enum ast_expr_kind {
    AST_E_NULL,
    AST_E_INT,      /* ival */
    AST_E_REAL,     /* rval; text = literal as written */
    AST_E_STRING,   /* text (decoded), len */
    AST_E_BLOB,     /* text = bytes, len */
    AST_E_BOOL,     /* ival 0/1 */
    AST_E_DNA,      /* text = bases, upper case */
    AST_E_DEFAULT,  /* DEFAULT inside VALUES */
    AST_E_PARAM,    /* text = as written ("?", "?3", "$1", ":name"); ival = number or 0 */
    AST_E_COLUMN,   /* schema.table.name: name, table, schema (NULL when absent); ival = 1 for
                       a lone "quoted" name (SQLite reads it as a string when no column matches) */
    AST_E_STAR,     /* * or table.* (table) */
    AST_E_UNARY,    /* op, a */
    AST_E_BINARY,   /* op, a, b */
    AST_E_BETWEEN,  /* a BETWEEN b AND c; not */
    AST_E_IN_LIST,  /* a IN (list); not */
    AST_E_IN_SELECT,/* a IN (sub); not */
    AST_E_IN_TABLE, /* a IN table (SQLite); not, name/table */
    AST_E_LIKE,     /* a op b [ESCAPE c]; op = AST_LIKE..; not */
    AST_E_EXISTS,   /* EXISTS (sub) */
    AST_E_SUBQUERY, /* (sub) */
    AST_E_CASE,     /* CASE [a] WHEN list[2i] THEN list[2i+1] ... [ELSE c] END */
    AST_E_CAST,     /* CAST(a AS type); pg_cast = written as a::type */
    AST_E_FUNC,     /* name(list), distinct, star (f(*)), filter = b, over; noparens for
                       CURRENT_DATE & co */
    AST_E_ARRAY,    /* [list] */
    AST_E_ROW,      /* (list), two or more */
    AST_E_COLLATE,  /* a COLLATE name */
    AST_E_INTERVAL, /* INTERVAL a [unit] (unit in name, upper case, may be NULL) */
    AST_E_EXTRACT,  /* EXTRACT(name FROM a) */
} ast_expr_kind;

typedef enum ast_op {
    AST_OP_NONE,
    /* binary */
    AST_OP_OR, AST_OP_AND,
    AST_OP_EQ, AST_OP_NE, AST_OP_LT, AST_OP_LE, AST_OP_GT, AST_OP_GE,
    AST_OP_IS, AST_OP_IS_NOT, AST_OP_IS_DISTINCT, AST_OP_IS_NOT_DISTINCT,
    AST_OP_BITAND, AST_OP_BITOR, AST_OP_LSHIFT, AST_OP_RSHIFT,
    AST_OP_CONCAT,
    AST_OP_ADD, AST_OP_SUB, AST_OP_MUL, AST_OP_DIV, AST_OP_MOD,
    /* unary */
    AST_OP_NOT, AST_OP_NEG, AST_OP_PLUS, AST_OP_BITNOT,
    /* AST_E_LIKE */
    AST_OP_LIKE, AST_OP_ILIKE, AST_OP_GLOB, AST_OP_REGEXP, AST_OP_MATCH,
} ast_op;

typedef struct ast_type ast_type;
typedef struct ast_select ast_select;
typedef struct ast_window ast_window;

typedef struct ast_expr {
    ast_expr_kind kind;
    ast_op op;
    uint32_t line, col; /* where the expression starts */
    int not_;           /* NOT BETWEEN / NOT IN / NOT LIKE */
    int distinct;       /* f(DISTINCT x) */
    int star;           /* count(*) */
    int noparens;       /* CURRENT_TIMESTAMP without () */
    int pg_cast;        /* x::type */
    int64_t ival;
    double rval;
    const char *text;
    size_t len;
    const char *name, *table, *schema;
    struct ast_expr *a, *b, *c;
    ast_list list; /* of ast_expr* */
    ast_select *sub;
    ast_type *type;
    ast_window *over; /* window call: OVER name or OVER (...) */
} ast_expr;

/* A column or cast type: name is upper case words joined by one space ("DOUBLE PRECISION",
 * "VARCHAR", "NEURAL_VECTOR"); up to two signed numeric arguments. */
struct ast_type {
    const char *name;
    int nargs;
    int64_t args[2];
};

/* ---- queries -------------------------------------------------------------------------- */
typedef enum ast_dir { AST_DIR_NONE, AST_DIR_ASC, AST_DIR_DESC } ast_dir;
typedef enum ast_nulls { AST_NULLS_NONE, AST_NULLS_FIRST, AST_NULLS_LAST } ast_nulls;

typedef struct ast_order {
    ast_expr *e;
    ast_dir dir;
    ast_nulls nulls;
} ast_order;

typedef enum ast_frame_bound {
    AST_FB_NONE,
    AST_FB_UNBOUNDED_PRECEDING, AST_FB_PRECEDING, AST_FB_CURRENT_ROW, AST_FB_FOLLOWING,
    AST_FB_UNBOUNDED_FOLLOWING,
} ast_frame_bound;
typedef enum ast_frame_unit { AST_FRAME_NONE, AST_FRAME_ROWS, AST_FRAME_RANGE, AST_FRAME_GROUPS }
    ast_frame_unit;
typedef enum ast_frame_exclude {
    AST_EXCL_NONE, AST_EXCL_NO_OTHERS, AST_EXCL_CURRENT_ROW, AST_EXCL_GROUP, AST_EXCL_TIES
} ast_frame_exclude;

/* A window: OVER name (ref only), OVER (spec), or a WINDOW clause entry (name = its name). */
struct ast_window {
    const char *name;    /* WINDOW w AS (...): w; OVER w: w with nothing else */
    const char *base;    /* OVER (w ORDER BY ...): the window it extends */
    int is_ref;          /* OVER w */
    ast_list partition;  /* ast_expr* */
    ast_list order;      /* ast_order* */
    ast_frame_unit unit;
    ast_frame_bound start, end; /* end NONE: "ROWS start" without BETWEEN */
    ast_expr *start_e, *end_e;
    ast_frame_exclude exclude;
};

typedef struct ast_result_col {
    ast_expr *e;
    const char *alias; /* NULL if none */
} ast_result_col;

typedef enum ast_join_type {
    AST_JOIN_INNER,   /* JOIN, INNER JOIN */
    AST_JOIN_LEFT, AST_JOIN_RIGHT, AST_JOIN_FULL,
    AST_JOIN_CROSS,   /* CROSS JOIN */
    AST_JOIN_COMMA,   /* a, b */
    AST_JOIN_QUANTUM, /* a QUANTUM_JOIN b (extension) */
} ast_join_type;

typedef enum ast_from_kind { AST_FROM_TABLE, AST_FROM_SUBQUERY, AST_FROM_JOIN, AST_FROM_FUNC }
    ast_from_kind;

typedef struct ast_from {
    ast_from_kind kind;
    const char *schema, *name; /* TABLE, FUNC (name) */
    const char *alias;
    ast_list alias_cols;       /* SUBQUERY: AS x(a, b): const char* */
    ast_list args;             /* FUNC: ast_expr* */
    ast_select *sub;           /* SUBQUERY */
    ast_join_type jtype;       /* JOIN */
    int natural;
    struct ast_from *left, *right;
    ast_expr *on;
    ast_list using_cols;       /* const char* */
} ast_from;

typedef struct ast_cte {
    const char *name;
    ast_list cols;     /* const char* */
    int materialized;  /* 0 default, 1 MATERIALIZED, -1 NOT MATERIALIZED */
    ast_select *query;
} ast_cte;

typedef struct ast_with {
    int recursive;
    ast_list ctes; /* ast_cte* */
} ast_with;

/* NEUROMATCH clause of a SELECT (extension): NEUROMATCH(pattern) / NEUROMATCH(field, pattern)
 * / NEUROMATCH 'pattern', then [STRENGTH > x] and the feedback options LEARNING_RATE [=] x,
 * HEBBIAN_STRENGTHENING [= bool] in any order (neuromatch_compile.c). */
typedef struct ast_neuromatch {
    ast_expr *field;    /* NULL: all fields */
    ast_expr *pattern;
    ast_expr *strength; /* NULL if absent */
    int legacy;         /* the NEUROMATCH 'p' form */
    ast_list options;   /* ast_option*: LEARNING_RATE, HEBBIAN_STRENGTHENING */
    int inclusive;      /* set by the NEUROMATCH statement: keep score >= strength */
} ast_neuromatch;

/* Options of a Grover search over a table's row-index space (extension): the QUANTUM_SEARCH
 * statement and the USING QUANTUM GROVER hint (docs/quantum.md). A field counts only when its
 * bit is in set. */
enum {
    AST_GROVER_AMPLIFY = 1,   /* [WITH] AMPLITUDE_AMPLIFICATION: exponential search, M unknown */
    AST_GROVER_MAX_ITER = 2,  /* MAX_ITERATIONS n: at most n iterations per round */
    AST_GROVER_ITER = 4,      /* ITERATIONS n: exactly n iterations per round */
    AST_GROVER_MAX_QUBITS = 8,/* MAX_QUBITS n: qubit budget */
    AST_GROVER_SEED = 16      /* SEED n: measurement generator seed */
};
typedef struct ast_grover {
    unsigned set;             /* AST_GROVER_* bits */
    int64_t max_iterations, iterations, max_qubits, seed;
} ast_grover;

typedef enum ast_select_kind { AST_SEL_CORE, AST_SEL_VALUES, AST_SEL_COMPOUND } ast_select_kind;
typedef enum ast_compound_op {
    AST_UNION, AST_UNION_ALL, AST_INTERSECT, AST_INTERSECT_ALL, AST_EXCEPT, AST_EXCEPT_ALL
} ast_compound_op;

struct ast_select {
    ast_select_kind kind;
    ast_with *with;
    /* CORE */
    int distinct; /* 0, 1 DISTINCT, 2 ALL (as written) */
    ast_list cols;      /* ast_result_col* */
    ast_from *from;
    ast_neuromatch *neuromatch;
    ast_expr *where;
    ast_list group_by;  /* ast_expr* */
    ast_expr *having;
    ast_list windows;   /* ast_window* with names */
    int quantum_grover; /* USING QUANTUM GROVER [options] hint (extension): the FROM/WHERE
                           part runs as a Grover search when it can (compile_grover.c) */
    ast_grover grover;
    /* VALUES */
    ast_list rows;      /* ast_list* of ast_expr* */
    /* COMPOUND */
    ast_compound_op op;
    ast_select *left, *right;
    /* any kind */
    ast_list order_by;  /* ast_order* */
    ast_expr *limit, *offset;
    ast_list locking;   /* ast_locking*: FOR UPDATE / FOR SHARE clauses (statement level) */
};

/* SELECT ... FOR UPDATE | FOR NO KEY UPDATE | FOR SHARE | FOR KEY SHARE [OF t, ...]
 * [NOWAIT | SKIP LOCKED]: one entry per clause, in order. */
typedef enum ast_lock_strength {
    AST_LOCK_UPDATE, AST_LOCK_NO_KEY_UPDATE, AST_LOCK_SHARE, AST_LOCK_KEY_SHARE
} ast_lock_strength;
typedef enum ast_lock_wait { AST_LOCK_WAIT, AST_LOCK_NOWAIT, AST_LOCK_SKIP_LOCKED } ast_lock_wait;
typedef struct ast_locking {
    ast_lock_strength strength;
    ast_list of;        /* const char*: tables (names or aliases of the FROM); empty = all */
    ast_lock_wait wait;
} ast_locking;

/* ---- statements ----------------------------------------------------------------------- */
typedef struct ast_qname {
    const char *schema, *name;
} ast_qname;

typedef enum ast_conflict {
    AST_OR_NONE, AST_OR_ROLLBACK, AST_OR_ABORT, AST_OR_FAIL, AST_OR_IGNORE, AST_OR_REPLACE
} ast_conflict;

typedef struct ast_set {
    ast_list cols; /* const char*: one, or several for (a, b) = (...) */
    ast_expr *e;
} ast_set;

typedef struct ast_upsert {
    ast_list target;        /* ast_order* (indexed columns/expressions); empty: any */
    ast_expr *target_where;
    int do_nothing;
    ast_list sets;          /* ast_set* */
    ast_expr *where;
} ast_upsert;

typedef struct ast_insert {
    ast_with *with;
    ast_conflict or_action;
    int replace_into;       /* REPLACE INTO */
    ast_qname table;
    const char *alias;
    ast_list cols;          /* const char* */
    ast_select *source;     /* VALUES or SELECT; NULL = DEFAULT VALUES */
    ast_list upserts;       /* ast_upsert* */
    ast_list returning;     /* ast_result_col* */
} ast_insert;

typedef struct ast_update {
    ast_with *with;
    ast_conflict or_action;
    ast_qname table;
    const char *alias;
    ast_list sets;          /* ast_set* */
    ast_from *from;
    ast_expr *where;
    ast_list returning;
} ast_update;

typedef struct ast_delete {
    ast_with *with;
    ast_qname table;
    const char *alias;
    ast_expr *where;
    ast_list returning;
} ast_delete;

typedef enum ast_fk_action {
    AST_FK_NONE, AST_FK_CASCADE, AST_FK_SET_NULL, AST_FK_SET_DEFAULT, AST_FK_RESTRICT,
    AST_FK_NO_ACTION
} ast_fk_action;

typedef struct ast_fk {
    ast_qname table;
    ast_list cols;  /* const char* */
    ast_fk_action on_delete, on_update;
    int deferrable; /* 0, 1 DEFERRABLE INITIALLY DEFERRED, 2 DEFERRABLE INITIALLY IMMEDIATE, 3 DEFERRABLE */
} ast_fk;

typedef enum ast_cons_kind {
    AST_CONS_PRIMARY_KEY, AST_CONS_NOT_NULL, AST_CONS_NULL, AST_CONS_UNIQUE, AST_CONS_DEFAULT,
    AST_CONS_CHECK, AST_CONS_REFERENCES, AST_CONS_COLLATE, AST_CONS_AUTOINCREMENT,
    AST_CONS_GENERATED, AST_CONS_COMPRESSION, AST_CONS_FOREIGN_KEY
} ast_cons_kind;

/* Column constraint (applies to its column) or table constraint (cols names the columns). */
typedef struct ast_constraint {
    ast_cons_kind kind;
    const char *name;     /* CONSTRAINT name */
    ast_dir dir;          /* PRIMARY KEY ASC|DESC */
    int autoincrement;    /* PRIMARY KEY AUTOINCREMENT */
    ast_conflict on_conflict;
    ast_expr *e;          /* DEFAULT, CHECK, GENERATED AS */
    int stored;           /* GENERATED ... STORED */
    const char *text;     /* COLLATE name; COMPRESSION algorithm; AUTO_INCREMENT spelling */
    ast_list cols;        /* table PRIMARY KEY/UNIQUE: ast_order*; FOREIGN KEY: const char* */
    ast_fk *fk;           /* REFERENCES, FOREIGN KEY */
} ast_constraint;

typedef struct ast_column_def {
    const char *name;
    ast_type *type;       /* NULL: no type (SQLite allows it) */
    ast_list cons;        /* ast_constraint* */
} ast_column_def;

typedef struct ast_create_table {
    int temp, if_not_exists;
    ast_qname name;
    ast_list cols;        /* ast_column_def* */
    ast_list cons;        /* ast_constraint* (table constraints) */
    ast_select *as_select;
    int without_rowid, strict;
} ast_create_table;

typedef enum ast_object { AST_OBJ_TABLE, AST_OBJ_INDEX, AST_OBJ_VIEW, AST_OBJ_TRIGGER } ast_object;

typedef struct ast_drop {
    ast_object what;
    int if_exists;
    ast_list names;       /* ast_qname* */
    int cascade;          /* 1 CASCADE, 2 RESTRICT */
} ast_drop;

typedef enum ast_alter_kind {
    AST_ALTER_ADD_COLUMN, AST_ALTER_DROP_COLUMN, AST_ALTER_RENAME_COLUMN, AST_ALTER_RENAME_TABLE
} ast_alter_kind;

typedef struct ast_alter {
    ast_qname table;
    ast_alter_kind kind;
    ast_column_def *col;  /* ADD */
    int if_exists;        /* DROP COLUMN IF EXISTS / ADD COLUMN IF NOT EXISTS */
    const char *name;     /* DROP: the column; RENAME COLUMN: old; RENAME TO: new table */
    const char *new_name; /* RENAME COLUMN */
} ast_alter;

typedef struct ast_option {
    const char *name;     /* upper case */
    ast_expr *value;      /* literal, or AST_E_COLUMN for a bare word; NULL if none */
    uint32_t line, col;   /* position of the name */
} ast_option;

typedef struct ast_create_index {
    int unique, if_not_exists, neuromorphic;
    ast_qname name;       /* name.name NULL: unnamed (NEUROMORPHIC only) */
    ast_qname table;
    ast_list items;       /* ast_order* */
    ast_expr *where;
    ast_list options;     /* WITH options (extension): ast_option* */
} ast_create_index;

typedef struct ast_create_view {
    int temp, if_not_exists;
    ast_qname name;
    ast_list cols;        /* const char* */
    ast_select *query;
} ast_create_view;

typedef struct ast_truncate {
    ast_qname table;
    int identity;         /* 1 RESTART IDENTITY, 2 CONTINUE IDENTITY */
    int cascade;          /* 1 CASCADE, 2 RESTRICT */
} ast_truncate;

typedef struct ast_stmt ast_stmt;

typedef enum ast_trig_time { AST_TRIG_BEFORE = 1, AST_TRIG_AFTER, AST_TRIG_INSTEAD_OF } ast_trig_time;
typedef enum ast_trig_event { AST_TRIG_INSERT = 1, AST_TRIG_UPDATE, AST_TRIG_DELETE } ast_trig_event;

typedef struct ast_create_trigger {
    int temp, if_not_exists;
    ast_qname name;
    ast_trig_time time;   /* 0 = unspecified */
    ast_trig_event event;
    ast_list update_cols; /* UPDATE OF a, b: const char* */
    ast_qname table;
    int for_each_row;
    ast_expr *when;
    ast_list body;        /* ast_stmt* */
} ast_create_trigger;

typedef enum ast_txn_mode { AST_TXN_NONE, AST_TXN_DEFERRED, AST_TXN_IMMEDIATE, AST_TXN_EXCLUSIVE }
    ast_txn_mode;

typedef struct ast_txn {
    ast_txn_mode mode;    /* BEGIN */
    int start;            /* written START TRANSACTION */
    int transaction_kw;   /* BEGIN TRANSACTION / COMMIT TRANSACTION written */
    const char *isolation; /* "READ COMMITTED", ... upper case, or NULL */
    const char *access;    /* "READ ONLY" / "READ WRITE" or NULL */
    const char *savepoint; /* ROLLBACK TO, SAVEPOINT, RELEASE */
    int end_kw;           /* written END */
} ast_txn;

/* LOCK [TABLE] t [, ...] [IN mode MODE] [NOWAIT] */
typedef struct ast_lock_table {
    ast_list tables;      /* ast_qname* */
    const char *mode;     /* "ACCESS SHARE" ... "ACCESS EXCLUSIVE" (upper case); NULL = written
                             without IN ... MODE, which is ACCESS EXCLUSIVE */
    int nowait;
} ast_lock_table;

/* SET [SESSION | LOCAL] name {= | TO} value | DEFAULT; SET TIME ZONE is not parsed. */
typedef struct ast_set_var {
    const char *name;     /* lower case */
    const char *value;    /* the value's text (a string's contents, a word, a number); NULL =
                             DEFAULT */
    int local;            /* SET LOCAL */
    int quoted;           /* the value was a string literal */
} ast_set_var;

typedef struct ast_prepare {
    const char *name;
    ast_list types;       /* ast_type* */
    ast_stmt *stmt;
} ast_prepare;

typedef struct ast_execute {
    const char *name;
    ast_list args;        /* ast_expr* */
} ast_execute;

typedef struct ast_explain {
    int analyze, verbose;
    const char *format;   /* "TEXT", "JSON", ... or NULL */
    ast_stmt *stmt;
} ast_explain;

/* ---- extension statements (upstream-qsql.md §8) ---- */
typedef struct ast_ext {
    ast_qname table;      /* NEUROMATCH t, QUANTUM_SEARCH t, COMPRESS TABLE t, LEARN ... FROM t,
                             QUANTUM_JOIN t1 ..., SYNAPTIC_OPTIMIZE [t], ADAPT WEIGHTS [ON t] */
    ast_qname table2;     /* QUANTUM_JOIN t1 t2 */
    ast_expr *pattern;    /* NEUROMATCH t PATTERN e; LEARN PATTERN e */
    ast_expr *where;      /* NEUROMATCH, QUANTUM_SEARCH ... WHERE e */
    ast_expr *on;         /* QUANTUM_JOIN ON e */
    ast_list using_cols;  /* QUANTUM_JOIN USING (cols) */
    ast_grover grover;    /* QUANTUM_SEARCH options */
    const char *algorithm; /* COMPRESS TABLE t USING algorithm (upper case) */
    ast_list options;     /* trailing word/value options: ast_option* */
    ast_list queries;     /* SUPERPOSITION_QUERY: ast_select* */
} ast_ext;

typedef enum ast_stmt_kind {
    AST_SELECT, AST_INSERT, AST_UPDATE, AST_DELETE,
    AST_CREATE_TABLE, AST_DROP, AST_ALTER_TABLE, AST_CREATE_INDEX, AST_CREATE_VIEW,
    AST_TRUNCATE, AST_CREATE_TRIGGER,
    AST_BEGIN, AST_COMMIT, AST_ROLLBACK, AST_SAVEPOINT, AST_RELEASE,
    AST_PREPARE, AST_EXECUTE, AST_DEALLOCATE, AST_EXPLAIN, AST_ANALYZE, AST_SHOW_TABLES,
    AST_DESCRIBE, AST_REINDEX,
    /* extensions: the engine answers "not supported yet: <ast_stmt_name>" until built */
    AST_NEUROMATCH, AST_QUANTUM_SEARCH, AST_QUANTUM_JOIN, AST_SUPERPOSITION_QUERY,
    AST_LEARN_PATTERN, AST_ADAPT_WEIGHTS, AST_SYNAPTIC_OPTIMIZE, AST_COMPRESS_TABLE,
    AST_OPTIMIZE_QUBO,   /* OPTIMIZE QUBO t [option ...]: u.ext (table, options); a query */
    AST_DECOMPRESS_TABLE,   /* DECOMPRESS TABLE t: u.ext (table) */
    AST_SHOW_COMPRESSION,   /* SHOW COMPRESSION STATS FOR t: u.ext (table) */
    /* concurrency (docs/qsql.md "Transactions") */
    AST_LOCK_TABLE,         /* u.lock */
    AST_SET_TRANSACTION,    /* SET TRANSACTION modes: u.txn (isolation, access); SET SESSION
                               CHARACTERISTICS AS TRANSACTION modes: u.txn with start = 1 */
    AST_SET_VAR,            /* u.setvar */
    AST_SHOW_VAR,           /* SHOW name / SHOW TRANSACTION ISOLATION LEVEL: u.name (lower
                               case; the latter is "transaction_isolation") */
    AST_VACUUM,             /* VACUUM [FULL] [t]: u.ext (algorithm "FULL" or NULL, table,
                               options: VERBOSE/FREEZE/ANALYZE/(...) words, refused) */
    AST_STMT_KIND_COUNT
} ast_stmt_kind;

struct ast_stmt {
    ast_stmt_kind kind;
    uint32_t line, col;   /* first token */
    const char *sql;      /* the statement's text in the caller's buffer (not NUL-ended) */
    size_t sql_len;
    union {
        ast_select *select;
        ast_insert *insert;
        ast_update *update;
        ast_delete *del;
        ast_create_table *create_table;
        ast_drop *drop;
        ast_alter *alter;
        ast_create_index *create_index;
        ast_create_view *create_view;
        ast_truncate *truncate;
        ast_create_trigger *create_trigger;
        ast_txn *txn;            /* BEGIN COMMIT ROLLBACK SAVEPOINT RELEASE SET TRANSACTION */
        ast_prepare *prepare;
        ast_execute *execute;
        const char *name;        /* DEALLOCATE (NULL = ALL), ANALYZE/REINDEX [name], DESCRIBE,
                                    SHOW name */
        ast_explain *explain;
        ast_ext *ext;            /* extension statements */
        ast_lock_table *lock;    /* LOCK TABLE */
        ast_set_var *setvar;     /* SET name = value */
    } u;
    ast_qname qname;             /* ANALYZE, REINDEX, DESCRIBE target (name NULL when absent) */
};

/* Statement kind's name as the engine should cite it: "SELECT", "NEUROMATCH", ... */
const char *ast_stmt_name(ast_stmt_kind k);

/* ---- printing ------------------------------------------------------------------------- */
/* Canonical SQL text of a statement / an expression, NUL-terminated, allocated in a (so it
 * lives as long as the tree). NULL when out of memory. */
char *ast_to_sql(ast_arena *a, const ast_stmt *s);
char *ast_expr_to_sql(ast_arena *a, const ast_expr *e);

#endif
