/*
 * qubo_model.c — the sparse QUBO/Ising model: builder (collect, sort, merge into symmetric
 * CSR), energies, one-flip deltas and the exact QUBO <-> Ising conversion.
 *
 * The builder keeps pairs as (i<j, w) triplets, sorts them once and merges repeats, then lays
 * each pair into both rows of the CSR arrays. Building is O(T log T) for T terms; every later
 * operation only walks rows. See qubo.h for the conventions and the conversion formulas.
 */
#include "qubo.h"

#include <stdlib.h>
#include <string.h>

int qubo_builder_init(qubo_builder *b, int n, nq_err *err)
{
    memset(b, 0, sizeof *b);
    if (n < 1 || n > QUBO_MAX_VARS)
        return nq_err_set(err, NQ_EINVAL, "qubo: %d variables (1..%d allowed)", n, QUBO_MAX_VARS);
    b->n = n;
    b->lin = calloc((size_t)n, sizeof *b->lin);
    if (!b->lin)
        return nq_err_set(err, NQ_ENOMEM, "qubo: out of memory for %d variables", n);
    return 0;
}

void qubo_builder_add(qubo_builder *b, int i, int j, double w)
{
    if (b->failed)
        return;
    if (i < 0 || j < 0 || i >= b->n || j >= b->n) {
        b->failed = NQ_EINVAL;
        return;
    }
    if (i == j) {
        b->lin[i] += w;
        return;
    }
    if (b->nterms == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        if (cap > QUBO_MAX_PAIRS) {
            b->failed = NQ_ETOOBIG;
            return;
        }
        qubo_term *t = realloc(b->terms, cap * sizeof *t);
        if (!t) {
            b->failed = NQ_ENOMEM;
            return;
        }
        b->terms = t;
        b->cap = cap;
    }
    qubo_term *t = &b->terms[b->nterms++];
    t->i = i < j ? i : j;
    t->j = i < j ? j : i;
    t->w = w;
}

void qubo_builder_add_offset(qubo_builder *b, double c)
{
    b->offset += c;
}

static int term_cmp(const void *a, const void *b)
{
    const qubo_term *x = a, *y = b;
    if (x->i != y->i)
        return x->i < y->i ? -1 : 1;
    if (x->j != y->j)
        return x->j < y->j ? -1 : 1;
    return 0;
}

void qubo_builder_free(qubo_builder *b)
{
    free(b->lin);
    free(b->terms);
    memset(b, 0, sizeof *b);
}

int qubo_builder_build(qubo_builder *b, qubo_model *m, nq_err *err)
{
    memset(m, 0, sizeof *m);
    if (b->failed) {
        int rc = b->failed;
        return nq_err_set(err, rc, "qubo: %s while collecting terms",
                          rc == NQ_EINVAL ? "variable index out of range"
                          : rc == NQ_ETOOBIG ? "too many terms" : "out of memory");
    }
    int n = b->n;
    if (b->nterms)
        qsort(b->terms, b->nterms, sizeof *b->terms, term_cmp);
    /* merge repeats and drop pairs that cancel to zero */
    size_t k = 0;
    for (size_t t = 0; t < b->nterms; t++) {
        if (k && b->terms[k - 1].i == b->terms[t].i && b->terms[k - 1].j == b->terms[t].j)
            b->terms[k - 1].w += b->terms[t].w;
        else
            b->terms[k++] = b->terms[t];
    }
    size_t p = 0;
    for (size_t t = 0; t < k; t++)
        if (b->terms[t].w != 0.0)
            b->terms[p++] = b->terms[t];

    m->n = n;
    m->offset = b->offset;
    m->lin = b->lin;
    b->lin = NULL;
    m->row = calloc((size_t)n + 1, sizeof *m->row);
    m->col = malloc((2 * p + 1) * sizeof *m->col);
    m->w = malloc((2 * p + 1) * sizeof *m->w);
    size_t *fill = calloc((size_t)n, sizeof *fill);
    if (!m->row || !m->col || !m->w || !fill) {
        free(fill);
        qubo_free(m);
        return nq_err_set(err, NQ_ENOMEM, "qubo: out of memory for %zu pairs", p);
    }
    for (size_t t = 0; t < p; t++) {
        m->row[b->terms[t].i + 1]++;
        m->row[b->terms[t].j + 1]++;
    }
    for (int i = 0; i < n; i++)
        m->row[i + 1] += m->row[i];
    /* terms are sorted by (i, j): row i receives its j>i partners in ascending order, and row j
     * receives partners i<j in ascending i; emitting all (j, i) first keeps rows sorted. */
    for (size_t t = 0; t < p; t++) {
        int i = b->terms[t].i, j = b->terms[t].j;
        size_t at = m->row[j] + fill[j]++;
        m->col[at] = i;
        m->w[at] = b->terms[t].w;
    }
    for (size_t t = 0; t < p; t++) {
        int i = b->terms[t].i, j = b->terms[t].j;
        size_t at = m->row[i] + fill[i]++;
        m->col[at] = j;
        m->w[at] = b->terms[t].w;
    }
    free(fill);
    free(b->terms);
    b->terms = NULL;
    b->nterms = b->cap = 0;
    return 0;
}

