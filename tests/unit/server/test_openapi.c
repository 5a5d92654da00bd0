/*
 * test_openapi.c — the OpenAPI document the server serves (docs/openapi.json, built into
 * nqserver as openapi_json[]) must describe the server that serves it.
 *
 * Checked against the code itself, not against a second list: the route table server_routes[]
 * (router.c) and the error model of envelope.c. Every route is documented with its exact
 * method and path template, and nothing is documented that is not routed; public routes and
 * only they have `security: []`; protected routes document 401, and routes with a permission
 * or the admin IP whitelist document 403 with the exact text the router answers; routes that
 * take a JSON body document one and the others do not; path parameters match the template;
 * every response of the pipeline that can happen on any route (400, 413, 429, and 503 but on
 * /ws) is there; the ApiError schema has exactly the variants of envelope.c with their names,
 * fields and statuses; the Envelope schema has exactly the keys envelope_render writes; every
 * $ref resolves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "envelope.h"
#include "nqdb.h"
#include "server.h"

extern const unsigned char openapi_json[];
extern const size_t openapi_json_len;

static json_t *load_doc(void)
{
    json_error_t je;
    json_t *doc = json_loadb((const char *)openapi_json, openapi_json_len, JSON_REJECT_DUPLICATES,
                             &je);
    if (!doc)
        fail_msg("docs/openapi.json does not parse: line %d column %d: %s", je.line, je.column,
                 je.text);
    return doc;
}

static void lower(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
    out[i] = '\0';
}

static json_t *operation(json_t *doc, const char *path, const char *method)
{
    char m[16];
    lower(method, m, sizeof m);
    return json_object_get(json_object_get(json_object_get(doc, "paths"), path), m);
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* ---- the document as a whole ---------------------------------------------------------------- */

static void test_parses_and_version(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    assert_true(json_is_object(doc));
    assert_string_equal(str(doc, "openapi"), "3.0.3");
    json_t *info = json_object_get(doc, "info");
    assert_true(json_is_object(info));
    assert_true(strlen(str(info, "title")) > 0);
    /* the document's version is the server's */
    assert_string_equal(str(info, "version"), NQ_VERSION_STRING);
    /* the embedded bytes end with a NUL that is not part of the length */
    assert_int_equal(openapi_json[openapi_json_len], 0);

    json_t *ss = json_object_get(json_object_get(doc, "components"), "securitySchemes");
    json_t *ak = json_object_get(ss, "ApiKeyAuth"), *bearer = json_object_get(ss, "BearerAuth");
    assert_string_equal(str(ak, "type"), "apiKey");
    assert_string_equal(str(ak, "in"), "header");
    assert_string_equal(str(ak, "name"), "X-API-Key");
    assert_string_equal(str(bearer, "type"), "http");
    assert_string_equal(str(bearer, "scheme"), "bearer");
    json_decref(doc);
}

/* ---- routes <-> paths --------------------------------------------------------------------- */

static void test_every_route_documented(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    assert_true(server_nroutes > 0);
    for (unsigned i = 0; i < server_nroutes; i++) {
        const route *rt = &server_routes[i];
        json_t *op = operation(doc, rt->pattern, rt->method);
        if (!json_is_object(op))
            fail_msg("route %s %s is not in docs/openapi.json", rt->method, rt->pattern);
    }
    json_decref(doc);
}

static int is_http_method(const char *k)
{
    static const char *const m[] = {"get", "put", "post", "delete", "options", "head", "patch",
                                    "trace", NULL};
    for (int i = 0; m[i]; i++)
        if (!strcmp(k, m[i]))
            return 1;
    return 0;
}

static const route *find_route(const char *path, const char *method)
{
    for (unsigned i = 0; i < server_nroutes; i++) {
        char m[16];
        lower(server_routes[i].method, m, sizeof m);
        if (!strcmp(server_routes[i].pattern, path) && !strcmp(m, method))
            return &server_routes[i];
    }
    return NULL;
}

static void test_nothing_documented_that_is_not_routed(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *paths = json_object_get(doc, "paths");
    assert_true(json_is_object(paths));
    const char *path;
    json_t *item;
    unsigned nops = 0;
    json_object_foreach(paths, path, item)
    {
        const char *k;
        json_t *v;
        json_object_foreach(item, k, v)
        {
            if (!is_http_method(k)) {
                /* the other fields a path item may have; none of them is an operation */
                if (strcmp(k, "summary") && strcmp(k, "description") && strcmp(k, "parameters") &&
                    strcmp(k, "servers") && strncmp(k, "x-", 2))
                    fail_msg("paths[%s] has an unknown field \"%s\"", path, k);
                continue;
            }
            if (!find_route(path, k))
                fail_msg("docs/openapi.json documents %s %s, which the server does not route", k,
                         path);
            nops++;
        }
    }
    assert_int_equal(nops, server_nroutes);
    json_decref(doc);
}

