/*
 * test_catalog.c — the SQL schema: CREATE TABLE/INDEX/VIEW and DROP survive close and reopen
 * exactly, type names map to storage types, every DDL error path answers with its code and
 * message and changes nothing, indexes on filled tables are populated, another connection
 * sees schema changes, drops give back their trees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sqlstore_util.h"

#define DB "catalog_test.db"

static int tree_exists(nq_db *db, const char *name)
{
    nq_tree *t;
    int rc = nq_tree_open(db, name, 0, &t);
    if (rc == 0)
        nq_tree_close(t);
    return rc == 0;
}

static void check_shop_schema(sql_session *s)
{
    cat_table *t = table_of(s, "items");
    assert_non_null(t);
    assert_string_equal(t->name, "items");
    assert_int_equal(t->ncols, 7);
    assert_int_equal(t->ipk, 0);
    assert_int_equal(t->npk, 1);
    assert_int_equal(t->cols[0].type, SQLV_INT);
    assert_int_equal(t->cols[0].pk, 1);
    assert_int_equal(t->cols[1].type, SQLV_TEXT);
    assert_int_equal(t->cols[1].max_chars, 40);
    assert_int_equal(t->cols[1].notnull, 1);
    assert_string_equal(t->cols[1].decl, "VARCHAR(40)");
    assert_int_equal(t->cols[2].type, SQLV_REAL);
    assert_non_null(t->cols[2].dflt);
    assert_int_equal(t->cols[3].type, SQLV_BOOL);
    assert_int_equal(t->cols[4].type, SQLV_NULL);
    assert_int_equal(t->cols[5].type, SQLV_VECTOR);
    assert_int_equal(t->cols[5].project_type, 2);
    assert_int_equal(t->cols[6].type, SQLV_TEXT);
    assert_int_equal(t->cols[6].project_type, 1);
    assert_int_equal(t->nchecks, 1);
    /* automatic unique index, then the created one */
    assert_int_equal(t->nidx, 2);
    assert_string_equal(t->idx[0]->name, "items_name_key");
    assert_int_equal(t->idx[0]->origin, CAT_IDX_UNIQUE);
    assert_int_equal(t->idx[0]->unique, 1);
    assert_string_equal(t->idx[1]->name, "items_by_price");
    assert_int_equal(t->idx[1]->origin, CAT_IDX_CREATED);
    assert_int_equal(t->idx[1]->ncols, 2);
    assert_int_equal(t->idx[1]->cols[0], 2);
    assert_int_equal(t->idx[1]->kcols[0].desc, 1);
    assert_int_equal(t->idx[1]->kcols[0].nulls_first, 1);
    assert_int_equal(t->idx[1]->kcols[1].desc, 0);
    assert_int_equal(t->idx[1]->kcols[1].nulls_first, 0);
    assert_ptr_equal(t->idx[1]->table, t);

    cat_table *o = table_of(s, "ORDERS"); /* lookups fold case */
    assert_non_null(o);
    assert_int_equal(o->ipk, -1);
    assert_int_equal(o->npk, 2);
    assert_int_equal(o->cols[0].pk, 2);
    assert_int_equal(o->cols[1].pk, 1);
    assert_int_equal(o->cols[0].notnull, 1);
    assert_int_equal(o->nidx, 1);
    assert_string_equal(o->idx[0]->name, "orders_pkey");
    assert_int_equal(o->idx[0]->origin, CAT_IDX_PRIMARY);
    assert_int_equal(o->idx[0]->cols[0], 1);
    assert_int_equal(o->nfks, 1);
    assert_string_equal(o->fks[0].parent, "items");
    assert_int_equal(o->fks[0].on_delete, CAT_FK_CASCADE);
    assert_int_equal(o->cols[2].autoinc, 1);
    assert_int_equal(cat_column_find(o, "QTY"), 2);
    assert_int_equal(cat_column_find(o, "nope"), -1);

    cat_view *v = cat_view_find(s->cat, "cheap");
    assert_non_null(v);
    assert_non_null(v->def->query);
    assert_null(cat_view_find(s->cat, "items"));
    assert_non_null(index_of(s, "Items_By_Price"));
}

