/*
 * dataset.c — CSV parsing, the scikit-learn data sets, standardisation, stratified split (see
 * dataset.h).
 *
 * The parser walks the buffer once, line by line, with strtod on each field (the buffer is
 * NUL-terminated, so strtod cannot run past it; a field ends at the comma or line end, and
 * anything strtod leaves before that is an error naming line and column). Non-finite values
 * are refused: a NaN in the inputs would silently poison every weight it touched.
 */
#include "dataset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/rand.h"

const char *const nn_dataset_names[] = {"digits", "iris", "wine", "breast_cancer", NULL};
static const char *const nn_dataset_files[] = {"digits.csv.gz", "iris.csv", "wine_data.csv",
                                               "breast_cancer.csv", NULL};

#define NN_MAX_FILE ((size_t)256 << 20)

const char *nn_dataset_file(const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; nn_dataset_names[i]; i++)
        if (!strcmp(name, nn_dataset_names[i]))
            return nn_dataset_files[i];
    if (!strcmp(name, "breast-cancer"))
        return nn_dataset_files[3];
    return NULL;
}

int nn_read_file(const char *path, char **text, size_t *len, nq_err *e)
{
    *text = NULL;
    *len = 0;
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        int en = errno ? errno : ENOMEM;
        return nq_err_set(e, en == ENOENT ? NQ_ENOTFOUND : nq_errno_code(en), "%s: %s", path,
                          strerror(en));
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int rc = 0;
    if (!buf) {
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        if (cap - n < 2) {
            if (cap >= NN_MAX_FILE) {
                rc = nq_err_set(e, NQ_ETOOBIG, "%s: larger than %zu MiB", path,
                                NN_MAX_FILE >> 20);
                goto out;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        size_t want = cap - n - 1;
        if (want > (1u << 30))
            want = 1u << 30;
        int got = gzread(f, buf + n, (unsigned)want);
        if (got < 0) {
            int ze;
            const char *msg = gzerror(f, &ze);
            rc = nq_err_set(e, NQ_ECORRUPT, "%s: %s", path, msg ? msg : "read error");
            goto out;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    buf[n] = 0;
    *text = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    gzclose(f);
    return rc;
}

/* One line [p, end) (without the newline). Parses up to max fields into out (out NULL: only
 * counts). Returns the field count, or -1 with *bad_col set (1-based) if a field is not a
 * finite number. */
static int parse_line(const char *p, const char *end, float *out, int max, int *bad_col)
{
    int c = 0;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *fe = p;
        while (fe < end && *fe != ',')
            fe++;
        const char *te = fe;
        while (te > p && (te[-1] == ' ' || te[-1] == '\t' || te[-1] == '\r'))
            te--;
        char *q = NULL;
        errno = 0;
        double v = te > p ? strtod(p, &q) : 0.0;
        if (te == p || q != te || !isfinite(v) || fabs(v) > 3.0e38) {
            *bad_col = c + 1;
            return -1;
        }
        if (out && c < max)
            out[c] = (float)v;
        c++;
        if (fe == end)
            return c;
        p = fe + 1;
    }
}

static int blank(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r')
            return 0;
    return 1;
}

int nn_csv_parse(const char *text, size_t len, int skip_header, float **data, int *rows,
                 int *cols, nq_err *e)
{
    *data = NULL;
    *rows = *cols = 0;
    if (memchr(text, 0, len))
        return nq_err_set(e, NQ_EINVAL, "line 1: the input holds a NUL byte: not a CSV text");
    /* Pass 1: count rows and fix the column count; pass 2: fill. The text must be
     * NUL-terminated after len (strtod stops there at the latest). */
    const char *end = text + len;
    int nrows = 0, ncols = -1, line = 0, first = 1;
    size_t cap = 0;
    float *d = NULL;
    for (int pass = 0; pass < 2; pass++) {
        const char *p = text;
        line = 0;
        first = 1;
        int r = 0;
        while (p < end) {
            const char *le = memchr(p, '\n', (size_t)(end - p));
            if (!le)
                le = end;
            line++;
            if (!blank(p, le)) {
                int bad = 0;
                int c = parse_line(p, le, pass ? d + (size_t)r * ncols : NULL, ncols, &bad);
                if (first && skip_header && (skip_header == 1 || c < 0)) {
                    first = 0;
                    p = le + (le < end);
                    continue;
                }
                first = 0;
                if (c < 0) {
                    free(d);
                    return nq_err_set(e, NQ_EINVAL, "line %d, column %d: not a finite number",
                                      line, bad);
                }
                if (ncols < 0)
                    ncols = c;
                else if (c != ncols) {
                    free(d);
                    return nq_err_set(e, NQ_EINVAL, "line %d: %d fields, expected %d", line, c,
                                      ncols);
                }
                if (r == 0x7fffffff) {
                    free(d);
                    return nq_err_set(e, NQ_ETOOBIG, "line %d: too many rows", line);
                }
                r++;
            }
            p = le + (le < end);
        }
        if (pass == 0) {
            nrows = r;
            if (nrows == 0)
                return nq_err_set(e, NQ_EINVAL, "no data rows");
            cap = (size_t)nrows * (size_t)ncols;
            d = malloc(cap * sizeof *d);
            if (!d)
                return nq_err_set(e, NQ_ENOMEM, "out of memory for %d×%d values", nrows, ncols);
        }
    }
    *data = d;
    *rows = nrows;
    *cols = ncols;
    return 0;
}

void nn_dataset_free(nn_dataset *ds)
{
    if (!ds)
        return;
    if (ds->class_names)
        for (int i = 0; i < ds->k; i++)
            free(ds->class_names[i]);
    free(ds->class_names);
    free(ds->X);
    free(ds->y);
    memset(ds, 0, sizeof *ds);
}

/* The sklearn header "n,d,name,name,...": counts and class names. */
static int parse_header(const char *text, size_t len, const char *file, int *n, int *d,
                        char ***names, int *k, nq_err *e)
{
    const char *le = memchr(text, '\n', len);
    size_t ll = le ? (size_t)(le - text) : len;
    char *h = malloc(ll + 1);
    if (!h)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    memcpy(h, text, ll);
    h[ll] = 0;
    if (ll && h[ll - 1] == '\r')
        h[ll - 1] = 0;
    int rc = 0, cnt = 0;
    char **nm = NULL;
    char *save = NULL;
    for (char *t = strtok_r(h, ",", &save); t; t = strtok_r(NULL, ",", &save), cnt++) {
        if (cnt < 2) {
            char *q;
            long v = strtol(t, &q, 10);
            if (q == t || *q || v < 1 || v > 100000000) {
                rc = nq_err_set(e, NQ_ECORRUPT, "%s: line 1, field %d: \"%s\" is not a count",
                                file, cnt + 1, t);
                goto out;
            }
            *(cnt ? d : n) = (int)v;
            continue;
        }
        char **nn = realloc(nm, (size_t)(cnt - 1) * sizeof *nm);
        if (!nn || !(nn[cnt - 2] = strdup(t))) {
            nm = nn ? nn : nm;
            cnt -= !nn; /* keep the count of allocated names right for the cleanup */
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            goto out;
        }
        nm = nn;
    }
    if (cnt < 4)
        rc = nq_err_set(e, NQ_ECORRUPT,
                        "%s: line 1: expected \"samples,features,class names...\"", file);
out:
    if (rc) {
        for (int i = 0; i < cnt - 2; i++)
            free(nm[i]);
        free(nm);
    } else {
        *names = nm;
        *k = cnt - 2;
    }
    free(h);
    return rc;
}

int nn_dataset_load(const char *dir, const char *name, nn_dataset *ds, nq_err *e)
{
    memset(ds, 0, sizeof *ds);
    const char *file = nn_dataset_file(name);
    if (!file)
        return nq_err_set(e, NQ_ENOTFOUND,
                          "unknown data set \"%s\" (known: digits, iris, wine, breast_cancer)",
                          name ? name : "");
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir ? dir : NN_SKLEARN_DATA_DIR, file) >=
        (int)sizeof path)
        return nq_err_set(e, NQ_EINVAL, "data directory path too long");
    char *text;
    size_t len;
    int rc = nn_read_file(path, &text, &len, e);
    if (rc)
        return rc;
    int hn = -1, hd = -1, hk = 0;
    char **names = NULL;
    int has_header = strcmp(file, "digits.csv.gz") != 0;
    if (has_header && (rc = parse_header(text, len, path, &hn, &hd, &names, &hk, e)) != 0) {
        free(text);
        return rc;
    }
    float *m = NULL;
    int rows, cols;
    rc = nn_csv_parse(text, len, has_header, &m, &rows, &cols, e);
    free(text);
    if (rc) {
        nq_err_prefix(e, rc, "%s", path);
        if (rc != NQ_ENOMEM && e)
            e->code = rc = NQ_ECORRUPT;
        else if (rc != NQ_ENOMEM)
            rc = NQ_ECORRUPT;
        goto fail;
    }
    if (cols < 2) {
        rc = nq_err_set(e, NQ_ECORRUPT, "%s: %d column(s): expected features and a class", path,
                        cols);
        goto fail;
    }
    if (has_header && (rows != hn || cols != hd + 1)) {
        rc = nq_err_set(e, NQ_ECORRUPT,
                        "%s: the header announces %d rows of %d features, the file holds %d rows "
                        "of %d columns",
                        path, hn, hd, rows, cols);
        goto fail;
    }
    ds->n = rows;
    ds->d = cols - 1;
    ds->X = malloc((size_t)rows * ds->d * sizeof *ds->X);
    ds->y = malloc((size_t)rows * sizeof *ds->y);
    if (!ds->X || !ds->y) {
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto fail;
    }
    int kmax = 0;
    for (int r = 0; r < rows; r++) {
        const float *row = m + (size_t)r * cols;
        memcpy(ds->X + (size_t)r * ds->d, row, (size_t)ds->d * sizeof *row);
        float c = row[cols - 1];
        int lim = has_header ? hk : 1000;
        if (c != floorf(c) || c < 0 || c >= lim) {
            rc = nq_err_set(e, NQ_ECORRUPT, "%s: row %d: class %g is not an integer in 0..%d",
                            path, r + 1, (double)c, lim - 1);
            goto fail;
        }
        ds->y[r] = (int)c;
        if (ds->y[r] + 1 > kmax)
            kmax = ds->y[r] + 1;
    }
    ds->k = has_header ? hk : kmax;
    if (!names) {
        names = calloc((size_t)ds->k, sizeof *names);
        if (!names) {
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            goto fail;
        }
        for (int i = 0; i < ds->k; i++) {
            char b[16];
            snprintf(b, sizeof b, "%d", i);
            if (!(names[i] = strdup(b))) {
                ds->class_names = names;
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                goto fail;
            }
        }
    }
    ds->class_names = names;
    names = NULL;
    snprintf(ds->name, sizeof ds->name, "%s", name);
    free(m);
    return 0;
fail:
    if (names && !ds->class_names)
        for (int i = 0; i < hk; i++)
            free(names[i]);
    if (!ds->class_names)
        free(names);
    free(m);
    nn_dataset_free(ds);
    return rc;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int nn_dataset_split(const nn_dataset *ds, double test_frac, uint64_t seed, int **train,
                     int *n_train, int **test, int *n_test, nq_err *e)
{
    *train = *test = NULL;
    *n_train = *n_test = 0;
    if (!(test_frac > 0.0 && test_frac < 1.0))
        return nq_err_set(e, NQ_EINVAL, "test fraction must be in (0, 1)");
    int *tr = malloc((size_t)ds->n * sizeof *tr), *te = malloc((size_t)ds->n * sizeof *te);
    int *cls = malloc((size_t)ds->n * sizeof *cls);
    if (!tr || !te || !cls) {
        free(tr);
        free(te);
        free(cls);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    nq_rng r;
    nq_rng_seed(&r, seed);
    int ntr = 0, nte = 0;
    for (int c = 0; c < ds->k; c++) {
        int nc = 0;
        for (int i = 0; i < ds->n; i++)
            if (ds->y[i] == c)
                cls[nc++] = i;
        for (int i = nc - 1; i > 0; i--) {
            int j = (int)nq_rng_below(&r, (uint64_t)i + 1), t = cls[i];
            cls[i] = cls[j];
            cls[j] = t;
        }
        int nt = (int)floor(test_frac * nc + 0.5);
        for (int i = 0; i < nc; i++) {
            if (i < nt)
                te[nte++] = cls[i];
            else
                tr[ntr++] = cls[i];
        }
    }
    free(cls);
    qsort(tr, (size_t)ntr, sizeof *tr, cmp_int);
    qsort(te, (size_t)nte, sizeof *te, cmp_int);
    *train = tr;
    *test = te;
    *n_train = ntr;
    *n_test = nte;
    return 0;
}

void nn_standardize_fit(const float *X, int d, const int *idx, int n, float *mean, float *scale)
{
    for (int j = 0; j < d; j++) {
        double s = 0.0, s2 = 0.0;
        for (int i = 0; i < n; i++)
            s += X[(size_t)(idx ? idx[i] : i) * d + j];
        double mu = n ? s / n : 0.0;
        for (int i = 0; i < n; i++) {
            double v = X[(size_t)(idx ? idx[i] : i) * d + j] - mu;
            s2 += v * v;
        }
        double sd = n ? sqrt(s2 / n) : 0.0;
        mean[j] = (float)mu;
        scale[j] = sd > 1e-12 ? (float)(1.0 / sd) : 1.0f;
    }
}

int nn_dataset_gather(const nn_dataset *ds, const int *idx, int n, float **X, float **Y,
                      nq_err *e)
{
    *X = malloc((size_t)(n ? n : 1) * ds->d * sizeof **X);
    *Y = calloc((size_t)(n ? n : 1) * ds->k, sizeof **Y);
    if (!*X || !*Y) {
        free(*X);
        free(*Y);
        *X = *Y = NULL;
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        memcpy(*X + (size_t)i * ds->d, ds->X + (size_t)idx[i] * ds->d, (size_t)ds->d * sizeof **X);
        (*Y)[(size_t)i * ds->k + ds->y[idx[i]]] = 1.0f;
    }
    return 0;
}