/* ---- each operation ------------------------------------------------------------------------- */

static json_t *response(json_t *op, const char *status)
{
    return json_object_get(json_object_get(op, "responses"), status);
}

/* The description of a response, following a $ref into components.responses. */
static const char *response_text(json_t *doc, json_t *resp)
{
    const char *r = json_string_value(json_object_get(resp, "$ref"));
    if (r && !strncmp(r, "#/components/responses/", 23))
        resp = json_object_get(json_object_get(json_object_get(doc, "components"), "responses"),
                               r + 23);
    return str(resp, "description");
}

static void test_operations(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    static const char *const tags[] = {"Authentication", "CRUD Operations", "Advanced Features",
                                       "Monitoring", "Biometric Authentication", NULL};
    json_t *opids = json_object();
    for (unsigned i = 0; i < server_nroutes; i++) {
        const route *rt = &server_routes[i];
        json_t *op = operation(doc, rt->pattern, rt->method);
        const char *where = rt->pattern;
        assert_non_null(op);
        if (!strlen(str(op, "summary")) || !strlen(str(op, "description")))
            fail_msg("%s %s: summary and description are required", rt->method, where);

        /* operationId unique */
        const char *id = str(op, "operationId");
        if (!*id || json_object_get(opids, id))
            fail_msg("%s %s: operationId \"%s\" missing or not unique", rt->method, where, id);
        json_object_set_new(opids, id, json_true());

        /* tags: one of upstream's five */
        json_t *t = json_object_get(op, "tags");
        if (json_array_size(t) != 1)
            fail_msg("%s %s: one tag expected", rt->method, where);
        int tag_ok = 0;
        for (int k = 0; tags[k]; k++)
            tag_ok |= !strcmp(json_string_value(json_array_get(t, 0)), tags[k]);
        if (!tag_ok)
            fail_msg("%s %s: tag \"%s\" is not an upstream tag", rt->method, where,
                     json_string_value(json_array_get(t, 0)));

        /* responses: status codes only, exactly one success (2xx, or 101 for /ws) */
        json_t *resps = json_object_get(op, "responses");
        if (!json_is_object(resps) || json_object_size(resps) == 0)
            fail_msg("%s %s: no responses", rt->method, where);
        const char *code;
        json_t *rv;
        int nsuccess = 0;
        json_object_foreach(resps, code, rv)
        {
            char *end;
            long c = strtol(code, &end, 10);
            if (*end || c < 100 || c > 599 || strlen(code) != 3)
                fail_msg("%s %s: response key \"%s\" is not a status code", rt->method, where,
                         code);
            if (!json_is_object(rv) || (!json_object_get(rv, "$ref") && !strlen(str(rv, "description"))))
                fail_msg("%s %s: response %s has no description", rt->method, where, code);
            if ((c >= 200 && c < 300) || c == 101)
                nsuccess++;
        }
        if (nsuccess != 1 && rt->fn != h_not_implemented)
            fail_msg("%s %s: %d success responses (one expected)", rt->method, where, nsuccess);
        if (rt->fn == h_not_implemented) {
            /* a route that is not built promises no success, only its 501 */
            if (nsuccess != 0 || !response(op, "501"))
                fail_msg("%s %s: a 501 route documents a success or no 501", rt->method, where);
        }

        /* the pipeline answers these on every route; every route but /ws waits in the
         * statement workers' queue, which answers 503 when full */
        if (!response(op, "400") || !response(op, "413") || !response(op, "429"))
            fail_msg("%s %s: 400, 413 and 429 can happen on every route", rt->method, where);
        if (rt->fn != h_ws_upgrade && !response(op, "503"))
            fail_msg("%s %s: 503 (worker queue full) can happen on this route", rt->method, where);

        /* security: public routes and only they have security: [] */
        json_t *sec = json_object_get(op, "security");
        int is_public = (rt->flags & ROUTE_PUBLIC) != 0;
        if (is_public && !(json_is_array(sec) && json_array_size(sec) == 0))
            fail_msg("%s %s: a public route needs \"security\": []", rt->method, where);
        if (!is_public && sec && !(json_is_array(sec) && json_array_size(sec) > 0))
            fail_msg("%s %s: a protected route must not be marked public", rt->method, where);
        if (!is_public && !response(op, "401"))
            fail_msg("%s %s: a protected route needs a 401 response", rt->method, where);

        /* 403 with the router's text for permission routes and the admin IP whitelist */
        if (rt->perm || (rt->flags & ROUTE_ADMIN_IP)) {
            json_t *f = response(op, "403");
            if (!f)
                fail_msg("%s %s: needs a 403 response", rt->method, where);
            const char *text = response_text(doc, f);
            if (rt->perm_msg && !strstr(text, rt->perm_msg))
                fail_msg("%s %s: the 403 description lacks the router's text \"%s\"", rt->method,
                         where, rt->perm_msg);
            if ((rt->flags & ROUTE_ADMIN_IP) && !strstr(text, "not in the whitelist"))
                fail_msg("%s %s: the 403 description lacks the admin IP whitelist", rt->method,
                         where);
        }

        /* request bodies: the routes that take JSON document one, the others none */
        json_t *body = json_object_get(op, "requestBody");
        if (rt->flags & ROUTE_JSON) {
            json_t *c = json_object_get(json_object_get(body, "content"), "application/json");
            if (!json_is_object(c) || !json_object_get(c, "schema"))
                fail_msg("%s %s: takes a JSON body but documents none", rt->method, where);
        } else if (body) {
            fail_msg("%s %s: takes no body but documents one", rt->method, where);
        }

        /* path parameters: exactly the {names} of the template, required, in: path */
        json_t *params = json_object_get(op, "parameters");
        unsigned npath = 0;
        for (const char *p = strchr(rt->pattern, '{'); p; p = strchr(p + 1, '{')) {
            const char *e = strchr(p, '}');
            assert_non_null(e);
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(e - p - 1), p + 1);
            int found = 0;
            for (size_t k = 0; k < json_array_size(params); k++) {
                json_t *pm = json_array_get(params, k);
                if (!strcmp(str(pm, "name"), name) && !strcmp(str(pm, "in"), "path") &&
                    json_is_true(json_object_get(pm, "required")))
                    found = 1;
            }
            if (!found)
                fail_msg("%s %s: path parameter {%s} is not documented (in: path, required)",
                         rt->method, where, name);
            npath++;
        }
        unsigned ndoc = 0;
        for (size_t k = 0; k < json_array_size(params); k++)
            ndoc += !strcmp(str(json_array_get(params, k), "in"), "path");
        if (ndoc != npath)
            fail_msg("%s %s: %u path parameters documented, the template has %u", rt->method,
                     where, ndoc, npath);
    }
    json_decref(opids);
    json_decref(doc);
}

