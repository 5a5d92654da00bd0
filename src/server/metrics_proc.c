/*
 * metrics_proc.c — the process' own figures for /metrics and /health, read at scrape time from
 * Linux /proc (the same sources the Prometheus client libraries' process collectors use):
 *
 *   /proc/self/stat   utime + stime (CPU), num_threads, starttime (vsize, rss: statm wins)
 *   /proc/self/statm  size and resident pages
 *   /proc/stat        btime (boot time, to turn starttime into unix seconds)
 *   /proc/self/fd     open descriptors;  getrlimit(RLIMIT_NOFILE): their limit
 *   /proc/self/io     read_bytes / write_bytes (storage I/O the process caused)
 *   cgroup v2 memory.max of our cgroup when set, else MemTotal of /proc/meminfo
 *
 * Anything that cannot be read (another OS, a locked-down /proc) is -1, never a guess.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics.h"

/* Read a whole small file into buf (NUL-terminated); length or -1. */
static long slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
    return (long)n;
}

/* The value of "name <number>" lines (e.g. btime, read_bytes:, MemTotal:), or -1. */
static int64_t field_after(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, name, n) == 0) {
            char *end;
            long long v = strtoll(p + n, &end, 10);
            return end == p + n ? -1 : (int64_t)v;
        }
    }
    return -1;
}

static void read_stat(metrics_proc *out)
{
    char buf[2048];
    if (slurp("/proc/self/stat", buf, sizeof buf) <= 0)
        return;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (!p)
        return;
    p++;
    unsigned long long f[24];
    int n = 0;
    while (n < 24) {
        while (*p == ' ')
            p++;
        if (!*p || *p == '\n')
            break;
        if (n == 0) { /* the state letter */
            f[n++] = 0;
            while (*p && *p != ' ')
                p++;
            continue;
        }
        char *end;
        f[n] = strtoull(p, &end, 10);
        if (end == p) {
            /* a negative field (priority, nice) */
            long long v = strtoll(p, &end, 10);
            if (end == p)
                return;
            f[n] = (unsigned long long)v;
        }
        n++;
        p = end;
    }
    if (n < 22)
        return;
    long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    if (ticks > 0) {
        out->cpu_seconds = (double)(f[11] + f[12]) / (double)ticks;
        char st[8192];
        if (slurp("/proc/stat", st, sizeof st) > 0) {
            const char *b = strstr(st, "\nbtime ");
            if (b) {
                int64_t btime = field_after(b + 1, "btime ");
                if (btime > 0)
                    out->start_time = (double)btime + (double)f[19] / (double)ticks;
            }
        }
    }
    out->threads = (int64_t)f[17];
    out->virtual_bytes = (int64_t)f[20];
    if (page > 0)
        out->resident_bytes = (int64_t)f[21] * page;
    /* statm has the same two figures in pages; prefer it: qemu-user's emulated
     * /proc/self/stat reports rss 0 (the aarch64 tests run there), statm is the real one */
    char sm[256];
    long long vsz, res;
    if (page > 0 && slurp("/proc/self/statm", sm, sizeof sm) > 0 &&
        sscanf(sm, "%lld %lld", &vsz, &res) == 2 && res > 0) {
        out->resident_bytes = (int64_t)res * page;
        out->virtual_bytes = (int64_t)vsz * page;
    }
    char status[4096];
    const char *t;
    if (out->threads <= 0 && slurp("/proc/self/status", status, sizeof status) > 0 &&
        (t = strstr(status, "\nThreads:")))
        out->threads = strtoll(t + 9, NULL, 10);
}

static void read_fds(metrics_proc *out)
{
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        int64_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.')
                n++;
        closedir(d);
        out->open_fds = n - 1; /* not the descriptor of the listing itself */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        out->max_fds = (int64_t)rl.rlim_cur;
}

static void read_io(metrics_proc *out)
{
    char buf[1024];
    if (slurp("/proc/self/io", buf, sizeof buf) <= 0)
        return;
    out->read_bytes = field_after(buf, "read_bytes: ");
    out->write_bytes = field_after(buf, "write_bytes: ");
}

static void read_limit(metrics_proc *out)
{
    char buf[4096], path[4200];
    if (slurp("/proc/self/cgroup", buf, sizeof buf) > 0) {
        const char *p = strstr(buf, "0::");
        if (p && (p == buf || p[-1] == '\n')) {
            p += 3;
            size_t n = strcspn(p, "\n");
            snprintf(path, sizeof path, "/sys/fs/cgroup%.*s%smemory.max", (int)n, p,
                     n && p[n - 1] == '/' ? "" : "/");
            char v[64];
            if (slurp(path, v, sizeof v) > 0 && v[0] >= '0' && v[0] <= '9') {
                out->memory_limit_bytes = strtoll(v, NULL, 10);
                return;
            }
        }
    }
    if (slurp("/proc/meminfo", buf, sizeof buf) > 0) {
        int64_t kb = field_after(buf, "MemTotal:");
        if (kb > 0)
            out->memory_limit_bytes = kb * 1024;
    }
}

void metrics_proc_read(metrics_proc *out)
{
    out->cpu_seconds = -1;
    out->start_time = -1;
    out->resident_bytes = out->virtual_bytes = -1;
    out->open_fds = out->max_fds = out->threads = -1;
    out->read_bytes = out->write_bytes = -1;
    out->memory_limit_bytes = -1;
    read_stat(out);
    read_fds(out);
    read_io(out);
    read_limit(out);
}
