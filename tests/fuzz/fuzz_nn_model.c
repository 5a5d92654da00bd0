/*
 * fuzz_nn_model.c — the decoder of stored networks (mlp_decode, src/neuro/mlp_model.c) on
 * arbitrary bytes. Input: one mode byte, then the model bytes.
 *   mode bit 0 = 1: the last four bytes are replaced by the CRC-32C of the rest first, so the
 *       fuzzer gets past the checksum and exercises the structural checks behind it.
 * mlp_decode must return 0 or NQ_ECORRUPT/NQ_ENOMEM with a message, never crash, read out of
 * bounds or leak. A model it accepts must encode back to exactly the bytes it was given (every
 * field is checked, so nothing is lost or invented) and must run a forward pass on a few rows
 * without producing anything but finite numbers or NaN/inf from overflow (no crash).
 * The corpus (corpus/nn_model/) holds valid models of several shapes, with and without a
 * scaler, every activation and loss.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "neuro/mlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n;
    uint8_t *p = fuzz_crc_tailed(data, size, &n);
    if (!p)
        return 0;
    mlp *m = NULL;
    nq_err e;
    nq_err_clear(&e);
    int rc = mlp_decode(p, n, &m, &e);
    if (rc != 0) {
        if ((rc != NQ_ECORRUPT && rc != NQ_ENOMEM) || !e.msg[0] || m)
            abort();
        free(p);
        return 0;
    }
    uint8_t *b;
    size_t bn;
    if (mlp_encode(m, &b, &bn, &e) != 0)
        abort();
    if (bn != n || memcmp(b, p, n))
        abort();
    free(b);
    enum { ROWS = 3 };
    float *X = calloc((size_t)ROWS * m->n_in, sizeof *X);
    float *Y = malloc((size_t)ROWS * mlp_n_out(m) * sizeof *Y);
    if (X && Y) {
        for (int i = 0; i < ROWS * m->n_in; i++)
            X[i] = (float)(i % 7) - 3.0f;
        (void)mlp_predict(m, X, ROWS, Y, &e);
    }
    free(X);
    free(Y);
    mlp_free(m);
    free(p);
    return 0;
}