/* ---- the error model and the envelope -------------------------------------------------------- */

static json_t *schema(json_t *doc, const char *name)
{
    return json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"), name);
}

static void test_api_error_matches_envelope_c(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *variants = json_object_get(schema(doc, "ApiError"), "oneOf");
    assert_true(json_is_array(variants));
    assert_int_equal(json_array_size(variants), (size_t)AE_TABLE_ERROR + 1);
    for (int k = 0; k <= (int)AE_TABLE_ERROR; k++) {
        api_error e;
        int status = api_error_set(&e, (api_err_kind)k, "1", "b");
        json_t *wire = api_error_json(&e);
        assert_int_equal(json_object_size(wire), 1);
        const char *name = json_object_iter_key(json_object_iter(wire));
        json_t *payload = json_object_iter_value(json_object_iter(wire));
        /* the oneOf entry whose only property is this variant */
        json_t *vs = NULL;
        for (size_t i = 0; i < json_array_size(variants); i++) {
            const char *r = str(json_array_get(variants, i), "$ref");
            if (strncmp(r, "#/components/schemas/", 21))
                fail_msg("ApiError.oneOf[%zu] is not a schema $ref", i);
            json_t *s = schema(doc, r + 21);
            if (json_object_get(json_object_get(s, "properties"), name))
                vs = s;
        }
        if (!vs)
            fail_msg("ApiError has no variant %s (envelope.c)", name);
        json_t *reqd = json_object_get(vs, "required");
        assert_int_equal(json_array_size(reqd), 1);
        assert_string_equal(json_string_value(json_array_get(reqd, 0)), name);
        assert_true(json_is_false(json_object_get(vs, "additionalProperties")));
        /* the description starts with the variant's status */
        char st[8];
        snprintf(st, sizeof st, "%d.", status);
        if (strncmp(str(vs, "description"), st, strlen(st)))
            fail_msg("variant %s: description must start with \"%s\"", name, st);
        /* the payload: a string for newtype variants, an object with exactly these fields */
        json_t *ps = json_object_get(json_object_get(vs, "properties"), name);
        if (json_is_string(payload)) {
            assert_string_equal(str(ps, "type"), "string");
        } else {
            assert_true(json_is_object(payload));
            assert_string_equal(str(ps, "type"), "object");
            json_t *props = json_object_get(ps, "properties");
            assert_int_equal(json_object_size(props), json_object_size(payload));
            assert_int_equal(json_array_size(json_object_get(ps, "required")),
                             json_object_size(payload));
            const char *f;
            json_t *fv;
            json_object_foreach(payload, f, fv)
            {
                json_t *fs = json_object_get(props, f);
                if (!fs)
                    fail_msg("variant %s: field %s is not documented", name, f);
                assert_string_equal(str(fs, "type"), json_is_integer(fv) ? "integer" : "string");
            }
        }
        json_decref(wire);
    }
    json_decref(doc);
}

