/*
 * bench_util.c — helpers shared by the benchmark programs (see bench_util.h).
 *
 * Everything here is engine-neutral on purpose: whatever a benchmark measures, the two sides
 * of a comparison get their keys, clocks, scratch files and child processes from the same code.
 */
#include "bench_util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bu_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    if (n % 2)
        return v[n / 2];
    return (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

void bu_rng_seed(bu_rng *r, uint64_t seed) { r->s = seed; }

uint64_t bu_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t bu_rng_next(bu_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return bu_mix64(r->s);
}

uint64_t bu_rng_below(bu_rng *r, uint64_t n)
{
    /* Reject the top sliver of the range so that every residue is equally likely. */
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = bu_rng_next(r);
        if (x >= threshold)
            return x % n;
    }
}

void bu_permutation(uint32_t *a, uint32_t n, uint64_t seed)
{
    bu_rng r;
    bu_rng_seed(&r, seed);
    for (uint32_t i = 0; i < n; i++)
        a[i] = i + 1;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)bu_rng_below(&r, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

void bu_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t bu_get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, strlen(s + i) + 1);
}

/* The value of the first "key : value" line of /proc/cpuinfo whose key is one of keys, in
 * order of preference (x86 has "model name"; a Raspberry Pi has "Model" and only "CPU part"). */
static int cpuinfo_field(const char *key, char *buf, size_t n)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return 0;
    char line[512];
    int found = 0;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0)
            continue;
        char *p = line + klen;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ':')
            continue;
        snprintf(buf, n, "%s", p + 1);
        trim(buf);
        found = buf[0] != '\0';
        break;
    }
    fclose(f);
    return found;
}

void bu_cpu_model(char *buf, size_t n)
{
    static const char *keys[] = {"model name", "Model", "Hardware", "cpu model", "Processor"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (cpuinfo_field(keys[i], buf, n))
            return;
    struct utsname u;
    snprintf(buf, n, "%s", uname(&u) == 0 ? u.machine : "unknown");
}

long bu_nproc(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

uint64_t bu_mem_total_kib(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    unsigned long long kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

void bu_kernel(char *buf, size_t n)
{
    struct utsname u;
    if (uname(&u) != 0)
        snprintf(buf, n, "unknown");
    else
        snprintf(buf, n, "%s %s %s", u.sysname, u.release, u.machine);
}

double bu_loadavg(void)
{
    double l[1];
    return getloadavg(l, 1) == 1 ? l[0] : -1.0;
}

static const char *fs_magic_name(unsigned long magic, int *is_ram)
{
    *is_ram = 0;
    switch (magic) {
    case 0xEF53: return "ext2/3/4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0xF2F52010: return "f2fs";
    case 0x2FC12FC1: return "zfs";
    case 0x794C7630: return "overlay";
    case 0x6969: return "nfs";
    case 0x4D44: return "vfat";
    case 0x2011BAB0: return "exfat";
    case 0x01021994: *is_ram = 1; return "tmpfs";
    case 0x858458F6: *is_ram = 1; return "ramfs";
    default: return "unknown";
    }
}

void bu_fs_describe(const char *dir, char *type, size_t ntype, char *source, size_t nsource,
                    char *opts, size_t nopts, int *is_ram)
{
    snprintf(type, ntype, "unknown");
    snprintf(source, nsource, "?");
    snprintf(opts, nopts, "?");
    *is_ram = 0;

    struct statfs sf;
    if (statfs(dir, &sf) == 0)
        snprintf(type, ntype, "%s", fs_magic_name((unsigned long)sf.f_type, is_ram));

    struct stat st;
    if (stat(dir, &st) != 0)
        return;
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f)
        return;
    /* Fields: id parent major:minor root mountpoint options [optional...] - fstype source super */
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        unsigned maj, min;
        char mopts[1024];
        if (sscanf(line, "%*d %*d %u:%u %*s %*s %1023s", &maj, &min, mopts) != 3)
            continue;
        if (makedev(maj, min) != st.st_dev)
            continue;
        char *dash = strstr(line, " - ");
        if (!dash)
            continue;
        char fstype[128], src[1024];
        if (sscanf(dash + 3, "%127s %1023s", fstype, src) != 2)
            continue;
        snprintf(type, ntype, "%s", fstype);
        snprintf(source, nsource, "%s", src);
        snprintf(opts, nopts, "%s", mopts);
        if (strcmp(fstype, "tmpfs") == 0 || strcmp(fstype, "ramfs") == 0)
            *is_ram = 1;
        /* Keep reading: a later mount on the same device (a bind mount) says the same. */
        break;
    }
    fclose(f);
}

void bu_flush_fs(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        int rc = syncfs(fd);
        close(fd);
        if (rc == 0)
            return;
    }
    sync();
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = (flag == FTW_DP) ? rmdir(path) : unlink(path);
    return rc == 0 || errno == ENOENT ? 0 : -1;
}

int bu_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