static void test_roundtrip(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, "
              "price DOUBLE PRECISION DEFAULT 1.5, ok BOOL, anything, v NEURAL_VECTOR(3), "
              "dna DNA_SEQUENCE, CHECK (price >= 0))");
    DDL_OK(s, "CREATE INDEX items_by_price ON items (price DESC, name)");
    DDL_OK(s, "CREATE TABLE Orders (item INT NOT NULL REFERENCES items ON DELETE CASCADE, "
              "customer TEXT, qty SERIAL, PRIMARY KEY (customer, item))");
    DDL_OK(s, "CREATE VIEW cheap AS SELECT name FROM items WHERE price < 2");
    DDL_OK(s, "CREATE TABLE IF NOT EXISTS items (x INT)"); /* no-op */
    check_shop_schema(s);
    int64_t v1 = s->cat->version;
    assert_true(v1 >= 4);
    nq_close(db);

    db = open_db(DB, 0);
    s = sql_session_get(db);
    check_shop_schema(s);
    assert_int_equal(s->cat->version, v1);
    nq_close(db);
}

static void test_types(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE ty (a INT, b BIGINT, c SMALLINT, d SERIAL, e BIGSERIAL, f REAL, "
              "g FLOAT, h DOUBLE, i DECIMAL(10,2), j NUMERIC, k TEXT, l CHAR(3), m JSON, "
              "n BOOLEAN, o DATE, p TIME, q TIMESTAMP, r BLOB, s NEURAL_VECTOR)");
    cat_table *t = table_of(s, "ty");
    static const sqlv_type want[] = {
        SQLV_INT, SQLV_INT, SQLV_INT, SQLV_INT, SQLV_INT, SQLV_REAL, SQLV_REAL, SQLV_REAL,
        SQLV_REAL, SQLV_REAL, SQLV_TEXT, SQLV_TEXT, SQLV_TEXT, SQLV_BOOL, SQLV_DATE, SQLV_TIME,
        SQLV_TIMESTAMP, SQLV_BLOB, SQLV_VECTOR};
    assert_int_equal(t->ncols, 19);
    for (int i = 0; i < 19; i++)
        assert_int_equal(t->cols[i].type, want[i]);
    assert_int_equal(t->cols[3].autoinc, 1);
    assert_int_equal(t->cols[4].autoinc, 1);
    assert_int_equal(t->cols[0].autoinc, 0);
    assert_int_equal(t->cols[11].max_chars, 3);
    assert_int_equal(t->cols[12].project_type, 3);
    DDL_FAIL(s, "CREATE TABLE bad (a FOO)", NQ_EINVAL, "unknown type name: FOO");
    DDL_FAIL(s, "CREATE TABLE bad (a VARCHAR(0))", NQ_EINVAL, "length for type VARCHAR");
    /* INTEGER PRIMARY KEY variants */
    DDL_OK(s, "CREATE TABLE p1 (a BIGINT PRIMARY KEY, b TEXT)");
    assert_int_equal(table_of(s, "p1")->ipk, 0);
    assert_int_equal(table_of(s, "p1")->nidx, 0);
    DDL_OK(s, "CREATE TABLE p2 (a TEXT, b INT, PRIMARY KEY (b))");
    assert_int_equal(table_of(s, "p2")->ipk, 1);
    DDL_OK(s, "CREATE TABLE p3 (a REAL PRIMARY KEY)");
    assert_int_equal(table_of(s, "p3")->ipk, -1);
    assert_int_equal(table_of(s, "p3")->nidx, 1);
    DDL_OK(s, "CREATE TABLE p4 (a INT PRIMARY KEY DESC)");
    assert_int_equal(table_of(s, "p4")->ipk, -1);
    DDL_OK(s, "CREATE TABLE p5 (a INTEGER PRIMARY KEY AUTOINCREMENT, b INT)");
    assert_int_equal(table_of(s, "p5")->ipk, 0);
    assert_int_equal(table_of(s, "p5")->cols[0].autoinc, 1);
    nq_close(db);
}

