/*
 * mlp.c — dense networks: creation and initialisation, the forward pass, losses and the
 * backward pass (see mlp.h for the model and the equations).
 *
 * The passes work on whole batches: each layer is one nn_gemm (B×in times in×out), then a bias
 * row added and the activation applied element by element (row by row for Softmax). The
 * backward pass walks the layers from the top with delta = dL/dZ of the current layer:
 * dW = A_inᵀ·delta, db = column sums of delta, and the delta of the layer below is
 * (delta·Wᵀ) ⊙ f'(Z) — the two transposed products go through nn_gemm_tn / nn_gemm_nt, which
 * transpose one operand into w->scratch and reuse the one tuned kernel. All buffers live in
 * mlp_work, allocated once per training run, so a training step allocates nothing.
 */
#include "mlp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rand.h"
#include "nn_gemm.h"

static const char *const act_names[NN_ACT_COUNT] = {"Linear", "ReLU", "Sigmoid",
                                                    "Tanh",   "Softmax", "Swish"};
static const char *const loss_names[NN_LOSS_COUNT] = {"MeanSquaredError", "CrossEntropy",
                                                      "BinaryCrossEntropy", "Huber"};

int nn_act_parse(const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < NN_ACT_COUNT; i++)
        if (!strcasecmp(s, act_names[i]))
            return i;
    if (!strcasecmp(s, "identity"))
        return NN_ACT_LINEAR;
    if (!strcasecmp(s, "logistic"))
        return NN_ACT_SIGMOID;
    return -1;
}

const char *nn_act_name(nn_act a) { return (unsigned)a < NN_ACT_COUNT ? act_names[a] : "?"; }

int nn_loss_parse(const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < NN_LOSS_COUNT; i++)
        if (!strcasecmp(s, loss_names[i]))
            return i;
    if (!strcasecmp(s, "mse"))
        return NN_LOSS_MSE;
    if (!strcasecmp(s, "ce") || !strcasecmp(s, "cross-entropy") || !strcasecmp(s, "cross_entropy"))
        return NN_LOSS_CROSS_ENTROPY;
    if (!strcasecmp(s, "bce") || !strcasecmp(s, "binary-cross-entropy") ||
        !strcasecmp(s, "binary_cross_entropy"))
        return NN_LOSS_BCE;
    return -1;
}

const char *nn_loss_name(nn_loss l) { return (unsigned)l < NN_LOSS_COUNT ? loss_names[l] : "?"; }

/* ---- creation ---- */