uint64_t bu_dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    uint64_t total = 0;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    }
    closedir(d);
    return total;
}

long bu_self_maxrss_kib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return ru.ru_maxrss; /* KiB on Linux */
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static size_t read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return got;
}

int bu_run_child(bu_child_fn fn, void *arg, void *out, size_t outsz, long *maxrss_kib,
                 char *err, size_t errsz)
{
    *maxrss_kib = 0;
    err[0] = '\0';
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(err, errsz, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errsz, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        /* fn reports its own failures inside out; the exit status only says whether out
         * reached the parent. _exit skips atexit handlers and stdio buffers of the parent. */
        fn(arg, out);
        int wrc = write_all(fds[1], out, outsz);
        close(fds[1]);
        fflush(stdout);
        fflush(stderr);
        _exit(wrc == 0 ? 0 : 1);
    }
    close(fds[1]);
    size_t got = read_all(fds[0], out, outsz);
    close(fds[0]);

    int status = 0;
    struct rusage ru;
    pid_t w;
    do
        w = wait4(pid, &status, 0, &ru);
    while (w < 0 && errno == EINTR);
    if (w < 0) {
        snprintf(err, errsz, "wait4: %s", strerror(errno));
        return -1;
    }
    *maxrss_kib = ru.ru_maxrss;
    if (WIFSIGNALED(status)) {
        snprintf(err, errsz, "child killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
        return -1;
    }
    if (got != outsz) {
        snprintf(err, errsz, "child sent %zu of %zu result bytes (exit status %d)", got, outsz,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errsz, "child exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    return 0;
}

void bu_json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        default:
            if (*p < 0x20)
                printf("\\u%04x", *p);
            else
                putchar(*p);
        }
    }
    putchar('"');
}

void bu_machine_probe(bu_machine *m, const char *dir)
{
    memset(m, 0, sizeof *m);
    bu_cpu_model(m->cpu, sizeof m->cpu);
    bu_kernel(m->kernel, sizeof m->kernel);
    m->nproc = bu_nproc();
    m->mem_kib = bu_mem_total_kib();
    m->load_start = bu_loadavg();
    bu_fs_describe(dir, m->fstype, sizeof m->fstype, m->fssrc, sizeof m->fssrc, m->fsopts,
                   sizeof m->fsopts, &m->is_ram);
}

void bu_machine_print(const bu_machine *m, const char *dir)
{
    printf("machine:     %s, %ld CPUs, %.1f GiB RAM, %s\n", m->cpu, m->nproc,
           (double)m->mem_kib / (1024.0 * 1024.0), m->kernel);
    printf("load:        1-minute load average %.2f before, %.2f after (other work skews timings)\n",
           m->load_start, m->load_end);
    printf("files:       %s on %s (%s, %s)\n", dir, m->fstype, m->fssrc, m->fsopts);
}

void bu_machine_json(const bu_machine *m, const char *dir)
{
    printf(",\"machine\":{\"cpu\":");
    bu_json_string(m->cpu);
    printf(",\"nproc\":%ld,\"mem_total_kib\":%llu,\"kernel\":", m->nproc,
           (unsigned long long)m->mem_kib);
    bu_json_string(m->kernel);
    printf(",\"loadavg_start\":%.2f,\"loadavg_end\":%.2f}", m->load_start, m->load_end);
    printf(",\"filesystem\":{\"dir\":");
    bu_json_string(dir);
    printf(",\"type\":");
    bu_json_string(m->fstype);
    printf(",\"source\":");
    bu_json_string(m->fssrc);
    printf(",\"options\":");
    bu_json_string(m->fsopts);
    printf(",\"in_memory\":%s}", m->is_ram ? "true" : "false");
}

void bu_fmt_secs(char *buf, size_t n, double s)
{
    if (s >= 1.0)
        snprintf(buf, n, "%.3f s", s);
    else if (s >= 1e-3)
        snprintf(buf, n, "%.1f ms", s * 1e3);
    else
        snprintf(buf, n, "%.1f us", s * 1e6);
}

void bu_fmt_count(char *buf, size_t n, double v)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", v);
    size_t len = strlen(digits), o = 0;
    for (size_t i = 0; i < len && o + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

void bu_fmt_mib(char *buf, size_t n, double kib) { snprintf(buf, n, "%.1f MiB", kib / 1024.0); }

uint8_t *bu_read_cmd(const char *cmd, size_t *len)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t cap = 1 << 20, n = 0, got;
    uint8_t *b = malloc(cap);
    while (b && (got = fread(b + n, 1, cap - n, p)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(b, cap *= 2);
            if (!nb)
                free(b);
            b = nb;
        }
    }
    if (pclose(p) != 0 || !b) {
        free(b);
        return NULL;
    }
    *len = n;
    return b;
}

long bu_cmd_long(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    long v = -1;
    if (!p)
        return -1;
    if (fscanf(p, "%ld", &v) != 1)
        v = -1;
    if (pclose(p) != 0)
        v = -1;
    return v;
}