static void test_errors(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE t (a INT PRIMARY KEY, b TEXT UNIQUE, c INT)");
    DDL_OK(s, "CREATE VIEW v AS SELECT a FROM t");
    int64_t v0 = s->cat->version;
    DDL_FAIL(s, "CREATE TABLE t (x INT)", NQ_EEXIST, "table t already exists");
    DDL_FAIL(s, "CREATE TABLE T (x INT)", NQ_EEXIST, "table t already exists");
    DDL_FAIL(s, "CREATE TABLE v (x INT)", NQ_EEXIST, "view v already exists");
    DDL_FAIL(s, "CREATE TABLE t_pkey2 (x INT, x TEXT)", NQ_EINVAL, "column \"x\" specified more than once");
    DDL_FAIL(s, "CREATE TABLE u (x INT PRIMARY KEY, y INT PRIMARY KEY)", NQ_EINVAL, "multiple primary keys");
    DDL_FAIL(s, "CREATE TABLE u (x INT PRIMARY KEY, y INT, PRIMARY KEY (y))", NQ_EINVAL, "multiple primary keys");
    DDL_FAIL(s, "CREATE TABLE u (x INT, PRIMARY KEY (z))", NQ_EINVAL, "column \"z\" named in key does not exist");
    DDL_FAIL(s, "CREATE TABLE u (x INT, UNIQUE (x, w))", NQ_EINVAL, "column \"w\" named in key does not exist");
    DDL_FAIL(s, "CREATE TABLE u (x INT, FOREIGN KEY (x) REFERENCES t (a, b))", NQ_EINVAL,
             "number of referencing and referenced columns");
    DDL_FAIL(s, "CREATE TABLE u (x INT, FOREIGN KEY (q) REFERENCES t)", NQ_EINVAL, "column \"q\" referenced");
    DDL_FAIL(s, "CREATE TABLE u (x INT GENERATED ALWAYS AS (1) STORED)", NQ_ENOTSUP, "generated columns");
    DDL_FAIL(s, "CREATE TABLE u AS SELECT 1", NQ_ENOTSUP, "CREATE TABLE AS");
    DDL_FAIL(s, "CREATE TEMP TABLE u (x INT)", NQ_ENOTSUP, "temporary tables");
    DDL_FAIL(s, "CREATE TABLE u (x INT) WITHOUT ROWID", NQ_ENOTSUP, "WITHOUT ROWID");
    DDL_FAIL(s, "CREATE TABLE other.u (x INT)", NQ_ESCHEMA, "no such schema: other");
    DDL_FAIL(s, "CREATE TABLE u (x TEXT AUTOINCREMENT)", NQ_EINVAL, "AUTOINCREMENT");
    DDL_FAIL(s, "CREATE INDEX i ON nope (a)", NQ_ESCHEMA, "no such table: nope");
    DDL_FAIL(s, "CREATE INDEX i ON v (a)", NQ_EINVAL, "on view");
    DDL_FAIL(s, "CREATE INDEX i ON t (zz)", NQ_EINVAL, "column \"zz\" named in key does not exist");
    DDL_FAIL(s, "CREATE INDEX i ON t (a) WHERE a > 1", NQ_ENOTSUP, "partial indexes");
    DDL_FAIL(s, "CREATE INDEX i ON t (a + 1)", NQ_ENOTSUP, "expression indexes");
    DDL_FAIL(s, "CREATE INDEX i ON t (a, a)", NQ_EINVAL, "appears twice");
    DDL_FAIL(s, "CREATE INDEX t_b_key ON t (c)", NQ_EEXIST, "relation \"t_b_key\" already exists");
    DDL_FAIL(s, "CREATE VIEW t AS SELECT 1", NQ_EEXIST, "table t already exists");
    DDL_FAIL(s, "DROP TABLE nope", NQ_ESCHEMA, "no such table: nope");
    DDL_FAIL(s, "DROP TABLE t, nope", NQ_ESCHEMA, "no such table: nope");
    DDL_FAIL(s, "DROP INDEX nope", NQ_ESCHEMA, "no such index: nope");
    DDL_FAIL(s, "DROP VIEW t", NQ_EINVAL, "is a table");
    DDL_FAIL(s, "DROP TABLE v", NQ_EINVAL, "is a view");
    DDL_FAIL(s, "DROP INDEX t_b_key", NQ_EINVAL, "because constraint t_b_key on table t requires it");
    DDL_FAIL(s, "DROP TRIGGER tr", NQ_ENOTSUP, "triggers");
    DDL_FAIL(s, "CREATE TABLE \"a\x01b\" (x INT)", NQ_EINVAL, "control characters");
    /* none of the failures changed anything */
    assert_int_equal(s->cat->version, v0);
    assert_non_null(table_of(s, "t"));
    assert_null(table_of(s, "u"));
    assert_int_equal(s->cat->ntables, 1);
    assert_int_equal(table_of(s, "t")->nidx, 1); /* a is the rowid: only b has an index */
    DDL_OK(s, "DROP TABLE IF EXISTS nope");
    DDL_OK(s, "DROP INDEX IF EXISTS nope");
    DDL_OK(s, "CREATE INDEX IF NOT EXISTS t_b_key ON t (c)");
    DDL_OK(s, "CREATE TABLE IF NOT EXISTS v (x INT)"); /* any relation of that name: skipped */
    DDL_OK(s, "CREATE VIEW IF NOT EXISTS t AS SELECT 1");
    assert_non_null(cat_view_find(s->cat, "v"));
    assert_null(cat_view_find(s->cat, "t"));
    assert_int_equal(s->cat->version, v0); /* IF [NOT] EXISTS no-ops do not bump it */
    nq_close(db);
}

