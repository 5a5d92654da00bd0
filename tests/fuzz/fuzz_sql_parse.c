/*
 * fuzz_sql_parse.c — arbitrary bytes as QSQL text: parse_sql must return 0 or an NQ_E* code,
 * never crash, hang or leak (everything lives in one arena, freed here), and on failure leave
 * a message with a position. Whatever parses must print, and the print must parse again to a
 * tree that prints the same text (the printer/parser round trip the unit tests rely on) —
 * unless the print, which adds parentheses, nests deeper than PARSE_MAX_DEPTH allows.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "sql/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ast_arena *a = ast_arena_new();
    if (!a)
        return 0;
    parse_result r;
    nq_err e;
    nq_err_clear(&e);
    int rc = parse_sql(a, (const char *)data, size, &r, &e);
    FUZZ_CHECK_RC(rc);
    if (rc) {
        FUZZ_CHECK(e.msg[0] != 0);
        FUZZ_CHECK(rc == NQ_ENOMEM || r.line > 0);
    } else {
        for (int i = 0; i < r.stmts.n; i++) {
            char *s1 = ast_to_sql(a, r.stmts.v[i]);
            FUZZ_CHECK(s1 != NULL);
            ast_arena *b = ast_arena_new();
            if (!b)
                break;
            parse_result r2;
            nq_err e2;
            int rc2 = parse_sql(b, s1, strlen(s1), &r2, &e2);
            if (rc2 && !strcmp(r2.hint, "nested too deeply")) {
                /* the print adds parentheses, so it may nest deeper than the input did */
                ast_arena_free(b);
                continue;
            }
            FUZZ_CHECK(rc2 == 0);
            FUZZ_CHECK(r2.stmts.n == 1);
            char *s2 = ast_to_sql(b, r2.stmts.v[0]);
            FUZZ_CHECK(s2 != NULL && strcmp(s1, s2) == 0);
            ast_arena_free(b);
        }
    }
    ast_arena_free(a);
    return 0;
}