static double gauss(nq_rng *r)
{
    /* Box–Muller; 1 − u keeps the logarithm's argument in (0, 1]. */
    double u = 1.0 - nq_rng_double(r), v = nq_rng_double(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

void mlp_free(mlp *m)
{
    if (!m)
        return;
    if (m->layers)
        for (int l = 0; l < m->n_layers; l++) {
            free(m->layers[l].W);
            free(m->layers[l].b);
        }
    free(m->layers);
    free(m->in_mean);
    free(m->in_scale);
    free(m);
}

/* Allocate a network of the given shapes with zero parameters (checks shapes and loss). */
static int mlp_alloc(mlp **out, int n_in, int n_layers, const int *sizes, const nn_act *acts,
                     nn_loss loss, nq_err *e)
{
    *out = NULL;
    if (n_in < 1 || n_in > MLP_MAX_UNITS)
        return nq_err_set(e, NQ_EINVAL, "input size %d out of range 1..%d", n_in, MLP_MAX_UNITS);
    if (n_layers < 1 || n_layers > MLP_MAX_LAYERS)
        return nq_err_set(e, NQ_EINVAL, "layer count %d out of range 1..%d", n_layers,
                          MLP_MAX_LAYERS);
    if ((unsigned)loss >= NN_LOSS_COUNT)
        return nq_err_set(e, NQ_EINVAL, "unknown loss %d", (int)loss);
    uint64_t params = 0;
    int in = n_in;
    for (int l = 0; l < n_layers; l++) {
        if (sizes[l] < 1 || sizes[l] > MLP_MAX_UNITS)
            return nq_err_set(e, NQ_EINVAL, "layer %d: size %d out of range 1..%d", l + 1,
                              sizes[l], MLP_MAX_UNITS);
        if ((unsigned)acts[l] >= NN_ACT_COUNT)
            return nq_err_set(e, NQ_EINVAL, "layer %d: unknown activation %d", l + 1,
                              (int)acts[l]);
        params += (uint64_t)in * (uint64_t)sizes[l] + (uint64_t)sizes[l];
        in = sizes[l];
    }
    if (params > MLP_MAX_PARAMS)
        return nq_err_set(e, NQ_ETOOBIG, "%llu parameters: more than the limit %llu",
                          (unsigned long long)params, (unsigned long long)MLP_MAX_PARAMS);
    nn_act oa = acts[n_layers - 1];
    if (loss == NN_LOSS_CROSS_ENTROPY && oa != NN_ACT_SOFTMAX)
        return nq_err_set(e, NQ_EINVAL, "CrossEntropy needs a Softmax output layer (got %s)",
                          nn_act_name(oa));
    if (loss == NN_LOSS_BCE && oa != NN_ACT_SIGMOID)
        return nq_err_set(e, NQ_EINVAL,
                          "BinaryCrossEntropy needs a Sigmoid output layer (got %s)",
                          nn_act_name(oa));
    mlp *m = calloc(1, sizeof *m);
    if (!m)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    m->n_in = n_in;
    m->n_layers = n_layers;
    m->loss = loss;
    m->huber_delta = 1.0f;
    m->layers = calloc((size_t)n_layers, sizeof *m->layers);
    if (!m->layers)
        goto nomem;
    in = n_in;
    for (int l = 0; l < n_layers; l++) {
        nn_layer *L = &m->layers[l];
        L->in = in;
        L->out = sizes[l];
        L->act = acts[l];
        L->W = calloc((size_t)in * (size_t)L->out, sizeof *L->W);
        L->b = calloc((size_t)L->out, sizeof *L->b);
        if (!L->W || !L->b)
            goto nomem;
        in = L->out;
    }
    *out = m;
    return 0;
nomem:
    mlp_free(m);
    return nq_err_set(e, NQ_ENOMEM, "out of memory");
}

int mlp_create(mlp **out, int n_in, int n_layers, const int *sizes, const nn_act *acts,
               nn_loss loss, uint64_t seed, nq_err *e)
{
    int rc = mlp_alloc(out, n_in, n_layers, sizes, acts, loss, e);
    if (rc)
        return rc;
    nq_rng r;
    nq_rng_seed(&r, seed);
    mlp *m = *out;
    for (int l = 0; l < m->n_layers; l++) {
        nn_layer *L = &m->layers[l];
        size_t n = (size_t)L->in * (size_t)L->out;
        if (L->act == NN_ACT_RELU || L->act == NN_ACT_SWISH) {
            double sd = sqrt(2.0 / L->in);
            for (size_t i = 0; i < n; i++)
                L->W[i] = (float)(sd * gauss(&r));
        } else {
            double lim = sqrt(6.0 / (L->in + L->out));
            for (size_t i = 0; i < n; i++)
                L->W[i] = (float)(lim * (2.0 * nq_rng_double(&r) - 1.0));
        }
    }
    return 0;
}

int mlp_clone(const mlp *m, mlp **out, nq_err *e)
{
    int sizes[MLP_MAX_LAYERS];
    nn_act acts[MLP_MAX_LAYERS];
    for (int l = 0; l < m->n_layers; l++) {
        sizes[l] = m->layers[l].out;
        acts[l] = m->layers[l].act;
    }
    int rc = mlp_alloc(out, m->n_in, m->n_layers, sizes, acts, m->loss, e);
    if (rc)
        return rc;
    (*out)->huber_delta = m->huber_delta;
    mlp_copy_params(*out, m);
    if (m->in_mean && (rc = mlp_set_scaler(*out, m->in_mean, m->in_scale, e)) != 0) {
        mlp_free(*out);
        *out = NULL;
    }
    return rc;
}

void mlp_copy_params(mlp *dst, const mlp *src)
{
    for (int l = 0; l < src->n_layers; l++) {
        const nn_layer *S = &src->layers[l];
        nn_layer *D = &dst->layers[l];
        memcpy(D->W, S->W, (size_t)S->in * (size_t)S->out * sizeof *S->W);
        memcpy(D->b, S->b, (size_t)S->out * sizeof *S->b);
    }
}

uint64_t mlp_param_count(const mlp *m)
{
    uint64_t n = 0;
    for (int l = 0; l < m->n_layers; l++)
        n += (uint64_t)m->layers[l].in * (uint64_t)m->layers[l].out + (uint64_t)m->layers[l].out;
    return n;
}

int mlp_n_out(const mlp *m) { return m->layers[m->n_layers - 1].out; }

int mlp_set_scaler(mlp *m, const float *mean, const float *scale, nq_err *e)
{
    free(m->in_mean);
    free(m->in_scale);
    m->in_mean = m->in_scale = NULL;
    if (!mean)
        return 0;
    m->in_mean = malloc((size_t)m->n_in * sizeof(float));
    m->in_scale = malloc((size_t)m->n_in * sizeof(float));
    if (!m->in_mean || !m->in_scale) {
        free(m->in_mean);
        free(m->in_scale);
        m->in_mean = m->in_scale = NULL;
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    memcpy(m->in_mean, mean, (size_t)m->n_in * sizeof(float));
    memcpy(m->in_scale, scale, (size_t)m->n_in * sizeof(float));
    return 0;
}

/* ---- work buffers ---- */

static int max_width(const mlp *m)
{
    int w = m->n_in;
    for (int l = 0; l < m->n_layers; l++)
        if (m->layers[l].out > w)
            w = m->layers[l].out;
    return w;
}

void mlp_work_free(mlp_work *w, const mlp *m)
{
    for (int l = 0; l < m->n_layers; l++) {
        if (w->Z)
            free(w->Z[l]);
        if (w->A)
            free(w->A[l]);
        if (w->dW)
            free(w->dW[l]);
        if (w->db)
            free(w->db[l]);
    }
    free(w->Z);
    free(w->A);
    free(w->dW);
    free(w->db);
    free(w->delta);
    free(w->delta2);
    free(w->scratch);
    free(w->xs);
    memset(w, 0, sizeof *w);
}

int mlp_work_init(mlp_work *w, const mlp *m, int max_batch, nq_err *e)
{
    memset(w, 0, sizeof *w);
    if (max_batch < 1)
        return nq_err_set(e, NQ_EINVAL, "batch size %d must be at least 1", max_batch);
    w->max_batch = max_batch;
    size_t L = (size_t)m->n_layers, B = (size_t)max_batch, mw = (size_t)max_width(m);
    w->Z = calloc(L, sizeof *w->Z);
    w->A = calloc(L, sizeof *w->A);
    w->dW = calloc(L, sizeof *w->dW);
    w->db = calloc(L, sizeof *w->db);
    if (!w->Z || !w->A || !w->dW || !w->db)
        goto nomem;
    for (size_t l = 0; l < L; l++) {
        const nn_layer *ly = &m->layers[l];
        w->Z[l] = malloc(B * (size_t)ly->out * sizeof(float));
        w->A[l] = malloc(B * (size_t)ly->out * sizeof(float));
        w->dW[l] = malloc((size_t)ly->in * (size_t)ly->out * sizeof(float));
        w->db[l] = malloc((size_t)ly->out * sizeof(float));
        if (!w->Z[l] || !w->A[l] || !w->dW[l] || !w->db[l])
            goto nomem;
    }
    size_t sc = B * mw > mw * mw ? B * mw : mw * mw;
    w->delta = malloc(B * mw * sizeof(float));
    w->delta2 = malloc(B * mw * sizeof(float));
    w->scratch = malloc(sc * sizeof(float));
    w->xs = malloc(B * (size_t)m->n_in * sizeof(float));
    if (!w->delta || !w->delta2 || !w->scratch || !w->xs)
        goto nomem;
    return 0;
nomem:
    mlp_work_free(w, m);
    return nq_err_set(e, NQ_ENOMEM, "out of memory for batches of %d", max_batch);
}

/* ---- forward ---- */

static inline float sigm(float z) { return 1.0f / (1.0f + expf(-z)); }

static void act_forward(nn_act act, const float *Z, float *A, int B, int n)
{
    size_t N = (size_t)B * (size_t)n;
    switch (act) {
    case NN_ACT_LINEAR:
        memcpy(A, Z, N * sizeof *A);
        break;
    case NN_ACT_RELU:
        for (size_t i = 0; i < N; i++)
            A[i] = Z[i] > 0.0f ? Z[i] : 0.0f;
        break;
    case NN_ACT_SIGMOID:
        for (size_t i = 0; i < N; i++)
            A[i] = sigm(Z[i]);
        break;
    case NN_ACT_TANH:
        for (size_t i = 0; i < N; i++)
            A[i] = tanhf(Z[i]);
        break;
    case NN_ACT_SWISH:
        for (size_t i = 0; i < N; i++)
            A[i] = Z[i] * sigm(Z[i]);
        break;
    case NN_ACT_SOFTMAX:
        for (int r = 0; r < B; r++) {
            const float *z = Z + (size_t)r * n;
            float *a = A + (size_t)r * n, mx = z[0], s = 0.0f;
            for (int j = 1; j < n; j++)
                mx = z[j] > mx ? z[j] : mx;
            for (int j = 0; j < n; j++)
                s += (a[j] = expf(z[j] - mx));
            float inv = 1.0f / s;
            for (int j = 0; j < n; j++)
                a[j] *= inv;
        }
        break;
    default:
        break;
    }
}

void mlp_forward(const mlp *m, mlp_work *w, const float *X, int B)
{
    const float *in = X;
    if (m->in_mean) {
        for (int r = 0; r < B; r++)
            for (int j = 0; j < m->n_in; j++)
                w->xs[(size_t)r * m->n_in + j] =
                    (X[(size_t)r * m->n_in + j] - m->in_mean[j]) * m->in_scale[j];
        in = w->xs;
    }
    w->in0 = in;
    for (int l = 0; l < m->n_layers; l++) {
        const nn_layer *L = &m->layers[l];
        float *Z = w->Z[l];
        nn_gemm(B, L->out, L->in, in, L->in, L->W, L->out, Z, L->out, 0);
        for (int r = 0; r < B; r++) {
            float *z = Z + (size_t)r * L->out;
            for (int j = 0; j < L->out; j++)
                z[j] += L->b[j];
        }
        act_forward(L->act, Z, w->A[l], B, L->out);
        in = w->A[l];
    }
}

/* ---- losses ---- */

#define NN_PEPS 1e-7f

static inline float clampp(float p)
{
    return p < NN_PEPS ? NN_PEPS : p > 1.0f - NN_PEPS ? 1.0f - NN_PEPS : p;
}

double mlp_loss(const mlp *m, const mlp_work *w, const float *Y, int B)
{
    int n = mlp_n_out(m);
    const float *A = w->A[m->n_layers - 1];
    size_t N = (size_t)B * (size_t)n;
    double s = 0.0, d = m->huber_delta;
    switch (m->loss) {
    case NN_LOSS_MSE:
        for (size_t i = 0; i < N; i++) {
            double r = (double)A[i] - Y[i];
            s += r * r;
        }
        return s / (double)N;
    case NN_LOSS_CROSS_ENTROPY:
        for (size_t i = 0; i < N; i++)
            if (Y[i] != 0.0f)
                s -= Y[i] * log((double)clampp(A[i]));
        return s / B;
    case NN_LOSS_BCE:
        for (size_t i = 0; i < N; i++) {
            double p = clampp(A[i]);
            s -= Y[i] * log(p) + (1.0 - Y[i]) * log(1.0 - p);
        }
        return s / (double)N;
    case NN_LOSS_HUBER:
        for (size_t i = 0; i < N; i++) {
            double r = fabs((double)A[i] - Y[i]);
            s += r <= d ? 0.5 * r * r : d * (r - 0.5 * d);
        }
        return s / (double)N;
    default:
        return NAN;
    }
}

double mlp_l2_term(const mlp *m, float l2, int B)
{
    if (l2 == 0.0f)
        return 0.0;
    double s = 0.0;
    for (int l = 0; l < m->n_layers; l++) {
        const nn_layer *L = &m->layers[l];
        size_t n = (size_t)L->in * (size_t)L->out;
        for (size_t i = 0; i < n; i++)
            s += (double)L->W[i] * L->W[i];
    }
    return 0.5 * l2 * s / B;
}

/* ---- backward ---- */

/* G (dL/dA, B×n) becomes dL/dZ in place. */
static void act_backward(nn_act act, float *G, const float *Z, const float *A, int B, int n)
{
    size_t N = (size_t)B * (size_t)n;
    switch (act) {
    case NN_ACT_LINEAR:
        break;
    case NN_ACT_RELU:
        for (size_t i = 0; i < N; i++)
            G[i] = Z[i] > 0.0f ? G[i] : 0.0f;
        break;
    case NN_ACT_SIGMOID:
        for (size_t i = 0; i < N; i++)
            G[i] *= A[i] * (1.0f - A[i]);
        break;
    case NN_ACT_TANH:
        for (size_t i = 0; i < N; i++)
            G[i] *= 1.0f - A[i] * A[i];
        break;
    case NN_ACT_SWISH:
        /* d/dz z·σ(z) = σ + z·σ(1−σ) = σ + A(1−σ). */
        for (size_t i = 0; i < N; i++) {
            float s = sigm(Z[i]);
            G[i] *= s + A[i] * (1.0f - s);
        }
        break;
    case NN_ACT_SOFTMAX:
        for (int r = 0; r < B; r++) {
            float *g = G + (size_t)r * n;
            const float *a = A + (size_t)r * n;
            float dot = 0.0f;
            for (int j = 0; j < n; j++)
                dot += g[j] * a[j];
            for (int j = 0; j < n; j++)
                g[j] = a[j] * (g[j] - dot);
        }
        break;
    default:
        break;
    }
}

void mlp_backward(const mlp *m, mlp_work *w, const float *Y, int B, float l2)
{
    int top = m->n_layers - 1, n = mlp_n_out(m);
    const nn_layer *T = &m->layers[top];
    const float *A = w->A[top];
    float *delta = w->delta, *below = w->delta2;
    size_t N = (size_t)B * (size_t)n;
    if ((m->loss == NN_LOSS_CROSS_ENTROPY && T->act == NN_ACT_SOFTMAX) ||
        (m->loss == NN_LOSS_BCE && T->act == NN_ACT_SIGMOID)) {
        float s = m->loss == NN_LOSS_CROSS_ENTROPY ? 1.0f / B : 1.0f / (float)N;
        for (size_t i = 0; i < N; i++)
            delta[i] = (A[i] - Y[i]) * s;
    } else {
        float s = 1.0f / (float)N, d = m->huber_delta;
        for (size_t i = 0; i < N; i++) {
            float r = A[i] - Y[i];
            switch (m->loss) {
            case NN_LOSS_MSE:
                delta[i] = 2.0f * r * s;
                break;
            case NN_LOSS_HUBER:
                delta[i] = (r > d ? d : r < -d ? -d : r) * s;
                break;
            case NN_LOSS_CROSS_ENTROPY: /* not reached: mlp_create requires Softmax */
                delta[i] = Y[i] != 0.0f ? -Y[i] / clampp(A[i]) / B : 0.0f;
                break;
            default: { /* BCE without Sigmoid: not reached, see mlp_create */
                float p = clampp(A[i]);
                delta[i] = (p - Y[i]) / (p * (1.0f - p)) * s;
            }
            }
        }
        act_backward(T->act, delta, w->Z[top], A, B, n);
    }
    for (int l = top; l >= 0; l--) {
        const nn_layer *L = &m->layers[l];
        const float *in = l > 0 ? w->A[l - 1] : w->in0;
        nn_gemm_tn(L->in, L->out, B, in, L->in, delta, L->out, w->dW[l], L->out, 0, w->scratch);
        if (l2 != 0.0f) {
            float c = l2 / B;
            size_t nw = (size_t)L->in * (size_t)L->out;
            for (size_t i = 0; i < nw; i++)
                w->dW[l][i] += c * L->W[i];
        }
        float *db = w->db[l];
        memset(db, 0, (size_t)L->out * sizeof *db);
        for (int r = 0; r < B; r++) {
            const float *d = delta + (size_t)r * L->out;
            for (int j = 0; j < L->out; j++)
                db[j] += d[j];
        }
        if (l > 0) {
            nn_gemm_nt(B, L->in, L->out, delta, L->out, L->W, L->out, below, L->in, 0,
                       w->scratch);
            const nn_layer *D = &m->layers[l - 1];
            act_backward(D->act, below, w->Z[l - 1], w->A[l - 1], B, D->out);
            float *t = delta;
            delta = below;
            below = t;
        }
    }
}

/* ---- prediction ---- */

int mlp_predict(const mlp *m, const float *X, int n, float *out, nq_err *e)
{
    int bs = n < 256 ? (n > 0 ? n : 1) : 256, no = mlp_n_out(m);
    mlp_work w;
    int rc = mlp_work_init(&w, m, bs, e);
    if (rc)
        return rc;
    for (int r = 0; r < n; r += bs) {
        int b = n - r < bs ? n - r : bs;
        mlp_forward(m, &w, X + (size_t)r * m->n_in, b);
        memcpy(out + (size_t)r * no, w.A[m->n_layers - 1], (size_t)b * no * sizeof *out);
    }
    mlp_work_free(&w, m);
    return 0;
}

int mlp_argmax(const float *row, int n_out)
{
    if (n_out == 1)
        return row[0] >= 0.5f;
    int best = 0;
    for (int j = 1; j < n_out; j++)
        if (row[j] > row[best])
            best = j;
    return best;
}
