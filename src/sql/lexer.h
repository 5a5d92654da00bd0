/*
 * lexer.h — the QSQL tokenizer.
 *
 * The lexer is pulled by the parser one token at a time (lex_next): no token array is built,
 * so lexing allocates nothing at all. A token points into the source text (p, len) and knows
 * its 1-based line and column (columns count UTF-8 characters, not bytes), which is all the
 * parser needs to report `near "X": syntax error at line L, column C`. Values are decoded
 * lazily by the parser into its arena (string unescaping, identifier folding), except
 * integers, whose range decides the token kind: an integer literal that does not fit in int64
 * is lexed as TK_REAL, as PostgreSQL turns it into a numeric.
 *
 * Keywords are TK_WORD tokens with kw != 0; whether a keyword may also serve as an identifier
 * is the parser's decision (lex_kw_reserved tells which ones never can in expression and
 * alias positions). Lexical errors are TK_ERROR tokens carrying a static message.
 */
#ifndef NQ_SQL_LEXER_H
#define NQ_SQL_LEXER_H

#include <stddef.h>
#include <stdint.h>

typedef enum lex_kind {
    TK_EOF = 0,
    TK_ERROR,
    TK_WORD,     /* unquoted identifier or keyword */
    TK_QIDENT,   /* "quoted" or `quoted` identifier */
    TK_STRING,   /* '...' */
    TK_BLOB,     /* X'ABCD' */
    TK_INTEGER,  /* fits int64: ival */
    TK_REAL,     /* 1.5 .5 1e10, or an integer too large for int64 */
    TK_DNA,      /* DNA:ACGT (upstream extension literal) */
    TK_PARAM,    /* ? ?NNN $NNN :name @name $name */
    TK_LP, TK_RP, TK_LBRACKET, TK_RBRACKET, TK_COMMA, TK_SEMI, TK_DOT,
    TK_STAR, TK_PLUS, TK_MINUS, TK_SLASH, TK_PERCENT,
    TK_EQ,       /* = == */
    TK_NE,       /* <> != */
    TK_LT, TK_LE, TK_GT, TK_GE,
    TK_CONCAT,   /* || */
    TK_BITAND, TK_BITOR, TK_TILDE, TK_LSHIFT, TK_RSHIFT,
    TK_CAST,     /* :: */
    TK_COLONEQ,  /* := */
    TK_KIND_COUNT
} lex_kind;

/* Keywords, alphabetical (bsearch; test_lexer checks the order). R = reserved: never an
 * identifier in expression or implicit-alias position (it may still be used "quoted", or
 * after AS, or wherever a name is the only thing that can follow). */