static void test_drop(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE a (x INT PRIMARY KEY, y TEXT UNIQUE)");
    DDL_OK(s, "CREATE TABLE b (x INT REFERENCES a)");
    DDL_OK(s, "CREATE INDEX a_y ON a (y)");
    cat_table *t = table_of(s, "a");
    char tt[24], i0[24], i1[24];
    assert_non_null(t);
    snprintf(tt, sizeof tt, "%s", t ? t->tree : "");
    snprintf(i0, sizeof i0, "%s", t ? t->idx[0]->tree : "");
    snprintf(i1, sizeof i1, "%s", t ? t->idx[1]->tree : "");
    assert_true(tree_exists(db, tt) && tree_exists(db, i0) && tree_exists(db, i1));
    DDL_OK(s, "DROP INDEX a_y");
    assert_false(tree_exists(db, i1));
    assert_int_equal(table_of(s, "a")->nidx, 1);
    DDL_OK(s, "DROP TABLE a"); /* referenced by b: allowed for now */
    assert_false(tree_exists(db, tt));
    assert_false(tree_exists(db, i0));
    assert_null(table_of(s, "a"));
    assert_null(index_of(s, "a_y_key"));
    /* the name is free again, and the new table gets a new tree */
    DDL_OK(s, "CREATE TABLE a (z INT)");
    assert_string_not_equal(table_of(s, "a")->tree, tt);
    DDL_OK(s, "CREATE VIEW w AS SELECT 1");
    DDL_OK(s, "DROP VIEW w");
    assert_null((table_of(s, "a"), cat_view_find(s->cat, "w")));
    nq_close(db);
    db = open_db(DB, 0);
    s = sql_session_get(db);
    assert_non_null(table_of(s, "a"));
    assert_int_equal(table_of(s, "a")->ncols, 1);
    assert_null((table_of(s, "a"), cat_view_find(s->cat, "w")));
    nq_close(db);
}

