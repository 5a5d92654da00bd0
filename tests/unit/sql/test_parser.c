/*
 * test_parser.c — the QSQL parser and printer.
 *
 *  - the upstream acceptance corpus (reference/upstream-qsql.md §14): groups A–D parse, with
 *    the statement kind pinned; group E is rejected with exact messages and positions;
 *  - every statement form of the grammar parses, and its canonical print is pinned where the
 *    meaning matters (precedence, LIMIT a, b, joins, constraints);
 *  - idempotence: print(parse(print(parse(x)))) == print(parse(x)) for everything above;
 *  - ~20 typical mistakes give exact messages;
 *  - a seeded fuzz loop of random SQL fragments: no crash, and whatever parses round-trips;
 *  - every statement of sqllogictest's select1.test parses (skipped, with a message, when the
 *    shared data directory is not there; NQ_SHARED_DATA names it explicitly).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rand.h"
#include "sql/parser.h"

/* Parse, print, reparse, reprint: the two prints must agree. Returns the first print
 * (malloc'd) of statement i, or NULL on a parse error (msg in err). */
static char *roundtrip(const char *sql, int *nstmts, nq_err *err)
{
    ast_arena *a = ast_arena_new();
    assert_non_null(a);
    parse_result r;
    nq_err_clear(err);
    int rc = parse_sql(a, sql, strlen(sql), &r, err);
    if (rc) {
        assert_true(rc < 0);
        assert_true(err->msg[0] != 0);
        ast_arena_free(a);
        return NULL;
    }
    size_t cap = 256, n = 0;
    char *all = malloc(cap);
    all[0] = 0;
    for (int i = 0; i < r.stmts.n; i++) {
        char *s1 = ast_to_sql(a, r.stmts.v[i]);
        assert_non_null(s1);
        ast_arena *b = ast_arena_new();
        parse_result r2;
        nq_err e2;
        if (parse_sql(b, s1, strlen(s1), &r2, &e2))
            fail_msg("reparse of [%s] (from [%s]) failed: %s", s1, sql, e2.msg);
        assert_int_equal(r2.stmts.n, 1);
        const ast_stmt *s2st = r2.stmts.v[0];
        assert_int_equal(s2st->kind, ((ast_stmt *)r.stmts.v[i])->kind);
        char *s2 = ast_to_sql(b, s2st);
        if (strcmp(s1, s2) != 0)
            fail_msg("not idempotent:\n  in:  %s\n  1st: %s\n  2nd: %s", sql, s1, s2);
        size_t l = strlen(s1);
        while (n + l + 3 > cap)
            all = realloc(all, cap *= 2);
        if (i) {
            memcpy(all + n, "; ", 2);
            n += 2;
        }
        memcpy(all + n, s1, l + 1);
        n += l;
        ast_arena_free(b);
    }
    if (nstmts)
        *nstmts = r.stmts.n;
    ast_arena_free(a);
    return all;
}

static void must_parse(const char *sql)
{
    nq_err e;
    char *s = roundtrip(sql, NULL, &e);
    if (!s)
        fail_msg("[%s] did not parse: %s", sql, e.msg);
    free(s);
}

static void expect_print(const char *sql, const char *want)
{
    nq_err e;
    char *s = roundtrip(sql, NULL, &e);
    if (!s)
        fail_msg("[%s] did not parse: %s", sql, e.msg);
    if (strcmp(s, want) != 0)
        fail_msg("[%s]\n  got:  %s\n  want: %s", sql, s, want);
    free(s);
}

static void expect_error(const char *sql, const char *msg)
{
    nq_err e;
    char *s = roundtrip(sql, NULL, &e);
    if (s)
        fail_msg("[%s] parsed as [%s], want error %s", sql, s, msg);
    if (strcmp(e.msg, msg) != 0)
        fail_msg("[%s]\n  got:  %s\n  want: %s", sql, e.msg, msg);
    assert_int_equal(e.code, SQL_ESYNTAX);
}

static ast_stmt_kind kind_of(const char *sql, ast_arena *a)
{
    parse_result r;
    nq_err e;
    if (parse_sql(a, sql, strlen(sql), &r, &e))
        fail_msg("[%s]: %s", sql, e.msg);
    assert_true(r.stmts.n >= 1);
    return ((ast_stmt *)r.stmts.v[0])->kind;
}

/* ---- upstream corpus ------------------------------------------------------------------- */

typedef struct corpus_entry {
    const char *id, *sql;
    ast_stmt_kind kind;
} corpus_entry;

