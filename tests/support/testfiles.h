/*
 * testfiles.h — small file-system helpers the unit tests share (reading and writing whole
 * files, removing trees and databases), so each test does not carry its own copy. They fail
 * the running cmocka test on an I/O error where a test could not go on.
 */
#ifndef NQ_TEST_TESTFILES_H
#define NQ_TEST_TESTFILES_H

#include <stddef.h>
#include <stdint.h>

/* The whole file, NUL-terminated (the NUL is not counted in *len); NULL when it cannot be
 * opened. Free with free(). */
uint8_t *tf_slurp(const char *path, size_t *len);
/* Write n bytes as the whole file (created or truncated). */
void tf_spit(const char *path, const void *b, size_t n);
/* Remove a file or a directory tree (what is missing is ignored). */
void tf_rm_rf(const char *path);
/* Remove a database file and its log (path and path-wal). */
void tf_rm_db(const char *path);
/* Remove dir (a tree) and create it empty. */
void tf_mkdir_fresh(const char *dir);
/* 1 when this is an aarch64 binary running on an x86 host (qemu-user: /proc/cpuinfo shows
 * the host's vendor), so a test can skip a variant that takes tens of seconds there. */
int tf_emulated(void);

#endif