static void test_index_on_filled_table(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE f (id INTEGER PRIMARY KEY, k INT, name TEXT)");
    nq_err e;
    for (int i = 0; i < 200; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "n%d", i % 50);
        sqlv row[3] = {sqlv_null(), i % 7 == 0 ? sqlv_null() : sqlv_int(i), sqlv_text(nm, strlen(nm))};
        assert_int_equal(insert_row(s, "f", row, TW_ABORT, NULL, &e), 0);
    }
    DDL_OK(s, "CREATE INDEX f_name ON f (name)");
    assert_int_equal(count_rows(s, "f"), 200);
    /* unique with NULLs: NULL k values never conflict */
    DDL_OK(s, "CREATE UNIQUE INDEX f_k ON f (k)");
    assert_int_equal(count_rows(s, "f"), 200);
    /* duplicates: the index is not created and nothing is left behind */
    int64_t v = s->cat->version;
    uint64_t trees_before = 0;
    DDL_FAIL(s, "CREATE UNIQUE INDEX f_name_u ON f (name)", NQ_ECONSTRAINT,
             "could not create unique index \"f_name_u\"");
    assert_null(index_of(s, "f_name_u"));
    assert_int_equal(s->cat->version, v);
    (void)trees_before;
    assert_int_equal(table_of(s, "f")->nidx, 2);
    /* same inside an explicit transaction: the statement is undone, the transaction goes on */
    assert_int_equal(sess_begin(s, &e), 0);
    DDL_FAIL(s, "CREATE UNIQUE INDEX f_name_u ON f (name)", NQ_ECONSTRAINT, "could not create");
    assert_null(index_of(s, "f_name_u"));
    DDL_OK(s, "CREATE UNIQUE INDEX f_name_u2 ON f (id, name)");
    assert_int_equal(sess_commit(s, &e), 0);
    assert_non_null(index_of(s, "f_name_u2"));
    assert_int_equal(count_rows(s, "f"), 200);
    nq_close(db);
}

static void test_other_connection(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    nq_db *db2;
    assert_int_equal(nq_clone(db, &db2), 0);
    sql_session *s = sql_session_get(db), *s2 = sql_session_get(db2);
    assert_null(table_of(s2, "x")); /* loads an empty catalog */
    DDL_OK(s, "CREATE TABLE x (a INT)");
    assert_non_null(table_of(s2, "x")); /* the version moved: reloaded */
    DDL_OK(s2, "DROP TABLE x");
    assert_null(table_of(s, "x"));
    /* rolled back DDL on one connection is not seen by the other */
    nq_err e;
    assert_int_equal(sess_begin(s, &e), 0);
    DDL_OK(s, "CREATE TABLE y (a INT)");
    assert_non_null(table_of(s, "y"));
    assert_int_equal(sess_rollback(s, &e), 0);
    assert_null(table_of(s, "y"));
    DDL_OK(s2, "CREATE TABLE z (a INT)");
    assert_non_null(table_of(s, "z"));
    assert_null(table_of(s, "y"));
    nq_close(db2);
    nq_close(db);
}

static int fetch_row(sql_session *s, const char *table, int64_t rowid, sqlv *vals, uint8_t **buf)
{
    nq_err e;
    cat_table *t = table_of(s, table);
    if (!t)
        return NQ_ESCHEMA;
    return tw_fetch(s, t, rowid, vals, buf, &e);
}