static const corpus_entry corpus[] = {
    {"A01", "SELECT * FROM users", AST_SELECT},
    {"A02", "SELECT name, age FROM users WHERE age > 30", AST_SELECT},
    {"A03", "SELECT name FROM users WHERE age > 18 AND status = 'active'", AST_SELECT},
    {"A04", "select ID, NAME from USERS where AGE > 25", AST_SELECT},
    {"A05", "SELECT COUNT(*) FROM users", AST_SELECT},
    {"A06", "SELECT name, age FROM customers ORDER BY age DESC LIMIT 5", AST_SELECT},
    {"A07", "SELECT country, COUNT(*) as count FROM customers GROUP BY country ORDER BY count DESC LIMIT 5", AST_SELECT},
    {"A08", "SELECT u.name, COUNT(p.id) as post_count\nFROM users u\nLEFT JOIN posts p ON u.id = p.user_id\nWHERE u.created_at > '2023-01-01'\nGROUP BY u.id, u.name\nHAVING COUNT(p.id) > 5\nORDER BY post_count DESC\nLIMIT 10", AST_SELECT},
    {"A09", "SELECT name, COUNT(*) FROM users GROUP BY name HAVING COUNT(*) > 1", AST_SELECT},
    {"A10", "SELECT * FROM t WHERE a = 1 OR b = 2 AND c = 3", AST_SELECT},
    {"A11", "SELECT * FROM t WHERE name LIKE '%test%'", AST_SELECT},
    {"A12", "SELECT * FROM users WHERE age IN (25, 30, 35)", AST_SELECT},
    {"A13", "SELECT * FROM users WHERE status NOT IN ('inactive', 'banned')", AST_SELECT},
    {"A14", "SELECT DISTINCT pattern_label, COUNT(*) as count FROM biometric_data GROUP BY pattern_label ORDER BY count DESC", AST_SELECT},
    {"A15", "SELECT name, CASE WHEN age < 20 THEN 'Teen' WHEN age < 40 THEN 'Adult' ELSE 'Senior' END FROM users", AST_SELECT},
    {"A16", "SELECT * FROM sessions WHERE last_active < DATE_SUB(NOW(), INTERVAL 30 MINUTE)", AST_SELECT},
    {"A17", "SELECT * FROM users ORDER BY id LIMIT 10 OFFSET 20", AST_SELECT},
    {"B01", "SELECT c.name, o.order_id, o.total_price\nFROM customers c\nJOIN orders o ON c.customer_id = o.customer_id\nLIMIT 10", AST_SELECT},
    {"B02", "SELECT * FROM users u LEFT OUTER JOIN orders o ON u.id = o.user_id", AST_SELECT},
    {"B03", "SELECT * FROM users u RIGHT JOIN orders o ON u.id = o.user_id", AST_SELECT},
    {"B04", "SELECT * FROM users u FULL OUTER JOIN orders o ON u.id = o.user_id", AST_SELECT},
    {"B05", "SELECT * FROM users u CROSS JOIN products p", AST_SELECT},
    {"B06", "SELECT name, age FROM customers\nWHERE age > (SELECT AVG(age) FROM customers)\nLIMIT 10", AST_SELECT},
    {"B07", "SELECT * FROM users WHERE department_id IN (SELECT id FROM departments WHERE active = true)", AST_SELECT},
    {"B08", "SELECT * FROM users u WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id)", AST_SELECT},
    {"B09", "SELECT * FROM (SELECT * FROM users WHERE age > 25) AS adult_users", AST_SELECT},
    {"B10", "WITH RECURSIVE series AS (\n  SELECT 1 as n\n  UNION ALL\n  SELECT n + 1 FROM series WHERE n < 10\n)\nSELECT n FROM series", AST_SELECT},
    {"B11", "SELECT RANK() OVER (PARTITION BY department ORDER BY salary DESC) as dept_rank, name FROM employees", AST_SELECT},
    {"B12", "SELECT name, SUM(salary) OVER (PARTITION BY department) as dept_total FROM employees", AST_SELECT},
    {"C01", "INSERT INTO users (name, age) VALUES ('John', 25)", AST_INSERT},
    {"C02", "INSERT INTO products (name, price) VALUES ('Widget', 19.99), ('Gadget', 29.99)", AST_INSERT},
    {"C03", "INSERT INTO users VALUES (1, \"Alice\", \"alice@example.com\", 30)", AST_INSERT},
    {"C04", "INSERT INTO products (name, price, category) VALUES ('Widget', DEFAULT, 'electronics')", AST_INSERT},
    {"C05", "UPDATE users SET age = 26 WHERE name = 'John'", AST_UPDATE},
    {"C06", "UPDATE accounts SET balance = balance - 100 WHERE id = 1", AST_UPDATE},
    {"C07", "DELETE FROM users WHERE age < 18", AST_DELETE},
    {"C08", "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(100), email VARCHAR(255), age INT)", AST_CREATE_TABLE},
    {"C09", "CREATE TABLE IF NOT EXISTS orders (\n order_id INTEGER PRIMARY KEY,\n customer_id INTEGER NOT NULL,\n product_id INTEGER NOT NULL,\n order_date TEXT,\n quantity INTEGER,\n total_price REAL,\n status TEXT,\n FOREIGN KEY (customer_id) REFERENCES customers(customer_id),\n FOREIGN KEY (product_id) REFERENCES products(product_id)\n)", AST_CREATE_TABLE},
    {"C10", "CREATE INDEX IF NOT EXISTS idx_customers_country ON customers(country)", AST_CREATE_INDEX},
    {"C11", "DROP TABLE IF EXISTS test_data", AST_DROP},
    {"C12", "ALTER TABLE users ADD COLUMN email TEXT DEFAULT 'test@example.com'", AST_ALTER_TABLE},
    {"C13", "TRUNCATE TABLE users RESTART IDENTITY", AST_TRUNCATE},
    {"C14", "BEGIN TRANSACTION;", AST_BEGIN},
    {"C15a", "COMMIT;", AST_COMMIT},
    {"C15b", "ROLLBACK;", AST_ROLLBACK},
    {"C16a", "SAVEPOINT sp1", AST_SAVEPOINT},
    {"C16b", "ROLLBACK TO SAVEPOINT sp1", AST_ROLLBACK},
    {"C16c", "RELEASE SAVEPOINT sp1", AST_RELEASE},
    {"C17a", "PREPARE get_user AS SELECT * FROM users WHERE id = $1", AST_PREPARE},
    {"C17b", "EXECUTE get_user(42)", AST_EXECUTE},
    {"C17c", "DEALLOCATE get_user", AST_DEALLOCATE},
    {"C18", "EXPLAIN ANALYZE SELECT * FROM users WHERE age > 25;", AST_EXPLAIN},
    {"C19", "EXPLAIN (ANALYZE, FORMAT JSON) SELECT id, name FROM users", AST_EXPLAIN},
    {"D01", "NEUROMATCH patterns", AST_NEUROMATCH},
    {"D02", "SELECT * FROM memories NEUROMATCH 'happy childhood' STRENGTH > 0.8", AST_SELECT},
    {"D03", "SELECT * FROM books NEUROMATCH 'Fantasy Magie Abenteuer' STRENGTH > 0.5", AST_SELECT},
    {"D04", "SELECT * FROM users NEUROMATCH('John') WHERE age > 18", AST_SELECT},
    {"D05", "SELECT * FROM users NEUROMATCH(name, 'John')", AST_SELECT},
    {"D06", "SELECT * FROM users WHERE NEUROMATCH(name, 'John') > 0.5", AST_SELECT},
    {"D07", "SELECT u.name, o.amount FROM users u INNER JOIN orders o ON u.id = o.user_id WHERE NEUROMATCH(u.name, 'Test') > 0.3", AST_SELECT},
    {"D08", "SELECT SYNAPTIC_WEIGHT(age) FROM users", AST_SELECT},
    {"D09", "SELECT SYNAPTIC_WEIGHT(name, 'John') as weight FROM users", AST_SELECT},
    {"D10", "SELECT * FROM memories WHERE synaptic_weight > 0.8", AST_SELECT},
    {"D11", "SELECT * FROM connections WHERE HEBBIAN_LEARNING(source, target, 0.5) > 0.3", AST_SELECT},
    {"D12", "QUANTUM_SEARCH quantum_data AMPLITUDE_AMPLIFICATION", AST_QUANTUM_SEARCH},
    {"D13", "SELECT * FROM data WHERE quantum_search('pattern')", AST_SELECT},
    {"D14", "SELECT * FROM table1 QUANTUM_JOIN table2 ON superposition(table1.id, table2.id)", AST_SELECT},
    {"D15", "SELECT * FROM customers WHERE customer_id = 42 USING QUANTUM GROVER", AST_SELECT},
    {"D16", "SELECT * FROM customers WHERE country = 'DE' AND is_premium = 1 USING QUANTUM GROVER LIMIT 10", AST_SELECT},
    {"D17", "SELECT * FROM sequences WHERE dna_sequence = DNA:ATGC", AST_SELECT},
    {"D18", "COMPRESS TABLE logs USING DNA", AST_COMPRESS_TABLE},
    {"D19", "ALTER TABLE users ADD COLUMN notes TEXT WITH COMPRESSION DNA;", AST_ALTER_TABLE},
    {"D20", "CREATE NEUROMORPHIC INDEX idx_biometric_pattern\nON biometric_data(eeg_alpha, eeg_beta, eeg_gamma, eeg_theta)", AST_CREATE_INDEX},
    {"D21", "LEARN PATTERN 'user_preferences' FROM user_interactions ALGORITHM HebbianLearning TRAINING_EPOCHS 50", AST_LEARN_PATTERN},
    {"D22", "ADAPT WEIGHTS RULE STDP LEARNING_RATE 0.01", AST_ADAPT_WEIGHTS},
    {"D23", "QUANTUM_JOIN users orders ON user_id", AST_QUANTUM_JOIN},
};