#define LEX_KEYWORDS(X)                                                                      \
    X(ABORT, 0) X(ACTION, 0) X(ADAPT, 0) X(ADD, 0) X(AFTER, 0) X(ALL, 1) X(ALTER, 0)          \
    X(ALWAYS, 0) X(AMPLITUDE_AMPLIFICATION, 0) X(ANALYZE, 0) X(AND, 1) X(AS, 1) X(ASC, 1)     \
    X(AUTOINCREMENT, 0) X(AUTO_INCREMENT, 0) X(BEFORE, 0) X(BEGIN, 0) X(BETWEEN, 1) X(BY, 0)  \
    X(CASCADE, 0) X(CASE, 1) X(CAST, 1) X(CHECK, 1) X(COLLATE, 1) X(COLUMN, 0) X(COMMIT, 0)   \
    X(COMPRESS, 0) X(COMPRESSION, 0) X(CONFLICT, 0) X(CONSTRAINT, 1) X(CONTINUE, 0)           \
    X(CREATE, 1) X(CROSS, 1) X(CURRENT, 0) X(CURRENT_DATE, 1) X(CURRENT_TIME, 1)              \
    X(CURRENT_TIMESTAMP, 1) X(DEALLOCATE, 0) X(DEFAULT, 1) X(DEFERRABLE, 0) X(DEFERRED, 0)    \
    X(DELETE, 1) X(DESC, 1) X(DESCRIBE, 0) X(DISTINCT, 1) X(DO, 0) X(DROP, 1) X(EACH, 0)      \
    X(ELSE, 1) X(END, 1) X(ESCAPE, 1) X(EXCEPT, 1) X(EXCLUDE, 0) X(EXCLUSIVE, 0)              \
    X(EXECUTE, 0) X(EXISTS, 1) X(EXPLAIN, 0) X(FAIL, 0) X(FALSE, 1) X(FILTER, 0) X(FIRST, 0)  \
    X(FOLLOWING, 0) X(FOR, 0) X(FOREIGN, 1) X(FORMAT, 0) X(FROM, 1) X(FULL, 1)                \
    X(GENERATED, 0) X(GLOB, 1) X(GROUP, 1) X(GROUPS, 0) X(HAVING, 1) X(IF, 0) X(IGNORE, 0)    \
    X(ILIKE, 1) X(IMMEDIATE, 0) X(IN, 1) X(INDEX, 0) X(INITIALLY, 0) X(INNER, 1) X(INSERT, 1) \
    X(INSTEAD, 0) X(INTERSECT, 1) X(INTERVAL, 0) X(INTO, 1) X(IS, 1) X(ISNULL, 1) X(JOIN, 1)  \
    X(KEY, 0) X(LAST, 0) X(LEARN, 0) X(LEFT, 1) X(LIKE, 1) X(LIMIT, 1) X(MATCH, 1)            \
    X(MATERIALIZED, 0) X(NATURAL, 1) X(NEUROMATCH, 1) X(NEUROMORPHIC, 0) X(NO, 0) X(NOT, 1)   \
    X(NOTHING, 0) X(NOTNULL, 1) X(NULL, 1) X(NULLS, 0) X(OF, 0) X(OFFSET, 1) X(ON, 1)         \
    X(OR, 1) X(ORDER, 1) X(OTHERS, 0) X(OUTER, 1) X(OVER, 0) X(PARTITION, 0) X(PRECEDING, 0)  \
    X(PREPARE, 0) X(PRIMARY, 1) X(QUANTUM, 0) X(QUANTUM_JOIN, 1) X(QUANTUM_SEARCH, 0)         \
    X(RANGE, 0) X(RECURSIVE, 0) X(REFERENCES, 1) X(REGEXP, 1) X(REINDEX, 0) X(RELEASE, 0)     \
    X(RENAME, 0) X(REPLACE, 0) X(RESTART, 0) X(RESTRICT, 0) X(RETURNING, 1) X(RIGHT, 1)       \
    X(ROLLBACK, 0) X(ROW, 0) X(ROWS, 0) X(SAVEPOINT, 0) X(SELECT, 1) X(SET, 1) X(SHOW, 0)     \
    X(START, 0) X(STORED, 0) X(SUPERPOSITION_QUERY, 0) X(SYNAPTIC_OPTIMIZE, 0) X(TABLE, 1)    \
    X(TEMP, 0) X(TEMPORARY, 0) X(THEN, 1) X(TIES, 0) X(TO, 0) X(TRANSACTION, 0)               \
    X(TRIGGER, 0) X(TRUE, 1) X(TRUNCATE, 0) X(UNBOUNDED, 0) X(UNION, 1) X(UNIQUE, 1)          \
    X(UPDATE, 1) X(USING, 1) X(VALUES, 1) X(VIEW, 0) X(VIRTUAL, 0) X(WHEN, 1) X(WHERE, 1)     \
    X(WINDOW, 1) X(WITH, 1) X(WITHOUT, 0)

typedef enum lex_kw {
    KW_NONE = 0,
#define LEX_KW_ENUM(name, r) KW_##name,
    LEX_KEYWORDS(LEX_KW_ENUM)
#undef LEX_KW_ENUM
    KW_COUNT
} lex_kw;

typedef struct lex_token {
    lex_kind kind;
    int kw;            /* lex_kw for TK_WORD, else KW_NONE */
    const char *p;     /* first byte in the source */
    uint32_t len;      /* bytes */
    uint32_t line, col;
    int64_t ival;      /* TK_INTEGER */
    const char *errmsg; /* TK_ERROR: static text, e.g. "unterminated string literal" */
} lex_token;

typedef struct lexer {
    const char *src;
    size_t len, pos;
    uint32_t line, col;
} lexer;

void lex_init(lexer *lx, const char *src, size_t len);
/* The next token; TK_EOF forever at the end. Never allocates. */
void lex_next(lexer *lx, lex_token *tok);

/* Keyword lookup of a word (case-insensitive): KW_NONE if not a keyword. */
int lex_keyword(const char *p, size_t len);
const char *lex_kw_name(int kw);      /* upper-case spelling */
int lex_kw_reserved(int kw);
const char *lex_kind_name(lex_kind k); /* for tests and debugging */

#endif