static void test_alter(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    nq_err e;
    DDL_OK(s, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, qty INT, note TEXT, "
              "CHECK (qty >= 0))");
    DDL_OK(s, "CREATE INDEX t_qty ON t (qty DESC NULLS LAST)");
    DDL_OK(s, "CREATE TABLE child (pid INT REFERENCES t (id), x INT, FOREIGN KEY (x) REFERENCES t)");
    for (int i = 1; i <= 100; i++) {
        char nm[16], nt[16];
        snprintf(nm, sizeof nm, "n%03d", i);
        snprintf(nt, sizeof nt, "note%d", i);
        sqlv row[4] = {sqlv_int(i), sqlv_text(nm, strlen(nm)), sqlv_int(i % 13),
                       sqlv_text(nt, strlen(nt))};
        assert_int_equal(insert_row(s, "t", row, TW_ABORT, NULL, &e), 0);
    }
    sqlv v[8];
    uint8_t *buf;
    /* ADD COLUMN */
    DDL_OK(s, "ALTER TABLE t ADD COLUMN flag BOOL DEFAULT TRUE");
    DDL_OK(s, "ALTER TABLE t ADD COLUMN c2 INT");
    DDL_FAIL(s, "ALTER TABLE t ADD COLUMN bad INT NOT NULL", NQ_ECONSTRAINT,
             "column \"bad\" of relation \"t\" contains null values");
    DDL_OK(s, "ALTER TABLE t ADD nn REAL NOT NULL DEFAULT -5");
    DDL_FAIL(s, "ALTER TABLE t ADD COLUMN ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP", NQ_ENOTSUP,
             "non-constant default");
    DDL_FAIL(s, "ALTER TABLE t ADD COLUMN name TEXT", NQ_EEXIST, "column \"name\" of relation \"t\" already exists");
    DDL_OK(s, "ALTER TABLE t ADD COLUMN IF NOT EXISTS name TEXT");
    DDL_FAIL(s, "ALTER TABLE t ADD COLUMN k INT PRIMARY KEY", NQ_ENOTSUP, "PRIMARY KEY");
    DDL_FAIL(s, "ALTER TABLE t ADD COLUMN w FOO", NQ_EINVAL, "unknown type name: FOO");
    DDL_FAIL(s, "ALTER TABLE nope ADD COLUMN w INT", NQ_ESCHEMA, "no such table: nope");
    DDL_FAIL(s, "ALTER TABLE t ADD COLUMN u2 INT UNIQUE DEFAULT 1", NQ_ECONSTRAINT, "could not create unique index");
    DDL_OK(s, "ALTER TABLE t ADD COLUMN u INT UNIQUE");
    cat_table *t = table_of(s, "t");
    assert_int_equal(t->ncols, 8);
    assert_int_equal(t->nidx, 3);
    assert_non_null(index_of(s, "t_u_key"));
    assert_int_equal(count_rows(s, "t"), 100);
    assert_int_equal(fetch_row(s, "t", 7, v, &buf), 0);
    assert_true(v[4].type == SQLV_BOOL && v[4].i == 1);
    assert_int_equal(v[5].type, SQLV_NULL);
    assert_true(v[6].type == SQLV_REAL && v[6].r == -5.0);
    assert_int_equal(v[7].type, SQLV_NULL);
    free(buf);
    /* DROP COLUMN */
    DDL_FAIL(s, "ALTER TABLE t DROP COLUMN name", NQ_EINVAL, "index t_name_key uses it");
    DDL_FAIL(s, "ALTER TABLE t DROP COLUMN id", NQ_EINVAL, "part of the primary key");
    DDL_FAIL(s, "ALTER TABLE t DROP COLUMN zz", NQ_ESCHEMA, "column \"zz\" of relation \"t\" does not exist");
    DDL_OK(s, "ALTER TABLE t DROP COLUMN IF EXISTS zz");
    DDL_OK(s, "ALTER TABLE t DROP COLUMN note");
    t = table_of(s, "t");
    assert_int_equal(t->ncols, 7);
    assert_int_equal(cat_column_find(t, "note"), -1);
    assert_int_equal(count_rows(s, "t"), 100);
    assert_int_equal(fetch_row(s, "t", 42, v, &buf), 0);
    assert_true(v[1].type == SQLV_TEXT && v[1].n == 4 && !memcmp(v[1].p, "n042", 4));
    assert_true(v[2].type == SQLV_INT && v[2].i == 42 % 13);
    assert_true(v[3].type == SQLV_BOOL);
    free(buf);
    DDL_FAIL(s, "ALTER TABLE t DROP COLUMN qty", NQ_EINVAL, "index t_qty uses it");
    DDL_OK(s, "DROP INDEX t_qty");
    assert_int_equal(table_of(s, "t")->nchecks, 1);
    DDL_OK(s, "ALTER TABLE t DROP COLUMN qty");
    assert_int_equal(table_of(s, "t")->nchecks, 0); /* the CHECK on qty went with it */
    /* RENAME COLUMN */
    DDL_FAIL(s, "ALTER TABLE t RENAME COLUMN name TO flag", NQ_EEXIST, "already exists");
    DDL_FAIL(s, "ALTER TABLE t RENAME COLUMN nope TO x", NQ_ESCHEMA, "does not exist");
    DDL_OK(s, "ALTER TABLE t RENAME COLUMN name TO title");
    t = table_of(s, "t");
    assert_int_equal(cat_column_find(t, "title"), 1);
    cat_index *ix = index_of(s, "t_name_key");
    assert_non_null(ix);
    assert_int_equal(ix->cols[0], 1);
    sqlv dup[6] = {sqlv_null(), sqlv_text("n001", 4), sqlv_null(), sqlv_null(), sqlv_null(), sqlv_null()};
    assert_int_equal(insert_row(s, "t", dup, TW_ABORT, NULL, &e), NQ_ECONSTRAINT);
    assert_string_equal(e.msg, "duplicate key value violates unique constraint \"t_name_key\"");
    DDL_OK(s, "ALTER TABLE t RENAME COLUMN id TO ident");
    cat_table *c = table_of(s, "child");
    assert_int_equal(c->nfks, 2);
    assert_string_equal(c->fks[0].parent_cols[0], "ident");
    /* RENAME TO */
    DDL_FAIL(s, "ALTER TABLE t RENAME TO child", NQ_EEXIST, "table child already exists");
    DDL_OK(s, "ALTER TABLE t RENAME TO t2");
    assert_null(table_of(s, "t"));
    t = table_of(s, "t2");
    assert_non_null(t);
    assert_int_equal(t->ipk, 0);
    assert_string_equal(table_of(s, "child")->fks[0].parent, "t2");
    assert_string_equal(table_of(s, "child")->fks[1].parent, "t2");
    assert_ptr_equal(index_of(s, "t_name_key")->table, table_of(s, "t2"));
    assert_int_equal(count_rows(s, "t2"), 100);
    nq_close(db);
    db = open_db(DB, 0);
    s = sql_session_get(db);
    t = table_of(s, "t2");
    assert_non_null(t);
    assert_int_equal(t->ncols, 6);
    assert_string_equal(t->cols[0].name, "ident");
    assert_string_equal(t->cols[1].name, "title");
    assert_int_equal(t->nidx, 2);
    assert_int_equal(count_rows(s, "t2"), 100);
    assert_int_equal(fetch_row(s, "t2", 99, v, &buf), 0);
    assert_true(v[1].type == SQLV_TEXT && !memcmp(v[1].p, "n099", 4));
    free(buf);
    nq_close(db);
}

