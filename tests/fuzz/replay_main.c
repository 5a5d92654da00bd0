/*
 * replay_main.c — runs a fuzz harness without libFuzzer: once on a few built-in edge cases
 * (the empty input, one byte, a page of zeros, a page of 0xff) and once on every file named on
 * the command line or found (recursively) in a directory named there.
 *
 * Why: the corpus directories tests/fuzz/corpus/<name>/ keep every input that once crashed a
 * harness, plus hand-made seeds. Replaying them as ordinary unit tests keeps those bugs fixed in
 * every build, with any compiler: gcc, the sanitizer build, and the aarch64 build under qemu,
 * where libFuzzer is not available. A missing directory is not an error (a harness may have no
 * corpus yet). Exit status 0 when every input returned; a crash is the failure.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzzutil.h"

static unsigned long ran;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0, got;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return -1;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
    }
    fclose(f);
    /* An exact-size copy, so reads past the end of the input are caught by ASan. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    ran++;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0; /* no corpus (yet) */
    if (!S_ISDIR(st.st_mode))
        return run_file(path);
    DIR *d = opendir(path);
    if (!d) {
        perror(path);
        return -1;
    }
    /* Sorted, so a failure reproduces in the same order on every machine. */
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn)
                break;
            names = nn;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        if (!(names[count] = malloc(len)))
            break;
        snprintf(names[count++], len, "%s/%s", path, e->d_name);
    }
    closedir(d);
    if (count)
        qsort(names, count, sizeof *names, cmp_names);
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        if (rc == 0)
            rc = run_path(names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    static uint8_t page[65536 + 64];
    LLVMFuzzerTestOneInput(page, 0);
    LLVMFuzzerTestOneInput(page, 1);
    LLVMFuzzerTestOneInput(page, 4096 + 1);
    memset(page, 0xff, sizeof page);
    LLVMFuzzerTestOneInput(page, 4096 + 1);
    LLVMFuzzerTestOneInput(page, sizeof page);
    ran += 5;
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i]) != 0)
            return 1;
    printf("replayed %lu inputs, none crashed\n", ran);
    return 0;
}
