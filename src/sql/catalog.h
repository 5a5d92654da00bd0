/*
 * catalog.h — the SQL schema: tables, columns, indexes and views, kept in the database.
 *
 * Persistence (docs/file-format.md, "SQL schema"). The schema lives in one storage tree,
 * "sql:schema", like SQLite's sqlite_master: one entry per object, key = the object's name
 * (lower case as stored), value = a record (record.h) of
 *     (kind TEXT 'table'|'index'|'view', name TEXT, table TEXT, id INTEGER, sql TEXT)
 * where sql is the canonical CREATE statement (ast_to_sql), re-parsed when the schema is
 * loaded, and id names the object's storage tree: table rows live in "t<id>", index entries in
 * "i<id>" (ids come from the schema tree's sequence, so renaming a table never moves data).
 * A key "\x01version" holds an INTEGER bumped by every schema change; a connection reloads its
 * cached catalog when the version it loaded differs (another connection changed the schema).
 * A key "\x01stat:<index>" holds the ANALYZE statistics of an index, "\x01stat:<table>" of a
 * table; ALTER TABLE rewrites the table's entry with the altered CREATE text.
 *
 * Row layout. A table's tree maps rowid -> record of all columns in declaration order.
 * The rowid key is 8 bytes big-endian with the sign bit flipped (cat_rowid_key), so memcmp
 * order is numeric order. A column declared INTEGER PRIMARY KEY (any integer type name, as a
 * single-column primary key) is the rowid itself (cat_table.ipk); it is also stored in the
 * record, so a row decodes without its key. Any other PRIMARY KEY or UNIQUE constraint gets an
 * automatic unique index. SERIAL / BIGSERIAL / AUTO_INCREMENT / AUTOINCREMENT columns take
 * values from the table tree's sequence (never reused).
 *
 * Index layout. An index tree maps key_encode(indexed values, with each column's ASC/DESC and
 * NULLS placement) ‖ key_encode(rowid as INTEGER) -> empty value. The trailing rowid makes
 * every key unique; a UNIQUE index is checked by seeking the prefix of the indexed values
 * (rows where any indexed value is NULL never conflict, as in PostgreSQL and SQLite).
 *
 * Memory. A catalog owns one ast_arena in which every parsed definition lives; the structs
 * below point into it and stay valid until the catalog is freed (a reload builds a new one).
 */
#ifndef NQ_SQL_CATALOG_H
#define NQ_SQL_CATALOG_H

#include <stdint.h>

#include "nqdb.h"
#include "sql/ast.h"
#include "sql/keycodec.h"
#include "sql/value.h"

#define CAT_SCHEMA_TREE "sql:schema"

typedef struct cat_table cat_table;

typedef struct cat_column {
    const char *name;
    const char *decl;        /* declared type as written, canonical ("VARCHAR(20)"); NULL: none */
    sqlv_type type;          /* values are coerced to this on write; SQLV_NULL = any type */
    int max_chars;           /* VARCHAR(n) / CHAR(n): n; 0 = no limit */
    int notnull;             /* NOT NULL (or part of the PRIMARY KEY) */
    int pk;                  /* 1-based position in the PRIMARY KEY, 0 if not in it */
    int autoinc;             /* SERIAL, BIGSERIAL, AUTO_INCREMENT, AUTOINCREMENT */
    const ast_expr *dflt;    /* DEFAULT expression, or NULL (NULL default) */
    const char *collate;     /* COLLATE name or NULL */
    int project_type;        /* 1: DNA_SEQUENCE, 2: NEURAL_VECTOR, 3: JSON (stored as TEXT/VECTOR) */
    int dna;                 /* CAT_DNA_*: how TEXT values are stored (record.h, REC_T_DNA) */
} cat_column;

/* cat_column.dna. DNA_SEQUENCE columns accept only sequences (A C G T N and the IUPAC codes,
 * either case; anything else is an error naming the column and the position) and store them
 * DNA-coded; a column declared WITH COMPRESSION DNA stores a value DNA-coded when it is a
 * sequence and as plain TEXT otherwise. Either way a value is coded only when that is smaller. */
enum { CAT_DNA_NONE = 0, CAT_DNA_SEQUENCE = 1, CAT_DNA_COMPRESS = 2 };

enum { CAT_IDX_CREATED = 0, CAT_IDX_PRIMARY = 1, CAT_IDX_UNIQUE = 2 };

typedef struct cat_index {
    const char *name;        /* automatic ones: "<table>_pkey", "<table>_<col>_key" */
    int64_t id;
    char tree[24];           /* "i<id>" */
    cat_table *table;
    int ncols;
    int *cols;               /* table column numbers */
    key_col *kcols;          /* per column: DESC and NULLS placement (ASC NULLS LAST default) */
    int unique;
    int origin;              /* CAT_IDX_* */
    const ast_expr *where;   /* partial index predicate, or NULL */
    int neuromorphic;        /* CREATE NEUROMORPHIC INDEX: kept or dropped by learned use
                                (workload_sql.c); stored as that CREATE text */
    /* ANALYZE statistics; all 0 until ANALYZE ran */
    uint64_t stat_rows;      /* entries in the index */
    uint64_t *stat_distinct; /* [k]: distinct prefixes of the first k+1 columns (ncols entries) */
    nq_tree *handle;         /* open tree handle (owned by the catalog) */
} cat_index;