static void test_analyze(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    nq_err e;
    DDL_OK(s, "CREATE TABLE a (x INT, y TEXT)");
    DDL_OK(s, "CREATE INDEX a_xy ON a (x, y DESC)");
    DDL_OK(s, "CREATE TABLE b (z INT)");
    for (int i = 0; i < 300; i++) {
        char y[2] = {(char)('a' + (i / 10) % 3), 0};
        sqlv row[2] = {i % 50 == 0 ? sqlv_null() : sqlv_int(i % 10), sqlv_text(y, 1)};
        assert_int_equal(insert_row(s, "a", row, TW_ABORT, NULL, &e), 0);
    }
    assert_int_equal(table_of(s, "a")->stat_rows, 0);
    int64_t v0 = s->cat->version;
    DDL_OK(s, "ANALYZE a");
    assert_true(s->cat->version > v0);
    cat_table *t = table_of(s, "a");
    assert_int_equal(t->stat_rows, 300);
    cat_index *ix = t->idx[0];
    assert_int_equal(ix->stat_rows, 300);
    assert_non_null(ix->stat_distinct);
    /* x: 0..9 and NULL (i = 0, 50, ...: y is a, c, b, a, c, b) */
    assert_int_equal(ix->stat_distinct[0], 11);
    assert_int_equal(ix->stat_distinct[1], 30 + 3);
    assert_int_equal(table_of(s, "b")->stat_rows, 0);
    DDL_FAIL(s, "ANALYZE nope", NQ_ESCHEMA, "no such table: nope");
    DDL_OK(s, "ANALYZE");
    nq_close(db);
    db = open_db(DB, 0);
    s = sql_session_get(db);
    t = table_of(s, "a");
    assert_int_equal(t->stat_rows, 300);
    assert_int_equal(t->idx[0]->stat_distinct[1], 33);
    /* renaming keeps the statistics; dropping the index drops its own */
    DDL_OK(s, "ALTER TABLE a RENAME TO aa");
    assert_int_equal(table_of(s, "aa")->stat_rows, 300);
    DDL_OK(s, "DROP INDEX a_xy");
    DDL_OK(s, "CREATE INDEX a_xy ON aa (x)");
    assert_int_equal(index_of(s, "a_xy")->stat_rows, 0);
    nq_close(db);
}

