/*
 * fuzz_toml.c — the configuration reader on arbitrary bytes: src/server/toml.c and
 * src/server/config.c.
 *
 * Input: a TOML document, optionally followed by a line "[[env]]" and environment lines (each
 * gets "NEUROQUANTUM_" put in front, so "SERVER_PORT=1" becomes NEUROQUANTUM_SERVER_PORT=1).
 * ("[[env]]" is an array-of-tables header, which the reader rejects, so the split never hides
 * a document the reader would accept.)
 *
 * Checks, beyond "no crash, no leak, no read out of bounds":
 *  - toml_parse returns a tree or an error with line >= 1, column >= 1 and a message; every
 *    node's source span lies inside the input; nesting never exceeds TOML_MAX_DEPTH + 1; every
 *    string is free of NUL (it is a C string of the right length) and of invalid UTF-8;
 *  - cfg_parse_string agrees with toml_parse on syntax (a syntax error from one is a syntax
 *    error from the other), and its messages start with the name;
 *  - cfg_apply_environ and cfg_validate return 0 or -1 with a message;
 *  - cfg_dump of whatever was loaded is TOML that cfg_parse_string reads back, and dumping that
 *    again gives the same text (the dump is a fixed point after one round).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzzutil.h"
#include "toml.h"

static int utf8_ok(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s, need;
        if (c < 0x80)
            need = 0;
        else if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 3;
        else
            return 0;
        s++;
        for (unsigned k = 0; k < need; k++, s++)
            if ((*s & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

static void check_tree(const toml_value *v, size_t len, unsigned depth)
{
    FUZZ_CHECK(depth <= TOML_MAX_DEPTH + 1);
    FUZZ_CHECK(v->line >= 1 && v->col >= 1);
    FUZZ_CHECK(v->src_off <= len && v->src_len <= len - v->src_off);
    switch (v->type) {
    case TOML_STRING:
        FUZZ_CHECK(v->u.s != NULL);
        FUZZ_CHECK(utf8_ok((const unsigned char *)v->u.s));
        break;
    case TOML_BOOL:
        FUZZ_CHECK(v->u.b == 0 || v->u.b == 1);
        break;
    case TOML_ARRAY:
        for (size_t k = 0; k < v->n; k++)
            check_tree(v->items[k], len, depth + 1);
        break;
    case TOML_TABLE:
        FUZZ_CHECK(v->n <= TOML_MAX_KEYS);
        for (size_t k = 0; k < v->n; k++) {
            FUZZ_CHECK(v->entries[k].key != NULL && utf8_ok((const unsigned char *)v->entries[k].key));
            FUZZ_CHECK(v->entries[k].line >= 1);
            check_tree(v->entries[k].value, len, depth + 1);
            for (size_t j = 0; j < k; j++) /* keys are unique */
                FUZZ_CHECK(strcmp(v->entries[j].key, v->entries[k].key) != 0);
        }
        break;
    default:
        break;
    }
}

static char *dump(const server_config *c, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        abort();
    cfg_dump(c, f);
    fclose(f);
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t tlen = size;
    const char *envtext = NULL;
    size_t elen = 0;
    static const char marker[] = "\n[[env]]\n";
    const char *m = size >= sizeof marker - 1 ? memmem(data, size, marker, sizeof marker - 1) : NULL;
    if (m) {
        tlen = (size_t)(m - text) + 1;
        envtext = m + sizeof marker - 1;
        elen = size - (size_t)(envtext - text);
    }

    /* the reader alone */
    toml_error te;
    toml_value *root = toml_parse(text, tlen, &te);
    int syntax_ok = root != NULL;
    if (root) {
        check_tree(root, tlen, 0);
        toml_free(root);
    } else {
        FUZZ_CHECK(te.line >= 1 && te.col >= 1 && te.msg[0]);
    }

    /* the configuration */
    server_config c;
    char err[512];
    cfg_defaults(&c);
    int rc = cfg_parse_string(&c, text, tlen, "fuzz", err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        FUZZ_CHECK(strncmp(err, "fuzz:", 5) == 0);
        if (!syntax_ok) /* the same syntax error */
            FUZZ_CHECK(strstr(err, te.msg) != NULL);
    } else
        FUZZ_CHECK(syntax_ok);
    int file_ok = rc == 0;

    if (file_ok && envtext) {
        /* environment lines: "NEUROQUANTUM_" + line */
        char *envbuf[64];
        unsigned n = 0;
        const char *p = envtext, *end = envtext + elen;
        while (p < end && n + 1 < sizeof envbuf / sizeof envbuf[0]) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
            char *s = malloc(13 + l + 1);
            if (!s)
                abort();
            memcpy(s, "NEUROQUANTUM_", 13);
            memcpy(s + 13, p, l);
            s[13 + l] = '\0'; /* an embedded NUL just ends the string, as in a real environment */
            envbuf[n++] = s;
            p += l + (nl ? 1 : 0);
        }
        envbuf[n] = NULL;
        rc = cfg_apply_environ(&c, envbuf, err, sizeof err);
        FUZZ_CHECK(rc == 0 || (rc == -1 && err[0]));
        for (unsigned k = 0; k < n; k++)
            free(envbuf[k]);
    }
    int vrc = cfg_validate(&c, err, sizeof err);
    FUZZ_CHECK(vrc == 0 || (vrc == -1 && err[0]));

    if (file_ok) {
        /* the dump reads back, and is a fixed point after one round */
        size_t l1, l2, l3;
        char *d1 = dump(&c, &l1);
        server_config c2, c3;
        cfg_defaults(&c2);
        int r2 = cfg_parse_string(&c2, d1, l1, "dump", err, sizeof err);
        if (r2 != 0)
            fuzz_fail(__FILE__, __LINE__, err);
        char *d2 = dump(&c2, &l2);
        cfg_defaults(&c3);
        FUZZ_CHECK(cfg_parse_string(&c3, d2, l2, "dump", err, sizeof err) == 0);
        char *d3 = dump(&c3, &l3);
        FUZZ_CHECK(l2 == l3 && memcmp(d2, d3, l2) == 0);
        free(d1);
        free(d2);
        free(d3);
        cfg_free(&c2);
        cfg_free(&c3);
    }
    cfg_free(&c);
    return 0;
}