typedef enum cat_fk_action {
    CAT_FK_NO_ACTION = 0, CAT_FK_RESTRICT, CAT_FK_CASCADE, CAT_FK_SET_NULL, CAT_FK_SET_DEFAULT
} cat_fk_action;

typedef struct cat_fk {
    const char *name;        /* CONSTRAINT name or NULL */
    int ncols;
    int *cols;               /* child columns (this table) */
    const char *parent;      /* parent table name */
    const char **parent_cols;/* parent columns; NULL: the parent's primary key */
    cat_fk_action on_delete, on_update;
} cat_fk;

typedef struct cat_check {
    const char *name;        /* CONSTRAINT name or NULL */
    const ast_expr *e;
} cat_check;

struct cat_table {
    const char *name;
    int64_t id;
    char tree[24];           /* "t<id>" */
    int ncols;
    cat_column *cols;
    int ipk;                 /* column that is the rowid (INTEGER PRIMARY KEY), or -1 */
    int npk;                 /* columns in the primary key (0: none) */
    int nidx;
    cat_index **idx;         /* every index of the table, automatic ones first */
    int nchecks;
    cat_check *checks;
    int nfks;
    cat_fk *fks;
    uint64_t stat_rows;      /* ANALYZE row count; 0 until ANALYZE ran */
    const char *pk_name;     /* name of the PRIMARY KEY constraint ("<table>_pkey" unless named;
                                for an INTEGER PRIMARY KEY it has no index but names errors) */
    const ast_create_table *def; /* the parsed definition */
    nq_tree *handle;         /* open tree handle (owned by the catalog) */
};

typedef struct cat_view {
    const char *name;
    const ast_create_view *def; /* columns + query */
} cat_view;

typedef struct catalog {
    nq_db *db;
    ast_arena *arena;
    int64_t version;         /* the schema version this copy was loaded at */
    int ntables, nviews;
    cat_table **tables;
    cat_view **views;
    nq_tree *schema;         /* the "sql:schema" tree (NULL while the database has no schema) */
    struct catalog *retired_next; /* session.c: replaced catalogs kept until the statement ends */
    struct cat_names *names; /* catalog.c: name -> object hash for the lookups below */
} catalog;

/* Load the schema (inside the caller's open transaction). An empty database has an empty
 * catalog (the schema tree is created on the first DDL). */
int cat_load(nq_db *db, catalog **out, nq_err *e);
void cat_free(catalog *c); /* closes the tree handles too; NULL is fine */
/* 1 if the stored schema version differs from c->version (then reload), 0, or an error. */
int cat_stale(catalog *c, nq_err *e);

/* Lookups by name, case-insensitive as SQL identifiers compare after folding; NULL if absent. */
cat_table *cat_table_find(const catalog *c, const char *name);
cat_index *cat_index_find(const catalog *c, const char *name);
cat_view *cat_view_find(const catalog *c, const char *name);
int cat_column_find(const cat_table *t, const char *name); /* column number or -1 */

/* DDL. Each needs an open write transaction (inside a statement bracket), writes the schema
 * tree through the undo log of the session (tablerw.h), so that a failing statement or
 * ROLLBACK TO undoes it, bumps the version, and reloads s->cat from storage: the old catalog
 * stays valid until the outermost statement bracket ends (session.h), then it is freed, and
 * s->cat_gen moves. Errors: NQ_EEXIST "table t already exists" / "relation \"x\" already
 * exists", NQ_ESCHEMA "no such table: t", NQ_EINVAL for definitions that make no sense (two
 * primary keys, unknown column in a constraint, "unknown type name: FOO", ...), NQ_ENOTSUP
 * "not supported yet: ..." (CREATE TABLE AS, TEMP, WITHOUT ROWID, generated columns, partial
 * and expression indexes, triggers). The statement's IF [NOT] EXISTS is honoured here (a
 * no-op does not bump the version). CREATE INDEX fills the index (NQ_ECONSTRAINT "could not
 * create unique index" on duplicates). ALTER TABLE: ADD COLUMN (NOT NULL without a default on
 * a filled table: NQ_ECONSTRAINT; constant defaults are written into existing rows, other
 * defaults on a filled table are NQ_ENOTSUP), DROP COLUMN (refused for columns in an index or
 * the primary key; CHECK/FOREIGN KEY constraints naming it are dropped), RENAME COLUMN,
 * RENAME TO (indexes and other tables' FOREIGN KEYs follow; views are not rewritten). */
struct sql_session;
int cat_create_table(struct sql_session *s, const ast_create_table *def, nq_err *e);
int cat_create_index(struct sql_session *s, const ast_create_index *def, nq_err *e);
int cat_create_view(struct sql_session *s, const ast_create_view *def, nq_err *e);
int cat_drop(struct sql_session *s, const ast_drop *d, nq_err *e);
int cat_alter_table(struct sql_session *s, const ast_alter *a, nq_err *e);
/* ANALYZE: count rows and distinct index prefixes of one table (NULL: every table; an index
 * name analyzes its table). Stored, bumps the version, read back by cat_load. */
int cat_analyze(struct sql_session *s, const char *table, nq_err *e);

/* The rowid key of a table tree. */
void cat_rowid_key(int64_t rowid, uint8_t out[8]);
int64_t cat_rowid_from_key(const uint8_t key[8]);

#endif