static void test_corpus_a_to_d(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        ast_arena *a = ast_arena_new();
        if (kind_of(corpus[i].sql, a) != corpus[i].kind)
            fail_msg("%s: wrong statement kind", corpus[i].id);
        ast_arena_free(a);
        must_parse(corpus[i].sql);
    }
    /* intended meaning where the text alone decides it */
    expect_print(corpus[3].sql, "SELECT id, name FROM users WHERE (age > 25)");
    expect_print(corpus[9].sql, "SELECT * FROM t WHERE ((a = 1) OR ((b = 2) AND (c = 3)))");
    expect_print(corpus[5].sql, "SELECT name, age FROM customers ORDER BY age DESC LIMIT 5");
    expect_print("SELECT * FROM users ORDER BY id LIMIT 10 OFFSET 20",
                 "SELECT * FROM users ORDER BY id LIMIT 10 OFFSET 20");
    expect_print("SELECT * FROM users WHERE status NOT IN ('inactive', 'banned')",
                 "SELECT * FROM users WHERE (status NOT IN ('inactive', 'banned'))");
    expect_print("SELECT SYNAPTIC_WEIGHT(name, 'John') as weight FROM users",
                 "SELECT synaptic_weight(name, 'John') AS weight FROM users");
    expect_print("SELECT * FROM customers WHERE country = 'DE' AND is_premium = 1 USING QUANTUM GROVER LIMIT 10",
                 "SELECT * FROM customers WHERE ((country = 'DE') AND (is_premium = 1)) USING QUANTUM GROVER LIMIT 10");
    expect_print("SELECT * FROM sequences WHERE dna_sequence = DNA:atgc",
                 "SELECT * FROM sequences WHERE (dna_sequence = DNA:ATGC)");
    expect_print("SELECT * FROM users WHERE department_id IN (SELECT id FROM departments WHERE active = true)",
                 "SELECT * FROM users WHERE (department_id IN (SELECT id FROM departments WHERE (active = TRUE)))");
    /* C16/C17 as scripts: several statements in one text */
    int n = 0;
    nq_err e;
    char *s = roundtrip("SAVEPOINT sp1; ROLLBACK TO SAVEPOINT sp1; RELEASE SAVEPOINT sp1", &n, &e);
    assert_non_null(s);
    assert_int_equal(n, 3);
    free(s);
    s = roundtrip("PREPARE get_user AS SELECT * FROM users WHERE id = $1;;EXECUTE get_user(42);\n"
                  "DEALLOCATE get_user;", &n, &e);
    assert_non_null(s);
    assert_int_equal(n, 3);
    assert_string_equal(s, "PREPARE get_user AS SELECT * FROM users WHERE (id = $1); EXECUTE get_user(42); DEALLOCATE get_user");
    free(s);
}

static void test_corpus_e(void **state)
{
    (void)state;
    expect_error("INVALID SQL SYNTAX", "near \"INVALID\": syntax error at line 1, column 1");
    expect_error("SELECT", "near end of input: syntax error at line 1, column 7");
    expect_error("SELECT * FROM", "near end of input: syntax error at line 1, column 14");
    /* E03: the empty query is no statement; as a single statement it is an error */
    ast_arena *a = ast_arena_new();
    ast_stmt *st;
    nq_err e;
    assert_int_equal(parse_one(a, "", 0, &st, &e), SQL_ESYNTAX);
    assert_string_equal(e.msg, "empty query");
    assert_int_equal(parse_one(a, " ;; -- nothing\n", 15, &st, &e), SQL_ESYNTAX);
    assert_int_equal(parse_one(a, "SELECT 1;", 9, &st, &e), 0);
    assert_int_equal(st->kind, AST_SELECT);
    assert_int_equal(parse_one(a, "SELECT 1; SELECT 2", 18, &st, &e), SQL_ESYNTAX);
    parse_result r;
    assert_int_equal(parse_sql(a, "", 0, &r, &e), 0);
    assert_int_equal(r.stmts.n, 0);
    ast_arena_free(a);
}

/* ---- precedence ------------------------------------------------------------------------ */

