/*
 * kvmodel.h — an in-memory model of what a database holds: a fixed number of named trees
 * (tree i is called "t<i>"), each either absent or an ordered map of byte-string keys to
 * byte-string values, plus per tree the highest sequence value handed out.
 *
 * The crash tests keep one model per interesting state (the state after the last acknowledged
 * commit, the state the in-flight transaction would make) and compare what a recovered
 * database holds against them. Cloning must be cheap because a test clones at every
 * transaction: keys and values are immutable, reference-counted blobs shared between clones,
 * so a clone copies one pointer pair per entry.
 *
 * Order: keys compare as memcmp over the shorter length, then the shorter key first — the
 * order nq_cursor walks. Not thread-safe (a model belongs to one test thread or process).
 */
#ifndef NQ_TEST_KVMODEL_H
#define NQ_TEST_KVMODEL_H

#include <stddef.h>
#include <stdint.h>

typedef struct kvm kvm;

/* A model with ntrees trees, all absent. NULL when out of memory. */
kvm *kvm_new(int ntrees);
kvm *kvm_clone(const kvm *m);
void kvm_free(kvm *m);

int kvm_ntrees(const kvm *m);
int kvm_tree_exists(const kvm *m, int t);
/* Make tree t exist (empty if it did not). */
void kvm_tree_create(kvm *m, int t);
/* Make tree t absent; its entries go, its sequence high-water mark stays. */
void kvm_tree_drop(kvm *m, int t);

/* Insert or replace; creates the tree if absent. Copies key and value. */
void kvm_put(kvm *m, int t, const void *k, size_t kl, const void *v, size_t vl);
/* 1 if the key was there (and is now gone), 0 if not. */
int kvm_del(kvm *m, int t, const void *k, size_t kl);
/* 1 and *v, *vl (owned by the model, valid until the entry changes) if present, else 0. */
int kvm_get(const kvm *m, int t, const void *k, size_t kl, const void **v, size_t *vl);

size_t kvm_count(const kvm *m, int t);
/* The i-th entry of tree t in key order (i < kvm_count). */
void kvm_entry(const kvm *m, int t, size_t i, const void **k, size_t *kl, const void **v,
               size_t *vl);

/* Record that sequence value v of tree t was handed out (keeps the maximum). */
void kvm_seq_note(kvm *m, int t, uint64_t v);
uint64_t kvm_seq_max(const kvm *m, int t);

/* Same trees present with the same entries (sequence marks are not compared). If they differ
 * and why != NULL, a one-line description of the first difference goes there. */
int kvm_equal(const kvm *a, const kvm *b, char *why, size_t whylen);
/* A 64-bit digest of the contents kvm_equal compares. */
uint64_t kvm_digest(const kvm *m);

#endif
