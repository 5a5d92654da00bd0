/*
 * testfiles.c — file helpers of the unit tests (see testfiles.h).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testfiles.h"

uint8_t *tf_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0)
        fail_msg("size of %s", path);
    uint8_t *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
        fail_msg("read %s", path);
    fclose(f);
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

void tf_spit(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("create %s", path);
    if (fwrite(b, 1, n, f) != n || fclose(f) != 0)
        fail_msg("write %s", path);
}

void tf_rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%.500s/%.400s", path, de->d_name);
        tf_rm_rf(p);
    }
    closedir(d);
    rmdir(path);
}

void tf_rm_db(const char *path)
{
    char w[512];
    snprintf(w, sizeof w, "%.400s-wal", path);
    unlink(path);
    unlink(w);
}

void tf_mkdir_fresh(const char *dir)
{
    tf_rm_rf(dir);
    if (mkdir(dir, 0755))
        fail_msg("mkdir %s", dir);
}

int tf_emulated(void)
{
#if defined(__aarch64__)
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    int x86 = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "GenuineIntel") || strstr(line, "AuthenticAMD"))
            x86 = 1;
    if (f)
        fclose(f);
    return x86;
#else
    return 0;
#endif
}
