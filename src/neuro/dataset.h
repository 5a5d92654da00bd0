/*
 * dataset.h — classification data sets for the trainable networks: numeric CSV parsing, the
 * data sets that Debian's python3-sklearn ships as CSV files, standardisation and a seeded
 * stratified train/test split.
 *
 * The scikit-learn files (sklearn/datasets/data/) come in two shapes: iris.csv, wine_data.csv
 * and breast_cancer.csv start with a header line "n_samples,n_features,class names..." followed
 * by rows of n_features numbers and an integer class; digits.csv.gz is gzip-compressed and has
 * no header (64 pixel values 0..16 and the digit). Files are read through zlib's gzread, which
 * reads plain and gzip files alike. The loader checks the header's counts against the rows.
 *
 * Memory: a loaded nn_dataset owns its arrays; nn_dataset_free releases them. Functions that
 * return arrays say who frees them.
 */
#ifndef NQ_NEURO_DATASET_H
#define NQ_NEURO_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Where Debian's python3-sklearn puts its data files. */
#define NN_SKLEARN_DATA_DIR "/usr/lib/python3/dist-packages/sklearn/datasets/data"

typedef struct nn_dataset {
    char name[32];
    int n, d, k;        /* rows, features, classes */
    float *X;           /* n×d, row-major */
    int *y;             /* n labels in 0..k-1 */
    char **class_names; /* k names */
} nn_dataset;

/* The data sets known by name: "digits", "iris", "wine", "breast_cancer" (NULL-terminated). */
extern const char *const nn_dataset_names[];
/* The file name of a known data set in the sklearn directory, or NULL. */
const char *nn_dataset_file(const char *name);

/* Read a whole file (gzip or plain) into a NUL-terminated malloc'd buffer (caller frees). */
int nn_read_file(const char *path, char **text, size_t *len, nq_err *e);

/* Parse a numeric CSV matrix: fields separated by commas, optional spaces, CRLF or LF, blank
 * lines skipped; a first line that is not numeric is skipped as a header when skip_header is
 * 1 (and when -1, skipped only if it does not parse). *data (rows×cols, caller frees). Errors
 * name the line and column. */
int nn_csv_parse(const char *text, size_t len, int skip_header, float **data, int *rows,
                 int *cols, nq_err *e);

/* Load a known data set from dir (NN_SKLEARN_DATA_DIR if NULL). NQ_ENOTFOUND when the file
 * is absent; NQ_ECORRUPT when its contents do not match the format above. */
int nn_dataset_load(const char *dir, const char *name, nn_dataset *ds, nq_err *e);
void nn_dataset_free(nn_dataset *ds);

/* Stratified split: in each class a seeded shuffle puts round(test_frac·n_c) rows into the test
 * set, the rest into training. *train and *test are ascending row numbers (caller frees). */
int nn_dataset_split(const nn_dataset *ds, double test_frac, uint64_t seed, int **train,
                     int *n_train, int **test, int *n_test, nq_err *e);

/* Per-feature mean and scale = 1/standard deviation (population, as scikit-learn's
 * StandardScaler; 1 for a constant feature) over rows idx[0..n) of X (n×d). */
void nn_standardize_fit(const float *X, int d, const int *idx, int n, float *mean, float *scale);

/* Gather rows idx[0..n) into X (n×d) and one-hot targets Y (n×k) (both caller frees). */
int nn_dataset_gather(const nn_dataset *ds, const int *idx, int n, float **X, float **Y,
                      nq_err *e);

#endif
