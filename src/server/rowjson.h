/*
 * rowjson.h — SQL values and result rows as JSON (jansson), the one mapping used by every part
 * of the server that returns rows: POST /api/v1/query, the table routes and WebSocket
 * stream_query batches.
 *
 *   NULL -> null, INTEGER -> number, REAL -> number (NaN and infinities -> null: JSON has no
 *   spelling for them), BOOLEAN -> true/false, TEXT -> string, BLOB -> base64 string (standard
 *   alphabet, padded), NEURAL_VECTOR -> array of numbers, DATE/TIME/TIMESTAMP -> the string
 *   the shell prints (ISO 8601).
 * A row is an object {column: value} in column order; when two result columns share a name
 * the later ones get a suffix ":2", ":3" so no value is lost.
 */
#ifndef NQ_SERVER_ROWJSON_H
#define NQ_SERVER_ROWJSON_H

#include <jansson.h>

#include "nqdb.h"

/* A new reference to the JSON form of column i of the current row (NULL only on ENOMEM). */
json_t *rowjson_value(nq_stmt *st, int i);
/* A new object for the current row; names come from nq_column_name. */
json_t *rowjson_row(nq_stmt *st);
/* A new array of the column names, with the same de-duplication as rowjson_row. */
json_t *rowjson_columns(nq_stmt *st);
/* Standard base64 of n bytes into a new string (malloc); NULL on ENOMEM. */
char *rowjson_base64(const void *p, size_t n);

#endif
