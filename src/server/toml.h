/*
 * toml.h — a TOML reader for the subset that configuration files need.
 *
 * toml_parse turns a byte string into a tree of toml_value nodes: the root is a table; tables
 * hold (key, value) entries in document order; arrays hold values. Every node remembers the
 * line and column where it starts (1-based; the column counts characters, not bytes) and the
 * byte span of its source text, so that a caller can say "line 12: expected an integer, got
 * \"abc\"" about a value it rejects after parsing.
 *
 * Supported (docs/configuration.md lists it for users): comments; [table] and [a.b] headers;
 * bare, quoted and dotted keys; basic strings with the escapes \b \t \n \f \r \" \\ \uXXXX
 * \UXXXXXXXX; literal strings; integers (sign, underscores, 0x/0o/0b); floats (fraction,
 * exponent, inf, nan); booleans; arrays (over several lines, with comments and a trailing
 * comma); inline tables. Multi-line strings, arrays of tables ([[x]]) and dates/times are
 * rejected with "not supported yet: ...". Strings may not contain U+0000 (the tree hands out C
 * strings, and a silently truncated value would be worse than an error).
 *
 * The parser is total: on any byte string it returns a tree or NULL with an error that has a
 * line and a column; it never reads past len, and nesting (arrays, inline tables, dotted keys,
 * headers) is limited to TOML_MAX_DEPTH levels so recursion is bounded. Tables are limited to
 * TOML_MAX_KEYS keys each (lookups are linear; configuration tables have a dozen keys).
 *
 * Ownership: toml_parse returns a tree the caller frees with toml_free; the strings inside
 * belong to the tree.
 */
#ifndef NQ_SERVER_TOML_H
#define NQ_SERVER_TOML_H

#include <stddef.h>
#include <stdint.h>

#define TOML_MAX_DEPTH 32
#define TOML_MAX_KEYS 4096

typedef enum toml_type {
    TOML_STRING,
    TOML_INTEGER,
    TOML_FLOAT,
    TOML_BOOL,
    TOML_ARRAY,
    TOML_TABLE
} toml_type;

typedef struct toml_value toml_value;

typedef struct toml_entry {
    char *key;              /* one key part (no dots); may be "" when quoted */
    unsigned line, col;     /* where the key (or the [header] naming the table) is */
    toml_value *value;
} toml_entry;

struct toml_value {
    toml_type type;
    unsigned line, col;     /* where the value starts */
    size_t src_off, src_len;/* its text in the document (for messages); 0/0 for implicit tables */
    union {
        char *s;            /* TOML_STRING: NUL-terminated UTF-8, no embedded NUL */
        int64_t i;          /* TOML_INTEGER */
        double f;           /* TOML_FLOAT */
        int b;              /* TOML_BOOL: 0 or 1 */
    } u;
    size_t n, cap;          /* TOML_ARRAY: items; TOML_TABLE: entries */
    toml_value **items;
    toml_entry *entries;
    unsigned depth;         /* root table 0 */
    unsigned flags;         /* internal: how a table was defined */
};

typedef struct toml_error {
    unsigned line, col;     /* 1-based */
    char msg[200];          /* without the position, e.g. "expected '=' after a key" */
} toml_error;

/* Parse len bytes of text (need not be NUL-terminated). Returns the root table, or NULL with
 * *err filled in (also on out of memory: line/col of where parsing was). */
toml_value *toml_parse(const char *text, size_t len, toml_error *err);

void toml_free(toml_value *v);

/* The value under key in table t (one key part, no dots), or NULL. */
const toml_value *toml_get(const toml_value *t, const char *key);

/* A short name for a type: "string", "integer", "float", "boolean", "array", "table". */
const char *toml_type_name(toml_type t);

#endif