/* Damaged schema entries are NQ_ECORRUPT with the entry named, never a crash; removing the
 * entry makes the schema load again. */
static void test_damaged_schema(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE ok (a INT)");
    nq_tree *sch;
    assert_int_equal(nq_tree_open(db, CAT_SCHEMA_TREE, 0, &sch), 0);
    struct {
        sqlv f[6];
        int n;
        const char *want;
    } cases[] = {
        {{sqlv_text("table", 5), sqlv_text("x", 1)}, 2, "too few fields"},
        {{sqlv_text("table", 5), sqlv_text("x", 1), sqlv_text("x", 1), sqlv_int(99),
          sqlv_text("CREATE TABLE x (a INT", 20)}, 5, "syntax error"},
        {{sqlv_text("table", 5), sqlv_text("x", 1), sqlv_text("x", 1), sqlv_int(99),
          sqlv_text("SELECT 1", 8)}, 5, "wrong statement kind"},
        {{sqlv_text("table", 5), sqlv_text("x", 1), sqlv_text("x", 1), sqlv_int(99),
          sqlv_text("CREATE TABLE x (a BADTYPE)", 26)}, 5, "unknown type name"},
        {{sqlv_text("table", 5), sqlv_text("x", 1), sqlv_text("x", 1), sqlv_int(99),
          sqlv_text("CREATE TABLE x (a INT)", 22)}, 5, "cannot be opened"}, /* no tree t99 */
        {{sqlv_text("index", 5), sqlv_text("x", 1), sqlv_text("nope", 4), sqlv_int(98),
          sqlv_text("CREATE INDEX x ON nope (a)", 26)}, 5, "names a missing table"},
        {{sqlv_text("thing", 5), sqlv_text("x", 1), sqlv_text("x", 1), sqlv_int(1),
          sqlv_text("", 0)}, 5, "unknown kind"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *rec;
        size_t rl;
        nq_err e;
        assert_int_equal(rec_encode(cases[i].f, cases[i].n, &rec, &rl, &e), 0);
        assert_int_equal(nq_put(sch, "x", 1, rec, rl, 0), 0);
        free(rec);
        s->cat_invalid = 1; /* as after another connection's change */
        nq_err_clear(&e);
        int rc = sess_catalog(s, &e);
        if (rc != NQ_ECORRUPT || !strstr(e.msg, cases[i].want))
            fprintf(stderr, "case %zu: %d %s\n", i, rc, e.msg);
        assert_int_equal(rc, NQ_ECORRUPT);
        assert_non_null(strstr(e.msg, cases[i].want));
        assert_null(s->cat);
        assert_int_equal(nq_del(sch, "x", 1), 0);
        assert_non_null(table_of(s, "ok"));
    }
    /* a damaged statistics entry is only ignored */
    assert_int_equal(nq_put(sch, "\x01stat:ok", 8, "\xff\xff", 2, 0), 0);
    s->cat_invalid = 1;
    assert_non_null(table_of(s, "ok"));
    assert_int_equal(table_of(s, "ok")->stat_rows, 0);
    nq_tree_close(sch);
    nq_close(db);
}

static void test_rowid_keys(void **state)
{
    (void)state;
    int64_t v[] = {INT64_MIN, -5, -1, 0, 1, 2, 255, 256, INT64_MAX};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t k[8], k2[8];
        cat_rowid_key(v[i], k);
        assert_true(cat_rowid_from_key(k) == v[i]);
        if (i + 1 < sizeof v / sizeof v[0]) {
            cat_rowid_key(v[i + 1], k2);
            assert_true(memcmp(k, k2, 8) < 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rowid_keys),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_index_on_filled_table),
        cmocka_unit_test(test_other_connection),
        cmocka_unit_test(test_alter),
        cmocka_unit_test(test_analyze),
        cmocka_unit_test(test_damaged_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