void qubo_free(qubo_model *m)
{
    if (!m)
        return;
    free(m->lin);
    free(m->row);
    free(m->col);
    free(m->w);
    memset(m, 0, sizeof *m);
}

void ising_free(ising_model *m)
{
    if (!m)
        return;
    free(m->h);
    free(m->row);
    free(m->col);
    free(m->J);
    memset(m, 0, sizeof *m);
}

size_t qubo_num_pairs(const qubo_model *m)
{
    return m->row ? m->row[m->n] / 2 : 0;
}

double qubo_energy(const qubo_model *m, const unsigned char *x)
{
    double e = m->offset;
    for (int i = 0; i < m->n; i++) {
        if (!x[i])
            continue;
        e += m->lin[i];
        for (size_t k = m->row[i]; k < m->row[i + 1]; k++)
            if (m->col[k] > i && x[m->col[k]])
                e += m->w[k];
    }
    return e;
}

double ising_energy(const ising_model *m, const signed char *s)
{
    double e = m->offset;
    for (int i = 0; i < m->n; i++) {
        double f = m->h[i];
        for (size_t k = m->row[i]; k < m->row[i + 1]; k++)
            if (m->col[k] > i)
                f += m->J[k] * s[m->col[k]];
        e += f * s[i];
    }
    return e;
}

double qubo_flip_delta(const qubo_model *m, const unsigned char *x, int i)
{
    double f = m->lin[i];
    for (size_t k = m->row[i]; k < m->row[i + 1]; k++)
        if (x[m->col[k]])
            f += m->w[k];
    return x[i] ? -f : f;
}

/* Copy the CSR structure of (n, row, col) with fresh arrays for the values. */
static int csr_copy(int n, const size_t *row, const int *col, size_t **orow, int **ocol,
                    double **vals, double **diag, nq_err *err)
{
    size_t nnz = row[n];
    *orow = malloc(((size_t)n + 1) * sizeof **orow);
    *ocol = malloc((nnz + 1) * sizeof **ocol);
    *vals = malloc((nnz + 1) * sizeof **vals);
    *diag = malloc((size_t)n * sizeof **diag);
    if (!*orow || !*ocol || !*vals || !*diag) {
        free(*orow);
        free(*ocol);
        free(*vals);
        free(*diag);
        *orow = NULL;
        *ocol = NULL;
        *vals = *diag = NULL;
        return nq_err_set(err, NQ_ENOMEM, "qubo: out of memory converting the model");
    }
    memcpy(*orow, row, ((size_t)n + 1) * sizeof *row);
    memcpy(*ocol, col, nnz * sizeof *col);
    return 0;
}

int ising_from_qubo(const qubo_model *q, ising_model *out, nq_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = csr_copy(q->n, q->row, q->col, &out->row, &out->col, &out->J, &out->h, err);
    if (rc)
        return rc;
    out->n = q->n;
    double off = q->offset;
    for (int i = 0; i < q->n; i++) {
        double h = q->lin[i] / 2;
        off += q->lin[i] / 2;
        for (size_t k = q->row[i]; k < q->row[i + 1]; k++) {
            out->J[k] = q->w[k] / 4;
            h += q->w[k] / 4;
            if (q->col[k] > i)
                off += q->w[k] / 4;
        }
        out->h[i] = h;
    }
    out->offset = off;
    return 0;
}

int qubo_from_ising(const ising_model *s, qubo_model *out, nq_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = csr_copy(s->n, s->row, s->col, &out->row, &out->col, &out->w, &out->lin, err);
    if (rc)
        return rc;
    out->n = s->n;
    double off = s->offset;
    for (int i = 0; i < s->n; i++) {
        double lin = 2 * s->h[i];
        off -= s->h[i];
        for (size_t k = s->row[i]; k < s->row[i + 1]; k++) {
            out->w[k] = 4 * s->J[k];
            lin -= 2 * s->J[k];
            if (s->col[k] > i)
                off += s->J[k];
        }
        out->lin[i] = lin;
    }
    out->offset = off;
    return 0;
}
