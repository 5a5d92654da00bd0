/*
 * h_advisor.c — the index advisor over HTTP (upstream-api.md 1.20, docs/api.md):
 *
 *   GET    /api/v1/advisor/indexes             (read)  the recommendations and their basis
 *   DELETE /api/v1/advisor/indexes/statistics  (admin) forget the learned workload
 *
 * Both are the SQL engine's: the recommendations are the rows of nq_index_advice, the
 * statistics the row of nq_advisor_statistics (src/sql/advisor.c), each read on a pooled
 * connection; the field names are upstream's. Clearing runs SYNAPTIC_OPTIMIZE WITH RESET ON,
 * which empties the synaptic network and its remembered statements (the settings and the
 * neuromorphic indexes stay) and saves that.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

static json_t *column_json(nq_stmt *st, int i)
{
    switch (nq_column_type(st, i)) {
    case NQ_TYPE_NULL: return json_null();
    case NQ_TYPE_INTEGER: return json_integer((json_int_t)nq_column_int64(st, i));
    case NQ_TYPE_REAL: return json_real(nq_column_double(st, i));
    default: return json_string(nq_column_text(st, i) ? nq_column_text(st, i) : "");
    }
}

int h_advisor_indexes(req *r)
{
    nq_server *s = r->srv;
    nq_db *db = dbpool_acquire(&s->pool);
    json_t *recs = json_array(), *stats = json_object();
    nq_stmt *st = NULL;
    int rc = nq_prepare(db, "SELECT * FROM nq_index_advice", (size_t)-1, &st, NULL);
    while (rc == NQ_OK && (rc = nq_step(st)) == NQ_ROW) {
        json_t *o = json_object();
        for (int i = 0; i < nq_column_count(st); i++) {
            const char *name = nq_column_name(st, i);
            if (!strcmp(name, "columns")) { /* upstream: an array of names */
                json_t *a = json_array();
                char *cols = strdup(nq_column_text(st, i) ? nq_column_text(st, i) : "");
                for (char *save = NULL, *c = cols ? strtok_r(cols, ",", &save) : NULL; c;
                     c = strtok_r(NULL, ",", &save))
                    json_array_append_new(a, json_string(c));
                free(cols);
                json_object_set_new(o, name, a);
            } else if (!strcmp(name, "statements")) {
                json_object_set_new(o, "example_statements", column_json(st, i));
            } else
                json_object_set_new(o, name, column_json(st, i));
        }
        json_array_append_new(recs, o);
        rc = NQ_OK;
    }
    nq_finalize(st);
    st = NULL;
    if (rc == NQ_DONE || rc == NQ_OK)
        rc = nq_prepare(db, "SELECT * FROM nq_advisor_statistics", (size_t)-1, &st, NULL);
    if (rc == NQ_OK && (rc = nq_step(st)) == NQ_ROW) {
        for (int i = 0; i < nq_column_count(st); i++)
            json_object_set_new(stats, nq_column_name(st, i), column_json(st, i));
        rc = NQ_OK;
    }
    nq_finalize(st);
    int status = 0;
    if (rc != NQ_OK && rc != NQ_DONE)
        status = req_engine_error(r, db, rc, "index advice");
    dbpool_release(&s->pool, db);
    if (status) {
        json_decref(recs);
        json_decref(stats);
        return status;
    }
    json_t *d = json_object();
    size_t n = json_array_size(recs);
    json_object_set_new(d, "recommendations", recs);
    json_object_set_new(d, "statistics", stats);
    return req_ok(r, 200, d, "%zu index recommendation%s", n, n == 1 ? "" : "s");
}

int h_advisor_clear(req *r)
{
    nq_server *s = r->srv;
    nq_db *db = dbpool_acquire(&s->pool);
    int rc = nq_exec(db, "SYNAPTIC_OPTIMIZE WITH RESET ON", NULL, NULL);
    int status = rc != NQ_OK ? req_engine_error(r, db, rc, "clearing the advisor statistics") : 0;
    dbpool_release(&s->pool, db);
    if (status)
        return status;
    return req_ok(r, 200, json_string("Index advisor statistics cleared"), "Index advisor statistics cleared");
}
