/*
 * exec_learn.h — LEARN PATTERN, ADAPT WEIGHTS and recall_pattern() (exec_learn.c has the
 * semantics). The statements run in the first step of a write statement and hand their one
 * result row to emit.
 */
#ifndef NQ_SQL_EXEC_LEARN_H
#define NQ_SQL_EXEC_LEARN_H

#include "sql/ast.h"
#include "sql/neuromatch.h"

/* Receives a result row of n values (copied by the receiver). */
typedef int (*nm_emit_fn)(void *arg, const sqlv *row, int n, nq_err *e);

/* The result columns of a LEARN PATTERN statement (they depend on its ALGORITHM). */
const char **nm_learn_cols(const ast_ext *x, int *n);
const char **nm_adapt_cols(int *n);
int nm_learn_pattern(sql_session *s, const ast_ext *x, nm_emit_fn emit, void *arg, nq_err *e);
int nm_adapt_weights(sql_session *s, const ast_ext *x, nm_emit_fn emit, void *arg, nq_err *e);

/* The model store's records are little-endian byte strings built with nm_buf (exec_learn.c);
 * each nm_buf_* returns 0, or -1 when memory ran out (so results can be or'ed). */
typedef struct nm_buf {
    uint8_t *p;
    size_t n, cap;
} nm_buf;
int nm_buf_add(nm_buf *b, const void *p, size_t n);
int nm_buf_u32(nm_buf *b, uint32_t v);
int nm_buf_u64(nm_buf *b, uint64_t v);
int nm_buf_str(nm_buf *b, const void *p, size_t n); /* u32 length, then the bytes */
uint32_t nm_rd_u32(const uint8_t *p);
/* Store a LEARN PATTERN model under kind ('P' Hopfield memory, 'M' network) and name (at most
 * 200 bytes), removing the other kind's model of the same name: a name holds one model. */
int nm_store_model(sql_session *s, char kind, const char *name, size_t nlen, const nm_buf *rec,
                   nq_err *e);

/* The tree of networks trained through POST /api/v1/neural/train (src/server/neural_jobs.c),
 * keyed by network_id, values mlp_encode's bytes; predict_pattern() applies them too. */
#define NM_MODEL_TREE "neuro:models"

/* exec_learn_mlp.c: ALGORITHM MLP (also NeuralNetwork, Backpropagation) */
int nm_is_mlp(const char *algo);
const char **nm_learn_mlp_cols(int *n);
int nm_learn_mlp(sql_session *s, const ast_ext *x, const char *name, size_t nlen, nm_emit_fn emit,
                 void *arg, nq_err *e);

typedef struct nm_recall_out {
    char *recalled;        /* n characters 0/1, NUL-terminated (malloc) */
    uint32_t n;
    int64_t row_id;        /* the stored row it equals, or -1 */
    char *label;           /* that row's label, or NULL (malloc) */
    size_t label_len;
    uint32_t flipped;
    int sweeps;            /* -1: no fixed point within the sweep budget */
    double energy;
} nm_recall_out;
int nm_recall(sql_session *s, const char *name, size_t nlen, const char *probe, size_t plen,
              uint64_t seed, nm_recall_out *out, nq_err *e);
void nm_recall_free(nm_recall_out *o);

#endif
