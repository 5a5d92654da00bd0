/*
 * bench_util.h — helpers shared by the benchmark programs in bench/.
 *
 * Nothing here is specific to one engine: a monotonic clock, medians, a seeded generator and
 * permutations (so both engines of a benchmark see exactly the same keys in the same order),
 * a description of the machine and of the file system the databases live on, recursive
 * removal of a scratch directory, and running a piece of work in a forked child process whose
 * result comes back through a pipe and whose peak resident set size comes back from wait4().
 * A separate child per engine is what makes the memory comparison fair: each engine's peak is
 * measured in a process that never held the other engine's pages or heap.
 */
#ifndef NQ_BENCH_UTIL_H
#define NQ_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Seconds on the monotonic clock (arbitrary origin). */
double bu_now(void);

/* Median of v[0..n) (sorts v in place). n must be > 0. */
double bu_median(double *v, int n);

/* A small seeded generator (splitmix64): deterministic on every platform. */
typedef struct bu_rng {
    uint64_t s;
} bu_rng;
void bu_rng_seed(bu_rng *r, uint64_t seed);
uint64_t bu_rng_next(bu_rng *r);
uint64_t bu_rng_below(bu_rng *r, uint64_t n); /* uniform in [0, n), n > 0 */
uint64_t bu_mix64(uint64_t x);                 /* a stateless 64-bit mixer */

/* a[i] = a permutation of 1..n, shuffled with the given seed (Fisher–Yates). */
void bu_permutation(uint32_t *a, uint32_t n, uint64_t seed);

/* Big-endian 8-byte encoding, so that memcmp order equals numeric order. */
void bu_put_be64(uint8_t *p, uint64_t v);
uint64_t bu_get_be64(const uint8_t *p);

/* The machine: CPU model (from /proc/cpuinfo, falling back to uname), online CPUs, total memory
 * in KiB (0 if unknown), and the kernel ("Linux 6.1.0-18-amd64 x86_64"). */
void bu_cpu_model(char *buf, size_t n);
long bu_nproc(void);
uint64_t bu_mem_total_kib(void);
void bu_kernel(char *buf, size_t n);
/* The 1-minute load average, or -1 if unknown: other work on the machine skews timings. */
double bu_loadavg(void);

/* The file system holding dir: type ("ext4"), source ("/dev/sda2") and mount options, from
 * /proc/self/mountinfo (matched by device number), or the type alone from statfs() where
 * mountinfo is not available. *is_ram is set when the file system lives in memory (tmpfs,
 * ramfs), where fsync costs nothing and durable timings mean nothing. */
void bu_fs_describe(const char *dir, char *type, size_t ntype, char *source, size_t nsource,
                    char *opts, size_t nopts, int *is_ram);

/* Flush the dirty pages of the file system holding dir (syncfs, or sync where that fails), so
 * that a measured phase does not pay for writeback left behind by an earlier one. */
void bu_flush_fs(const char *dir);

/* Remove path and everything under it. Returns 0, or -1 with errno set. */
int bu_rm_rf(const char *path);

/* Total size in bytes of the regular files directly inside dir (0 if it cannot be read). */
uint64_t bu_dir_bytes(const char *dir);

/* Run a shell command and return everything it wrote to stdout (malloc'd, *len bytes); NULL
 * when it could not run, exited non-zero or memory ran out. */
uint8_t *bu_read_cmd(const char *cmd, size_t *len);
/* Run a shell command that prints one integer (e.g. "tool < file | wc -c"); -1 on failure. */
long bu_cmd_long(const char *cmd);

/* Peak resident set size of the calling process so far, in KiB. */
long bu_self_maxrss_kib(void);

/* Run fn(arg, out) in a forked child. The child's out buffer (outsz bytes, filled by fn, which
 * reports its own failures inside it; fn's return value is ignored) is sent back through a pipe
 * into the parent's out. Returns 0 when the whole buffer arrived and the child exited normally;
 * otherwise -1 with a reason in err (e.g. the child was killed by a signal). *maxrss_kib receives the child's
 * peak resident set size (from wait4) in every case where the child was reaped, else 0. */
typedef void (*bu_child_fn)(void *arg, void *out);
int bu_run_child(bu_child_fn fn, void *arg, void *out, size_t outsz, long *maxrss_kib,
                 char *err, size_t errsz);

/* Print s as a JSON string literal (with quotes) to stdout. */
void bu_json_string(const char *s);

/* The machine a benchmark ran on, probed once and printed the same way by every benchmark. */
typedef struct bu_machine {
    char cpu[256], kernel[256], fstype[128], fssrc[512], fsopts[1024];
    long nproc;
    uint64_t mem_kib;
    int is_ram;                  /* the scratch directory is in memory: fsync costs nothing */
    double harness_rss_kib;      /* peak RSS of the harness alone (set by the caller) */
    double load_start, load_end; /* 1-minute load average before and after (load_end: caller) */
} bu_machine;
/* Fill m for a run whose files go to dir (load_start is read now). */
void bu_machine_probe(bu_machine *m, const char *dir);
/* The "machine:", "load:" and "files:" lines of a text report. */
void bu_machine_print(const bu_machine *m, const char *dir);
/* ,"machine":{...},"filesystem":{...} members of a JSON report. */
void bu_machine_json(const bu_machine *m, const char *dir);

/* Report formatting: 1.234 s / 12.3 ms / 45.6 us; 1,234,567; 12.3 MiB (from KiB). */
void bu_fmt_secs(char *buf, size_t n, double s);
void bu_fmt_count(char *buf, size_t n, double v);
void bu_fmt_mib(char *buf, size_t n, double kib);

#endif