static void test_precedence(void **state)
{
    (void)state;
    static const char *const t[][2] = {
        {"1 + 2 * 3", "(1 + (2 * 3))"},
        {"1 - 2 - 3", "((1 - 2) - 3)"},
        {"1 * 2 + 3 % 4 / 5", "((1 * 2) + ((3 % 4) / 5))"},
        {"a OR b AND c", "(a OR (b AND c))"},
        {"a AND b OR c AND d", "((a AND b) OR (c AND d))"},
        {"NOT a = b", "(NOT (a = b))"},
        {"NOT a AND b", "((NOT a) AND b)"},
        {"NOT NOT a", "(NOT (NOT a))"},
        {"a = b = c", "((a = b) = c)"},
        {"a < b + 1", "(a < (b + 1))"},
        {"'a' || 'b' = 'ab'", "(('a' || 'b') = 'ab')"},
        {"a || b + c", "(a || (b + c))"},
        {"-a * b", "((-a) * b)"},
        {"- - 1", "(-(-1))"},
        {"-a COLLATE nocase", "(-(a COLLATE nocase))"},
        {"~a & b | c", "(((~a) & b) | c)"},
        {"a & b = c", "((a & b) = c)"},
        {"a << 1 + 1", "(a << (1 + 1))"},
        {"x BETWEEN 1 AND 2 AND y", "((x BETWEEN 1 AND 2) AND y)"},
        {"x NOT BETWEEN a + 1 AND b * 2", "(x NOT BETWEEN (a + 1) AND (b * 2))"},
        {"a IS NULL OR b IS NOT NULL", "((a IS NULL) OR (b IS NOT NULL))"},
        {"a ISNULL AND b NOTNULL", "((a IS NULL) AND (b IS NOT NULL))"},
        {"a NOT NULL", "(a IS NOT NULL)"},
        {"a IS DISTINCT FROM b", "(a IS DISTINCT FROM b)"},
        {"a IS NOT DISTINCT FROM b + 1", "(a IS NOT DISTINCT FROM (b + 1))"},
        {"a NOT LIKE 'x%' ESCAPE '\\'", "(a NOT LIKE 'x%' ESCAPE '\\')"},
        {"a GLOB '*x' OR a ILIKE 'y'", "((a GLOB '*x') OR (a ILIKE 'y'))"},
        {"a IN (1, 2) = TRUE", "((a IN (1, 2)) = TRUE)"},
        {"a NOT IN (SELECT b FROM t)", "(a NOT IN (SELECT b FROM t))"},
        {"a IN ()", "(a IN ())"},
        {"a IN t", "(a IN t)"},
        {"1 = NOT 0", "(1 = (NOT 0))"},
        {"NOT EXISTS (SELECT 1)", "(NOT EXISTS (SELECT 1))"},
        {"x::int + 1", "((x)::INT + 1)"},
        {"-x::double precision", "(-(x)::DOUBLE PRECISION)"},
        {"CAST(a + 1 AS VARCHAR(10))", "CAST((a + 1) AS VARCHAR(10))"},
        {"CASE WHEN a THEN 1 WHEN b THEN 2 END", "CASE WHEN a THEN 1 WHEN b THEN 2 END"},
        {"CASE a + 1 WHEN 1 THEN 'x' ELSE 'y' END", "CASE (a + 1) WHEN 1 THEN 'x' ELSE 'y' END"},
        {"(a, b) = (1, 2)", "((a, b) = (1, 2))"},
        {"((a))", "a"},
        {"s.t.c + t.c", "(s.t.c + t.c)"},
        {"count(*) + count(DISTINCT a)", "(count(*) + count(DISTINCT a))"},
        {"[1.0, 2.5, -3]", "[1.0, 2.5, (-3)]"},
        {"'it''s'", "'it''s'"},
        {"X'0aFF'", "X'0AFF'"},
        {"9223372036854775808", "9223372036854775808"},
        {"-9223372036854775808", "(-9223372036854775808)"},
        {"0xFFFFFFFFFFFFFFFF", "0xFFFFFFFFFFFFFFFF"},
        {"? + ? + ?5 + ? + $2 + :n + @m", "(((((($1 + ?) + ?5) + ?) + $2) + :n) + @m)"},
        {"CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"},
        {"\"Mixed Case\" + \"select\"", "(\"Mixed Case\" + \"select\")"},
        {"key + action + level", "((\"key\" + \"action\") + level)"},
        {"left(a, 2) || replace(b, 'x', 'y')", "(left(a, 2) || replace(b, 'x', 'y'))"},
        {"EXTRACT(YEAR FROM d)", "EXTRACT(YEAR FROM d)"},
        {"TRUE AND FALSE OR NULL", "((TRUE AND FALSE) OR NULL)"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char in[512], want[512];
        snprintf(in, sizeof in, "SELECT %s", t[i][0]);
        snprintf(want, sizeof want, "SELECT %s", t[i][1]);
        /* the bare "?" prints as itself; its number is in the tree */
        if (strstr(t[i][0], "? + ?"))
            snprintf(want, sizeof want, "SELECT %s", "(((((? + ?) + ?5) + ?) + $2) + :n) + @m)");
        if (strstr(t[i][0], "? + ?")) {
            ast_arena *a = ast_arena_new();
            parse_result r;
            nq_err e;
            assert_int_equal(parse_sql(a, in, strlen(in), &r, &e), 0);
            ast_expr *x = ((ast_result_col *)((ast_stmt *)r.stmts.v[0])->u.select->cols.v[0])->e;
            /* ((((((?1 + ?2) + ?5) + ?6) + $2) + :n) + @m): bare ? continues after the max */
            assert_int_equal(x->a->a->a->a->a->a->ival, 1);
            assert_int_equal(x->a->a->a->a->a->b->ival, 2);
            assert_int_equal(x->a->a->a->a->b->ival, 5);
            assert_int_equal(x->a->a->a->b->ival, 6);
            ast_arena_free(a);
            must_parse(in);
            continue;
        }
        expect_print(in, want);
    }
}

/* ---- statements ------------------------------------------------------------------------ */

static void test_select_forms(void **state)
{
    (void)state;
    static const char *const t[][2] = {
        {"SELECT 1 UNION SELECT 2 INTERSECT SELECT 3 EXCEPT SELECT 4",
         "SELECT 1 UNION (SELECT 2 INTERSECT SELECT 3) EXCEPT SELECT 4"},
        {"SELECT 1 UNION ALL SELECT 2 ORDER BY 1 LIMIT 1",
         "SELECT 1 UNION ALL SELECT 2 ORDER BY 1 LIMIT 1"},
        {"(SELECT 1 LIMIT 1) UNION (SELECT 2)", "(SELECT 1 LIMIT 1) UNION SELECT 2"},
        {"SELECT a FROM t LIMIT 5, 10", "SELECT a FROM t LIMIT 10 OFFSET 5"},
        {"SELECT a FROM t OFFSET 3 LIMIT 2", "SELECT a FROM t LIMIT 2 OFFSET 3"},
        {"SELECT ALL a AS \"A\", b bee, c AS 'it''s', t.* FROM s.t", "SELECT ALL a AS \"A\", b AS bee, c AS \"it's\", t.* FROM s.t"},
        {"VALUES (1, 'a'), (2, 'b')", "VALUES (1, 'a'), (2, 'b')"},
        {"SELECT * FROM a, b JOIN c USING (id) NATURAL LEFT JOIN d",
         "SELECT * FROM a, b JOIN c USING (id) NATURAL LEFT JOIN d"},
        {"SELECT * FROM a JOIN (b JOIN c ON b.x = c.x) ON a.y = b.y",
         "SELECT * FROM a JOIN (b JOIN c ON (b.x = c.x)) ON (a.y = b.y)"},
        {"SELECT * FROM (a, b) JOIN c", "SELECT * FROM (a, b) JOIN c"},
        {"SELECT * FROM a INNER JOIN b ON 1 RIGHT OUTER JOIN c ON 1 FULL JOIN d ON 1 CROSS JOIN e",
         "SELECT * FROM a JOIN b ON 1 RIGHT JOIN c ON 1 FULL JOIN d ON 1 CROSS JOIN e"},
        {"SELECT x FROM (SELECT 1) s(x)", "SELECT x FROM (SELECT 1) AS s (x)"},
        {"SELECT * FROM generate_series(1, 10) g", "SELECT * FROM generate_series(1, 10) AS g"},
        {"WITH a(x) AS (SELECT 1), b AS NOT MATERIALIZED (SELECT 2) SELECT * FROM a, b",
         "WITH a(x) AS (SELECT 1), b AS NOT MATERIALIZED (SELECT 2) SELECT * FROM a, b"},
        {"SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 1 ORDER BY 2 DESC NULLS FIRST, a ASC NULLS LAST",
         "SELECT a, count(*) FROM t GROUP BY a HAVING (count(*) > 1) ORDER BY 2 DESC NULLS FIRST, a ASC NULLS LAST"},
        {"SELECT sum(x) FILTER (WHERE x > 0) OVER w, row_number() OVER (w ORDER BY y) FROM t WINDOW w AS (PARTITION BY z)",
         "SELECT sum(x) FILTER (WHERE (x > 0)) OVER w, row_number() OVER (w ORDER BY y) FROM t WINDOW w AS (PARTITION BY z)"},
        {"SELECT avg(x) OVER (ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND 2 FOLLOWING EXCLUDE TIES) FROM t",
         "SELECT avg(x) OVER (ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND 2 FOLLOWING EXCLUDE TIES) FROM t"},
        {"SELECT first_value(x) OVER (GROUPS CURRENT ROW) FROM t",
         "SELECT first_value(x) OVER (GROUPS CURRENT ROW) FROM t"},
        {"SELECT DISTINCT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.a = t.a)",
         "SELECT DISTINCT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE (u.a = t.a))"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        expect_print(t[i][0], t[i][1]);
}

static void test_dml_forms(void **state)
{
    (void)state;
    static const char *const t[][2] = {
        {"INSERT INTO t DEFAULT VALUES", "INSERT INTO t DEFAULT VALUES"},
        {"INSERT INTO t(a, b) SELECT x, y FROM u", "INSERT INTO t (a, b) SELECT x, y FROM u"},
        {"INSERT OR IGNORE INTO t VALUES (1)", "INSERT OR IGNORE INTO t VALUES (1)"},
        {"REPLACE INTO t VALUES (1)", "REPLACE INTO t VALUES (1)"},
        {"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING",
         "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING"},
        {"INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a) DO UPDATE SET b = excluded.b WHERE t.b < 5 RETURNING a, b AS bb",
         "INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a) DO UPDATE SET b = excluded.b WHERE (t.b < 5) RETURNING a, b AS bb"},
        {"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x"},
        {"UPDATE t SET (a, b) = (1, 2), c = c + 1 FROM u WHERE t.id = u.id RETURNING *",
         "UPDATE t SET (a, b) = (1, 2), c = (c + 1) FROM u WHERE (t.id = u.id) RETURNING *"},
        {"UPDATE OR REPLACE t AS x SET a = 1", "UPDATE OR REPLACE t AS x SET a = 1"},
        {"DELETE FROM t WHERE a IN (1, 2) RETURNING a", "DELETE FROM t WHERE (a IN (1, 2)) RETURNING a"},
        {"DELETE FROM t", "DELETE FROM t"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        expect_print(t[i][0], t[i][1]);
}

static void test_ddl_forms(void **state)
{
    (void)state;
    static const char *const t[][2] = {
        {"CREATE TABLE t (a INTEGER PRIMARY KEY AUTOINCREMENT, b TEXT NOT NULL UNIQUE DEFAULT 'x', "
         "c REAL CHECK (c > 0) DEFAULT -1.5, d INT REFERENCES u(id) ON DELETE CASCADE ON UPDATE SET NULL, "
         "e TEXT COLLATE nocase, f BIGINT AUTO_INCREMENT, g DECIMAL(10,2), h DOUBLE PRECISION NULL, "
         "i NEURAL_VECTOR(128), j DNA_SEQUENCE, k JSON, l SERIAL, m, "
         "CONSTRAINT pk PRIMARY KEY (a, b DESC), UNIQUE (c), CHECK (a < c), "
         "FOREIGN KEY (d) REFERENCES u(id) ON DELETE RESTRICT ON UPDATE NO ACTION)",
         "CREATE TABLE t (a INTEGER PRIMARY KEY AUTOINCREMENT, b TEXT NOT NULL UNIQUE DEFAULT ('x'), "
         "c REAL CHECK ((c > 0)) DEFAULT ((-1.5)), d INT REFERENCES u(id) ON DELETE CASCADE ON UPDATE SET NULL, "
         "e TEXT COLLATE nocase, f BIGINT AUTO_INCREMENT, g DECIMAL(10, 2), h DOUBLE PRECISION NULL, "
         "i NEURAL_VECTOR(128), j DNA_SEQUENCE, k JSON, l SERIAL, m, "
         "CONSTRAINT pk PRIMARY KEY (a, b DESC), UNIQUE (c), CHECK ((a < c)), "
         "FOREIGN KEY (d) REFERENCES u(id) ON DELETE RESTRICT ON UPDATE NO ACTION)"},
        {"CREATE TABLE t (a INT DEFAULT 0 NOT NULL, b TIMESTAMP DEFAULT CURRENT_TIMESTAMP, "
         "c VARCHAR(20) CONSTRAINT nn NOT NULL, d CHAR(3), e BOOLEAN DEFAULT (1 + 1), f UNSIGNED BIG INT)",
         "CREATE TABLE t (a INT DEFAULT (0) NOT NULL, b TIMESTAMP DEFAULT (CURRENT_TIMESTAMP), "
         "c VARCHAR(20) CONSTRAINT nn NOT NULL, d CHAR(3), e BOOLEAN DEFAULT ((1 + 1)), f UNSIGNED BIG INT)"},
        {"CREATE TEMP TABLE IF NOT EXISTS s.t AS SELECT 1", "CREATE TEMP TABLE IF NOT EXISTS s.t AS SELECT 1"},
        {"CREATE TABLE t (a) WITHOUT ROWID", "CREATE TABLE t (a) WITHOUT ROWID"},
        {"DROP TABLE IF EXISTS a, b CASCADE", "DROP TABLE IF EXISTS a, b CASCADE"},
        {"DROP INDEX i", "DROP INDEX i"},
        {"DROP VIEW IF EXISTS v", "DROP VIEW IF EXISTS v"},
        {"DROP TRIGGER tr", "DROP TRIGGER tr"},
        {"ALTER TABLE t ADD c INT NOT NULL DEFAULT 1", "ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT (1)"},
        {"ALTER TABLE t DROP COLUMN c", "ALTER TABLE t DROP COLUMN c"},
        {"ALTER TABLE t DROP c", "ALTER TABLE t DROP COLUMN c"},
        {"ALTER TABLE t RENAME COLUMN a TO b", "ALTER TABLE t RENAME COLUMN a TO b"},
        {"ALTER TABLE t RENAME a TO b", "ALTER TABLE t RENAME COLUMN a TO b"},
        {"ALTER TABLE t RENAME TO t2", "ALTER TABLE t RENAME TO t2"},
        {"CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a DESC, lower(b)) WHERE a > 0",
         "CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a DESC, lower(b)) WHERE (a > 0)"},
        {"CREATE VIEW IF NOT EXISTS v (x, y) AS SELECT a, b FROM t",
         "CREATE VIEW IF NOT EXISTS v (x, y) AS SELECT a, b FROM t"},
        {"TRUNCATE t", "TRUNCATE TABLE t"},
        {"TRUNCATE TABLE t CONTINUE IDENTITY RESTRICT", "TRUNCATE TABLE t CONTINUE IDENTITY RESTRICT"},
        {"CREATE TRIGGER IF NOT EXISTS tr BEFORE INSERT ON t BEGIN SELECT 1; INSERT INTO u VALUES (new.a); END",
         "CREATE TRIGGER IF NOT EXISTS tr BEFORE INSERT ON t BEGIN SELECT 1; INSERT INTO u VALUES (new.a); END"},
        {"CREATE TRIGGER tr AFTER UPDATE OF a, b ON t FOR EACH ROW WHEN new.a > 1 BEGIN DELETE FROM u; END",
         "CREATE TRIGGER tr AFTER UPDATE OF a, b ON t FOR EACH ROW WHEN (new.a > 1) BEGIN DELETE FROM u; END"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        expect_print(t[i][0], t[i][1]);
}

static void test_misc_forms(void **state)
{
    (void)state;
    static const char *const t[][2] = {
        {"BEGIN", "BEGIN"},
        {"BEGIN IMMEDIATE TRANSACTION", "BEGIN IMMEDIATE TRANSACTION"},
        {"BEGIN DEFERRED", "BEGIN DEFERRED"},
        {"BEGIN EXCLUSIVE", "BEGIN EXCLUSIVE"},
        {"START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
         "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"},
        {"START TRANSACTION", "START TRANSACTION"},
        {"BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE", "BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE"},
        {"COMMIT TRANSACTION", "COMMIT"},
        {"END", "COMMIT"},
        {"ROLLBACK TO s", "ROLLBACK TO SAVEPOINT s"},
        {"RELEASE s", "RELEASE SAVEPOINT s"},
        {"PREPARE q (INT, TEXT) AS UPDATE t SET a = $2 WHERE id = $1",
         "PREPARE q (INT, TEXT) AS UPDATE t SET a = $2 WHERE (id = $1)"},
        {"EXECUTE q", "EXECUTE q"},
        {"DEALLOCATE PREPARE q", "DEALLOCATE q"},
        {"DEALLOCATE ALL", "DEALLOCATE ALL"},
        {"EXPLAIN SELECT 1", "EXPLAIN SELECT 1"},
        {"EXPLAIN FORMAT JSON SELECT 1", "EXPLAIN (FORMAT JSON) SELECT 1"},
        {"EXPLAIN ANALYZE FORMAT JSON DELETE FROM t", "EXPLAIN (ANALYZE, FORMAT JSON) DELETE FROM t"},
        {"ANALYZE", "ANALYZE"},
        {"ANALYZE t", "ANALYZE t"},
        {"SHOW TABLES", "SHOW TABLES"},
        {"DESCRIBE t", "DESCRIBE t"},
        {"DESC s.t", "DESCRIBE s.t"},
        {"REINDEX", "REINDEX"},
        {"REINDEX i", "REINDEX i"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        expect_print(t[i][0], t[i][1]);
}

/* issue 8: row locks, LOCK TABLE, SET/SHOW of the transaction settings */
static void test_concurrency_forms(void **state)
{
    (void)state;
    static const char *const t[][2] = {
        {"SELECT * FROM t FOR UPDATE", "SELECT * FROM t FOR UPDATE"},
        {"select a from t where a = 1 for share", "SELECT a FROM t WHERE (a = 1) FOR SHARE"},
        {"SELECT * FROM t, u FOR UPDATE OF t NOWAIT", "SELECT * FROM t, u FOR UPDATE OF t NOWAIT"},
        {"SELECT * FROM t ORDER BY a LIMIT 1 FOR UPDATE SKIP LOCKED",
         "SELECT * FROM t ORDER BY a LIMIT 1 FOR UPDATE SKIP LOCKED"},
        {"SELECT * FROM t FOR NO KEY UPDATE FOR KEY SHARE OF a, b",
         "SELECT * FROM t FOR NO KEY UPDATE FOR KEY SHARE OF a, b"},
        {"WITH w AS (SELECT 1) SELECT * FROM w, t FOR SHARE OF t",
         "WITH w AS (SELECT 1) SELECT * FROM w, t FOR SHARE OF t"},
        {"EXPLAIN SELECT * FROM t FOR UPDATE", "EXPLAIN SELECT * FROM t FOR UPDATE"},
        {"LOCK t", "LOCK TABLE t"},
        {"LOCK TABLE ONLY s.t, u IN SHARE ROW EXCLUSIVE MODE NOWAIT",
         "LOCK TABLE s.t, u IN SHARE ROW EXCLUSIVE MODE NOWAIT"},
        {"lock table t in access share mode", "LOCK TABLE t IN ACCESS SHARE MODE"},
        {"LOCK TABLE t IN ROW SHARE MODE", "LOCK TABLE t IN ROW SHARE MODE"},
        {"LOCK TABLE t IN ROW EXCLUSIVE MODE", "LOCK TABLE t IN ROW EXCLUSIVE MODE"},
        {"LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE", "LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE"},
        {"LOCK TABLE t IN SHARE MODE", "LOCK TABLE t IN SHARE MODE"},
        {"LOCK TABLE t IN EXCLUSIVE MODE", "LOCK TABLE t IN EXCLUSIVE MODE"},
        {"LOCK TABLE t IN ACCESS EXCLUSIVE MODE", "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"},
        {"START TRANSACTION READ WRITE", "START TRANSACTION READ WRITE"},
        {"BEGIN READ ONLY ISOLATION LEVEL READ COMMITTED",
         "BEGIN ISOLATION LEVEL READ COMMITTED, READ ONLY"},
        {"BEGIN ISOLATION LEVEL READ UNCOMMITTED", "BEGIN ISOLATION LEVEL READ UNCOMMITTED"},
        {"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"},
        {"SET TRANSACTION READ ONLY", "SET TRANSACTION READ ONLY"},
        {"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ",
         "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ"},
        {"SET default_transaction_isolation = 'repeatable read'",
         "SET default_transaction_isolation = 'repeatable read'"},
        {"SET SESSION default_transaction_isolation TO serializable",
         "SET default_transaction_isolation = serializable"},
        {"SET LOCAL lock_timeout = 100", "SET LOCAL lock_timeout = 100"},
        {"SET transaction_isolation TO DEFAULT", "SET transaction_isolation = DEFAULT"},
        {"SHOW transaction_isolation", "SHOW transaction_isolation"},
        {"SHOW TRANSACTION ISOLATION LEVEL", "SHOW transaction_isolation"},
        {"SHOW default_transaction_isolation", "SHOW default_transaction_isolation"},
        {"SHOW TABLES", "SHOW TABLES"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        expect_print(t[i][0], t[i][1]);
    static const char *const bad[][2] = {
        {"SELECT * FROM t FOR SHARE OF", "near end of input: syntax error at line 1, column 29"},
        {"SELECT * FROM t FOR UPDATE OF t WAIT", "near \"WAIT\": syntax error at line 1, column 33"},
        {"SELECT * FROM t FOR UPDATE SKIP", "near end of input: syntax error at line 1, column 32"},
        {"SELECT * FROM t FOR KEY UPDATE", "near \"UPDATE\": syntax error at line 1, column 25"},
        {"LOCK TABLE t IN SHARE", "near end of input: syntax error at line 1, column 22"},
        {"LOCK TABLE t IN ROW MODE", "near \"MODE\": syntax error at line 1, column 21"},
        {"SET TRANSACTION", "near end of input: syntax error at line 1, column 16"},
        {"SET TRANSACTION ISOLATION LEVEL READ", "near end of input: syntax error at line 1, column 37"},
        {"SET x", "near end of input: syntax error at line 1, column 6"},
        {"SET x = ", "near end of input: syntax error at line 1, column 9"},
        {"SHOW TRANSACTION", "near end of input: syntax error at line 1, column 17"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(bad[i][0], bad[i][1]);
}

static void test_ext_forms(void **state)
{
    (void)state;
    static const char *const t[][2] = {
        {"NEUROMATCH t PATTERN 'x' WITH SYNAPTIC_WEIGHT 0.5 LEARNING_RATE 0.1",
         "NEUROMATCH t PATTERN 'x' WITH SYNAPTIC_WEIGHT 0.5 LEARNING_RATE 0.1"},
        {"NEUROMATCH t PATTERN 'x' WITH SYNAPTIC_WEIGHT 0.9 LEARNING_RATE 0.01 HEBBIAN_STRENGTHENING",
         "NEUROMATCH t PATTERN 'x' WITH SYNAPTIC_WEIGHT 0.9 LEARNING_RATE 0.01 HEBBIAN_STRENGTHENING"},
        {"NEUROMATCH t WITH HEBBIAN_STRENGTHENING = FALSE", "NEUROMATCH t WITH HEBBIAN_STRENGTHENING \"false\""},
        {"SELECT * FROM t NEUROMATCH 'x' HEBBIAN_STRENGTHENING STRENGTH > 0.5 LEARNING_RATE = 0.1 WHERE a = 1",
         "SELECT * FROM t NEUROMATCH ('x') STRENGTH > 0.5 HEBBIAN_STRENGTHENING LEARNING_RATE 0.1 WHERE (a = 1)"},
        {"QUANTUM_SEARCH t WHERE a > 1 WITH MAX_ITERATIONS = 10",
         "QUANTUM_SEARCH t WHERE (a > 1) WITH MAX_ITERATIONS 10"},
        {"QUANTUM_SEARCH t AMPLITUDE_AMPLIFICATION", "QUANTUM_SEARCH t WITH AMPLITUDE_AMPLIFICATION"},
        {"QUANTUM_SEARCH t AMPLITUDE_AMPLIFICATION WHERE a = 1 SEED 3",
         "QUANTUM_SEARCH t WHERE (a = 1) WITH AMPLITUDE_AMPLIFICATION SEED 3"},
        {"quantum_search t where a in (1, 2) with amplitude_amplification max_iterations 5",
         "QUANTUM_SEARCH t WHERE (a IN (1, 2)) WITH AMPLITUDE_AMPLIFICATION MAX_ITERATIONS 5"},
        {"QUANTUM_SEARCH t WHERE a > 1 SEED = 0, MAX_QUBITS 12, ITERATIONS 0 MAX_ITERATIONS 9",
         "QUANTUM_SEARCH t WHERE (a > 1) WITH MAX_ITERATIONS 9 ITERATIONS 0 MAX_QUBITS 12 SEED 0"},
        {"QUANTUM_SEARCH s.t", "QUANTUM_SEARCH s.t"},
        {"SELECT a FROM t WHERE b = 1 USING QUANTUM GROVER WITH AMPLITUDE_AMPLIFICATION GROUP BY a",
         "SELECT a FROM t WHERE (b = 1) GROUP BY a USING QUANTUM GROVER WITH AMPLITUDE_AMPLIFICATION"},
        {"SELECT a FROM t USING QUANTUM GROVER MAX_QUBITS 4 ORDER BY a LIMIT 2",
         "SELECT a FROM t USING QUANTUM GROVER WITH MAX_QUBITS 4 ORDER BY a LIMIT 2"},
        {"QUANTUM_JOIN a b USING (id)", "QUANTUM_JOIN a b USING (id)"},
        {"SUPERPOSITION_QUERY (SELECT 1), (SELECT 2)", "SUPERPOSITION_QUERY (SELECT 1), (SELECT 2)"},
        {"ADAPT WEIGHTS ON t RULE hebbian", "ADAPT WEIGHTS ON t RULE hebbian"},
        {"SYNAPTIC_OPTIMIZE", "SYNAPTIC_OPTIMIZE"},
        {"SYNAPTIC_OPTIMIZE t WITH THRESHOLD -0.5", "SYNAPTIC_OPTIMIZE t WITH THRESHOLD -0.5"},
        {"CREATE NEUROMORPHIC INDEX ON users(name) WITH LEARNING_RATE 0.01",
         "CREATE NEUROMORPHIC INDEX ON users (name) WITH LEARNING_RATE 0.01"},
        {"SELECT dna_encode('ACGT'), dna_decode(x) FROM t", "SELECT dna_encode('ACGT'), dna_decode(x) FROM t"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        expect_print(t[i][0], t[i][1]);
    /* bad Grover options: the message names the problem and points at it */
    expect_error("QUANTUM_SEARCH t WHERE a = 1 WITH ORACLE 'x'",
                 "unknown Grover option \"ORACLE\": the oracle is the WHERE clause (expected AMPLITUDE_AMPLIFICATION, MAX_ITERATIONS, ITERATIONS, MAX_QUBITS or SEED) at line 1, column 35");
    expect_error("QUANTUM_SEARCH t MAX_ITERATIONS -1",
                 "MAX_ITERATIONS expects an integer from 1 to 2147483647 at line 1, column 33");
    expect_error("QUANTUM_SEARCH t ITERATIONS 1.5", "ITERATIONS expects an integer from 0 to 2147483647 at line 1, column 29");
    expect_error("QUANTUM_SEARCH t AMPLITUDE_AMPLIFICATION WITH AMPLITUDE_AMPLIFICATION",
                 "AMPLITUDE_AMPLIFICATION is given twice at line 1, column 47");
    expect_error("QUANTUM_SEARCH t WITH", "expected a Grover option (AMPLITUDE_AMPLIFICATION, MAX_ITERATIONS, ITERATIONS, MAX_QUBITS or SEED) after WITH at line 1, column 22");
    expect_error("QUANTUM_SEARCH t SEED", "SEED expects a non-negative integer at line 1, column 22");
    expect_error("SELECT 1 USING QUANTUM GROVER MAX_QUBITS 0", "MAX_QUBITS expects an integer from 1 to 64 at line 1, column 42");
    expect_error("SELECT 1 USING QUANTUM", "near end of input: syntax error at line 1, column 23");
    expect_error("SELECT 1 WHERE 1 USING QUANTUM GROVER USING QUANTUM GROVER",
                 "near \"USING\": syntax error at line 1, column 39");
    ast_arena *a = ast_arena_new();
    assert_string_equal(ast_stmt_name(kind_of("COMPRESS TABLE t USING DNA", a)), "COMPRESS TABLE");
    assert_string_equal(ast_stmt_name(kind_of("NEUROMATCH t", a)), "NEUROMATCH");
    ast_arena_free(a);
}

/* OPTIMIZE QUBO t [WITH] [option ...]: options print as written (upper-case names), WITH and
 * `=` are dropped; OPTIMIZE and QUBO are not reserved. */
static void test_optimize_qubo(void **state)
{
    (void)state;
    static const char *const t[][2] = {
        {"OPTIMIZE QUBO terms", "OPTIMIZE QUBO terms"},
        {"optimize qubo Terms solver tabu time_limit 2.5 seed 7",
         "OPTIMIZE QUBO terms SOLVER tabu TIME_LIMIT 2.5 SEED 7"},
        {"OPTIMIZE QUBO t WITH BACKEND = SQA RESTARTS = 0 TARGET = -2098",
         "OPTIMIZE QUBO t BACKEND sqa RESTARTS 0 TARGET -2098"},
        {"OPTIMIZE QUBO \"My Terms\" SOLVER 'exact'", "OPTIMIZE QUBO \"My Terms\" SOLVER 'exact'"},
        {"SELECT optimize, qubo FROM t", "SELECT optimize, qubo FROM t"},
        {"SELECT * FROM qubo_solve('t', 'sa', NULL, 3) AS q WHERE q.value = 1",
         "SELECT * FROM qubo_solve('t', 'sa', NULL, 3) AS q WHERE (q.value = 1)"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        expect_print(t[i][0], t[i][1]);
    ast_arena *a = ast_arena_new();
    assert_string_equal(ast_stmt_name(kind_of("OPTIMIZE QUBO t SEED 1", a)), "OPTIMIZE QUBO");
    ast_arena_free(a);
    expect_error("OPTIMIZE t", "near \"t\": syntax error at line 1, column 10");
    expect_error("OPTIMIZE QUBO", "near end of input: syntax error at line 1, column 14");
    expect_error("OPTIMIZE QUBO t SEED", "near end of input: syntax error at line 1, column 21");
    expect_error("OPTIMIZE QUBO t WITH", "near end of input: syntax error at line 1, column 21");
    expect_error("OPTIMIZE QUBO t SOLVER (1)", "near \"(\": syntax error at line 1, column 24");
}

/* ---- errors ---------------------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    static const char *const t[][2] = {
        {"SELEC 1", "near \"SELEC\": syntax error at line 1, column 1"},
        {"SELECT * FORM t", "near \"FORM\": syntax error at line 1, column 10"},
        {"SELECT a FROM t WHERE (a = 1", "near end of input: syntax error at line 1, column 29"},
        {"SELECT a FROM t WHERE a = 1)", "near \")\": syntax error at line 1, column 28"},
        {"SELECT 1 2", "near \"2\": syntax error at line 1, column 10"},
        {"SELECT a FROM t garbage more", "near \"more\": syntax error at line 1, column 25"},
        {"SELECT a,, b FROM t", "near \",\": syntax error at line 1, column 10"},
        {"SELECT a FROM t WHERE", "near end of input: syntax error at line 1, column 22"},
        {"SELECT a FROM t GROUP a", "near \"a\": syntax error at line 1, column 23"},
        {"SELECT a FROM t ORDER BY", "near end of input: syntax error at line 1, column 25"},
        {"SELECT * FROM t\nWHERE a ==\n", "near end of input: syntax error at line 3, column 1"},
        {"INSERT INTO t VALUES (1, 2", "near end of input: syntax error at line 1, column 27"},
        {"INSERT t VALUES (1)", "near \"t\": syntax error at line 1, column 8"},
        {"UPDATE t a = 1", "near \"=\": syntax error at line 1, column 12"},
        {"DELETE t", "near \"t\": syntax error at line 1, column 8"},
        {"CREATE TABLE (a INT)", "near \"(\": syntax error at line 1, column 14"},
        {"CREATE TABLE t (a INT,)", "near \")\": syntax error at line 1, column 23"},
        {"DROP t", "near \"t\": syntax error at line 1, column 6"},
        {"SELECT a AS '' FROM t", "near \"''\": syntax error at line 1, column 13"},
        {"CREATE TABLE t (CHECK (a))", "near \"(\": syntax error at line 1, column 23"},
        {"SELECT 'abc", "unterminated string literal at line 1, column 8"},
        {"SELECT 1 /* x", "unterminated comment at line 1, column 10"},
        {"SELECT \"ab", "unterminated quoted identifier at line 1, column 8"},
        {"SELECT X'A'", "malformed blob literal at line 1, column 8"},
        {"SELECT 1; SELEC 2", "near \"SELEC\": syntax error at line 1, column 11"},
        {"SELECT CASE END", "near \"END\": syntax error at line 1, column 13"},
        {"SELECT a NOT b", "near \"NOT\": syntax error at line 1, column 10"},
        {"SELECT * FROM a NATURAL b", "near \"b\": syntax error at line 1, column 25"},
        {"EXPLAIN", "near end of input: syntax error at line 1, column 8"},
        {"EXPLAIN (FORMAT CSV) SELECT 1", "near \"CSV\": syntax error at line 1, column 17"},
        {"SELECT (((((1", "near end of input: syntax error at line 1, column 14"},
        {"BEGIN; COMMIT; ROLLBACK TO", "near end of input: syntax error at line 1, column 27"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        expect_error(t[i][0], t[i][1]);

    /* the hint says what was expected */
    ast_arena *a = ast_arena_new();
    parse_result r;
    nq_err e;
    assert_int_equal(parse_sql(a, "SELECT a FROM t WHERE (a = 1", 28, &r, &e), SQL_ESYNTAX);
    assert_string_equal(r.hint, "expected )");
    assert_int_equal(r.line, 1);
    assert_int_equal(r.col, 29);
    assert_int_equal(parse_sql(a, "CREATE TABLE t (a INT", 21, &r, &e), SQL_ESYNTAX);
    assert_string_equal(r.hint, "expected )");
    /* a NULL error object is allowed */
    assert_int_equal(parse_sql(a, "SELEC", 5, &r, NULL), SQL_ESYNTAX);
    /* nesting is bounded, not a stack overflow */
    size_t n = 100000;
    char *deep = malloc(n + 16);
    memcpy(deep, "SELECT ", 7);
    memset(deep + 7, '(', n);
    deep[7 + n] = 0;
    assert_int_equal(parse_sql(a, deep, strlen(deep), &r, &e), SQL_ESYNTAX);
    memset(deep + 7, '-', n);
    deep[7 + n] = '1';
    deep[8 + n] = 0;
    assert_int_equal(parse_sql(a, deep, strlen(deep), &r, &e), SQL_ESYNTAX);
    free(deep);
    ast_arena_free(a);
}

/* ---- fuzz ------------------------------------------------------------------------------ */

static void test_random_fragments(void **state)
{
    (void)state;
    static const char *const frag[] = {
        "SELECT", "*", "a", "b.c", "FROM", "t", "WHERE", "=", "1", "'s'", "(", ")", ",", ";",
        "AND", "OR", "NOT", "IN", "BETWEEN", "LIKE", "IS", "NULL", "JOIN", "ON", "LEFT",
        "GROUP", "BY", "ORDER", "DESC", "LIMIT", "OFFSET", "UNION", "ALL", "WITH", "AS",
        "INSERT", "INTO", "VALUES", "UPDATE", "SET", "DELETE", "CREATE", "TABLE", "INT",
        "PRIMARY", "KEY", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "::", "+", "-", "*",
        "/", "||", "?", "$1", "OVER", "PARTITION", "NEUROMATCH", "X'00'", "1.5", "[", "]",
        "EXISTS", "DISTINCT", "COUNT", "HAVING", "EXPLAIN", "BEGIN", "COMMIT", "ROLLBACK",
        "TO", "DEFAULT", "REFERENCES", "ROWS", "PRECEDING", "CURRENT", "ROW", "\"q\"", "--c\n",
        "/*c*/", "'", "\"", "/*", "DNA:ACGT", "USING", "QUANTUM", "GROVER", "ESCAPE", "COLLATE",
    };
    const size_t nf = sizeof frag / sizeof frag[0];
    nq_rng rng;
    nq_rng_seed(&rng, 20261124);
    int parsed = 0;
    for (int iter = 0; iter < 20000; iter++) {
        char buf[1024];
        size_t n = 0;
        int k = 1 + (int)nq_rng_below(&rng, 14);
        /* half of the time start from a valid head so the parser gets deeper */
        if (iter & 1) {
            memcpy(buf, "SELECT a FROM t WHERE ", 22);
            n = 22;
        }
        for (int j = 0; j < k; j++) {
            const char *f = frag[nq_rng_below(&rng, nf)];
            size_t l = strlen(f);
            if (n + l + 2 >= sizeof buf)
                break;
            memcpy(buf + n, f, l);
            n += l;
            buf[n++] = ' ';
        }
        buf[n] = 0;
        nq_err e;
        char *s = roundtrip(buf, NULL, &e);
        if (s) {
            parsed++;
            free(s);
        }
    }
    print_message("random fragments: %d of 20000 parsed (and round-tripped)\n", parsed);
    assert_true(parsed > 100);
}

/* ---- sqllogictest select1.test --------------------------------------------------------- */

static char *find_select1(void)
{
    char path[4200];
    const char *env = getenv("NQ_SHARED_DATA");
    if (env) {
        snprintf(path, sizeof path, "%s/sqllogictest/select1.test", env);
        if (access(path, R_OK) == 0)
            return strdup(path);
    }
    /* walk up from the working directory, then from this source file */
    char dir[4000];
    for (int from = 0; from < 2; from++) {
        if (from == 0) {
            if (!getcwd(dir, sizeof dir))
                continue;
        } else {
            snprintf(dir, sizeof dir, "%s", __FILE__);
        }
        for (;;) {
            snprintf(path, sizeof path, "%s/shared/data/sqllogictest/select1.test", dir);
            if (access(path, R_OK) == 0)
                return strdup(path);
            snprintf(path, sizeof path, "%s/../shared/data/sqllogictest/select1.test", dir);
            if (access(path, R_OK) == 0)
                return strdup(path);
            char *slash = strrchr(dir, '/');
            if (!slash || slash == dir)
                break;
            *slash = 0;
        }
    }
    return NULL;
}

static void test_sqllogictest_select1(void **state)
{
    (void)state;
    char *path = find_select1();
    if (!path) {
        print_message("SKIP: shared/data/sqllogictest/select1.test not found "
                      "(set NQ_SHARED_DATA to the shared data directory)\n");
        skip();
    }
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    char *sql = malloc(1 << 20);
    size_t n = 0;
    int in_sql = 0, count = 0, lineno = 0, start = 0;
    for (;;) {
        char *got = fgets(line, sizeof line, f);
        lineno++;
        int blank = !got || line[0] == '\n' || line[0] == '\r';
        if (in_sql && (blank || !strncmp(line, "----", 4))) {
            sql[n] = 0;
            nq_err e;
            char *s = roundtrip(sql, NULL, &e);
            if (!s)
                fail_msg("%s:%d: %s\n  %s", path, start, e.msg, sql);
            free(s);
            count++;
            in_sql = 0;
        } else if (in_sql) {
            size_t l = strlen(line);
            if (n + l < (1 << 20) - 1) {
                memcpy(sql + n, line, l);
                n += l;
            }
        } else if (got && (!strncmp(line, "statement ", 10) || !strncmp(line, "query ", 6))) {
            in_sql = 1;
            n = 0;
            start = lineno + 1;
        }
        if (!got)
            break;
    }
    fclose(f);
    free(sql);
    print_message("%s: %d statements parsed and round-tripped\n", path, count);
    assert_true(count > 1000);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_a_to_d),  cmocka_unit_test(test_corpus_e),
        cmocka_unit_test(test_precedence),     cmocka_unit_test(test_select_forms),
        cmocka_unit_test(test_dml_forms),      cmocka_unit_test(test_ddl_forms),
        cmocka_unit_test(test_misc_forms),
        cmocka_unit_test(test_concurrency_forms), cmocka_unit_test(test_ext_forms),
        cmocka_unit_test(test_optimize_qubo),
        cmocka_unit_test(test_errors),         cmocka_unit_test(test_random_fragments),
        cmocka_unit_test(test_sqllogictest_select1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
