/*
 * query_int.h — what the SQL-running handlers share (h_query.c, h_tables.c): the request
 * deadline, JSON parameter binding, statement types for metrics, and the list of changes that
 * is published on the `table.<name>` WebSocket channels once they are committed.
 */
#ifndef NQ_SERVER_QUERY_INT_H
#define NQ_SERVER_QUERY_INT_H

#include <time.h>

#include "server.h"

/* The largest result a REST answer is built from (about: value bytes + 16 per value); more is
 * 413 — large results are what WebSocket stream_query is for. */
#define QUERY_MAX_RESULT_BYTES (64u << 20)

typedef struct change {
    char *table;
    const char *op; /* "insert", "update", "delete" */
    int64_t rows;
} change;

typedef struct changes {
    change *v;
    unsigned n, cap;
    struct { char *name; unsigned mark; } *sp; /* open savepoints: where their changes start */
    unsigned nsp;
} changes;

void changes_init(changes *c);
void changes_free(changes *c);
void changes_add(changes *c, const char *table, const char *op, int64_t rows);
void changes_publish(nq_server *s, changes *c, const char *request_id);
/* After a statement ran on db: record its change, follow savepoints, publish on commit. */
void changes_after_statement(req *r, nq_db *db, nq_stmt *st, changes *c, int64_t rows);

void query_deadline_start(req *r, nq_db *db, struct timespec *deadline);
void query_deadline_end(nq_db *db);
int query_bind_json(nq_stmt *st, int i, json_t *v);
const char *query_type(const char *kind);  /* select|insert|update|delete|ddl|txn|other */
int query_savepoint_name(nq_stmt *st, char *buf, size_t cap);

#endif
