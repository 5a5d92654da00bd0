/*
 * fuzz_stdp_model.c — the decoder of stored NeuromorphicSTDP models (nn_stdp_model_decode,
 * src/neuro/stdp_model.c) on arbitrary bytes. Input: one mode byte, then the model bytes.
 *   mode bit 0 = 1: the last four bytes are replaced by the CRC-32C of the rest first, so the
 *       fuzzer gets past the checksum and exercises the structural checks behind it.
 * The decoder must return 0 or NQ_ECORRUPT/NQ_ENOMEM with a message, never crash, read out of
 * bounds or leak. A model it accepts must encode back to exactly the bytes it was given, and
 * (when a presentation is short enough to be quick) classify a row without crashing.
 * The corpus (corpus/stdp_model/) holds valid models (written by test_stdp_model.c's
 * configuration: 20 inputs, 16 and 4 neurons).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "neuro/stdp_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n;
    uint8_t *p = fuzz_crc_tailed(data, size, &n);
    if (!p)
        return 0;
    nn_stdp_model *m = NULL;
    nq_err e;
    nq_err_clear(&e);
    int rc = nn_stdp_model_decode(p, n, &m, &e);
    if (rc != 0) {
        if ((rc != NQ_ECORRUPT && rc != NQ_ENOMEM) || !e.msg[0] || m)
            abort();
        free(p);
        return 0;
    }
    uint8_t *b;
    size_t bn;
    if (nn_stdp_model_encode(m, &b, &bn, &e) != 0)
        abort();
    if (bn != n || memcmp(b, p, n))
        abort();
    free(b);
    const nn_stdp_cfg *c = &m->layer->cfg;
    if (c->t_present / c->dt <= 200 && m->layer->n <= 64 && m->layer->n_in <= 256) {
        int d = nn_stdp_model_n_in(m), k = nn_stdp_model_n_out(m);
        float *X = calloc((size_t)d, sizeof *X), *Y = malloc(sizeof(float) * (size_t)k);
        if (X && Y) {
            for (int i = 0; i < d; i++)
                X[i] = (float)(i % 5);
            (void)nn_stdp_model_predict(m, X, 1, Y, &e);
        }
        free(X);
        free(Y);
    }
    nn_stdp_model_free(m);
    free(p);
    return 0;
}
