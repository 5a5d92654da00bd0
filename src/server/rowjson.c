/*
 * rowjson.c — SQL values and rows as JSON; the mapping is described in rowjson.h.
 *
 * Vectors are read from the column's bytes (little-endian float32, the storage form described
 * in docs/qsql-values.md), so no text round trip loses precision. Column names are
 * de-duplicated the same way in rowjson_row and rowjson_columns, so a client can rely on
 * `columns` naming exactly the keys of each row object.
 */
#include "rowjson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *rowjson_base64(const void *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = p;
    char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
    if (!out)
        return NULL;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = tbl[(v >> 6) & 63];
        *o++ = tbl[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0);
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

static json_t *vector_json(const unsigned char *p, size_t bytes)
{
    json_t *a = json_array();
    for (size_t k = 0; a && k + 4 <= bytes; k += 4) {
        uint32_t u = (uint32_t)p[k] | (uint32_t)p[k + 1] << 8 | (uint32_t)p[k + 2] << 16 |
                     (uint32_t)p[k + 3] << 24;
        float f;
        memcpy(&f, &u, sizeof f);
        json_array_append_new(a, isfinite(f) ? json_real(f) : json_null());
    }
    return a;
}

json_t *rowjson_value(nq_stmt *st, int i)
{
    switch (nq_column_type(st, i)) {
    case NQ_TYPE_NULL:
        return json_null();
    case NQ_TYPE_INTEGER:
        return json_integer((json_int_t)nq_column_int64(st, i));
    case NQ_TYPE_REAL: {
        double d = nq_column_double(st, i);
        return isfinite(d) ? json_real(d) : json_null();
    }
    case NQ_TYPE_BOOLEAN:
        return json_boolean(nq_column_int64(st, i) != 0);
    case NQ_TYPE_BLOB: {
        char *b = rowjson_base64(nq_column_blob(st, i), nq_column_bytes(st, i));
        json_t *j = b ? json_string(b) : NULL;
        free(b);
        return j;
    }
    case NQ_TYPE_VECTOR:
        return vector_json(nq_column_blob(st, i), nq_column_bytes(st, i));
    case NQ_TYPE_TEXT: {
        const char *t = nq_column_blob(st, i);
        size_t n = nq_column_bytes(st, i);
        json_t *j = json_stringn(t ? t : "", n);
        /* jansson refuses invalid UTF-8; TEXT is UTF-8 by contract, but be total. */
        if (!j) {
            char *b = rowjson_base64(t, n);
            j = b ? json_string(b) : NULL;
            free(b);
        }
        return j;
    }
    default: { /* DATE, TIME, TIMESTAMP */
        const char *t = nq_column_text(st, i);
        return t ? json_string(t) : json_null();
    }
    }
}

/* Column name i, suffixed ":k" when an earlier column has the same name. */
static void column_key(nq_stmt *st, int i, char *buf, size_t cap)
{
    const char *name = nq_column_name(st, i);
    if (!name)
        name = "";
    int dup = 1;
    for (int j = 0; j < i; j++) {
        const char *o = nq_column_name(st, j);
        if (o && strcmp(o, name) == 0)
            dup++;
    }
    if (dup == 1)
        snprintf(buf, cap, "%s", name);
    else
        snprintf(buf, cap, "%s:%d", name, dup);
}

json_t *rowjson_row(nq_stmt *st)
{
    json_t *o = json_object();
    int n = nq_column_count(st);
    char key[512];
    for (int i = 0; o && i < n; i++) {
        column_key(st, i, key, sizeof key);
        json_t *v = rowjson_value(st, i);
        if (!v || json_object_set_new(o, key, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

json_t *rowjson_columns(nq_stmt *st)
{
    json_t *a = json_array();
    int n = nq_column_count(st);
    char key[512];
    for (int i = 0; a && i < n; i++) {
        column_key(st, i, key, sizeof key);
        json_array_append_new(a, json_string(key));
    }
    return a;
}