/* Every key the server writes is documented, and every required one is written; nopt is how
 * many of the documented keys are optional (written only sometimes). */
static void assert_same_keys(json_t *wire, json_t *sch, const char *what, size_t nopt)
{
    json_t *props = json_object_get(sch, "properties");
    json_t *reqd = json_object_get(sch, "required");
    if (json_object_size(props) != json_array_size(reqd) + nopt)
        fail_msg("%s: the schema has %zu properties / %zu required, expected %zu optional", what,
                 json_object_size(props), json_array_size(reqd), nopt);
    const char *k;
    json_t *v;
    json_object_foreach(wire, k, v)
    {
        if (!json_object_get(props, k))
            fail_msg("%s: key %s is not documented", what, k);
    }
    for (size_t i = 0; i < json_array_size(reqd); i++)
        if (!json_object_get(wire, json_string_value(json_array_get(reqd, i))))
            fail_msg("%s: required key %s is not written", what,
                     json_string_value(json_array_get(reqd, i)));
}

static void test_envelope_matches_envelope_render(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    api_error e;
    api_error_set(&e, AE_NOT_FOUND, "x", NULL);
    /* 0 success, 1 an error, 2 an engine error (with metadata.sqlstate, the optional key) */
    for (int with_error = 0; with_error < 3; with_error++) {
        if (with_error == 2) {
            api_error_set(&e, AE_CONFLICT, "could not serialize access", NULL);
            snprintf(e.sqlstate, sizeof e.sqlstate, "%s", nq_sqlstate(NQ_ESERIALIZE));
        }
        char *text = envelope_render(with_error ? NULL : json_string("d"), with_error ? &e : NULL,
                                     1.5, "req-1", "msg");
        assert_non_null(text);
        json_t *env = json_loads(text, 0, NULL);
        free(text);
        assert_non_null(env);
        assert_same_keys(env, schema(doc, "Envelope"), "Envelope", 0);
        json_t *md = json_object_get(env, "metadata");
        assert_same_keys(md, schema(doc, "Metadata"), "Metadata", 1);
        if (with_error == 2)
            assert_string_equal(json_string_value(json_object_get(md, "sqlstate")), "40001");
        else
            assert_null(json_object_get(md, "sqlstate"));
        json_decref(env);
    }
    json_decref(doc);
}

/* ---- references ---------------------------------------------------------------------------- */

/* Resolve a local JSON pointer ("#/a/b~1c"). */
static json_t *resolve(json_t *doc, const char *ref)
{
    if (strncmp(ref, "#/", 2))
        return NULL;
    json_t *cur = doc;
    const char *p = ref + 2;
    while (cur && *p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char tok[256];
        size_t o = 0;
        for (size_t i = 0; i < n && o + 1 < sizeof tok; i++) {
            if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
                tok[o++] = p[i + 1] == '0' ? '~' : '/';
                i++;
            } else {
                tok[o++] = p[i];
            }
        }
        tok[o] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, tok);
        } else if (json_is_array(cur)) {
            char *end;
            unsigned long idx = strtoul(tok, &end, 10);
            cur = *end ? NULL : json_array_get(cur, idx);
        } else {
            cur = NULL;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    return cur;
}

static unsigned check_refs(json_t *doc, json_t *v, unsigned *bad)
{
    unsigned n = 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
        {
            if (!strcmp(k, "$ref") && json_is_string(x)) {
                n++;
                if (!resolve(doc, json_string_value(x))) {
                    print_error("unresolved $ref %s\n", json_string_value(x));
                    (*bad)++;
                }
            } else {
                n += check_refs(doc, x, bad);
            }
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            n += check_refs(doc, json_array_get(v, i), bad);
    }
    return n;
}

static void test_refs_resolve(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    unsigned bad = 0;
    unsigned n = check_refs(doc, doc, &bad);
    assert_true(n > 0);
    assert_int_equal(bad, 0);
    /* the resolver itself: a pointer that exists, ones that do not */
    assert_non_null(resolve(doc, "#/components/schemas/Envelope"));
    assert_null(resolve(doc, "#/components/schemas/NoSuchSchema"));
    assert_null(resolve(doc, "other.json#/x"));
    char p[200];
    snprintf(p, sizeof p, "#/paths/~1api~1v1~1query/post");
    assert_non_null(resolve(doc, p));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parses_and_version),
        cmocka_unit_test(test_every_route_documented),
        cmocka_unit_test(test_nothing_documented_that_is_not_routed),
        cmocka_unit_test(test_operations),
        cmocka_unit_test(test_api_error_matches_envelope_c),
        cmocka_unit_test(test_envelope_matches_envelope_render),
        cmocka_unit_test(test_refs_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
