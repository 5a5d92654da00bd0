/*
 * h_backup.c — /api/v1/backups: list the backups of the server's chain directory with the
 * schedule's state, take one now, prune old chains (docs/api.md, "Backups"). Admin
 * permission and the admin address list, like the key routes. The work is backup_sched.c's
 * (which serialises it with the schedule) and the engine's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup_sched.h"
#include "server.h"

static const char *kind_name(int kind)
{
    return kind == NQ_BACKUP_FULL ? "full" : kind == NQ_BACKUP_INCREMENTAL ? "incremental"
                                                                           : "differential";
}

static json_t *iso_time(time_t t)
{
    if (!t)
        return json_null();
    struct tm tm;
    char buf[40];
    if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return json_null();
    return json_string(buf);
}

static json_t *backup_json(const char *name, const nq_backup_info *b)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:I, s:b, s:b, s:o, s:b}",
                     "name", name, "kind", kind_name(b->kind), "backup_id", b->backup_id,
                     "parent_id", b->parent_id, "database_id", b->database_id, "created",
                     b->created, "commit", (json_int_t)b->commit_seq, "pages", (int)b->pages,
                     "page_count", (int)b->page_count, "bytes", (json_int_t)b->data_bytes,
                     "compressed", b->compressed, "encrypted", b->encrypted, "encrypted_to",
                     b->encrypted ? json_string(b->encrypted_to) : json_null(), "signed",
                     b->is_signed);
}

/* The backups of the directory as a JSON array, or NULL after answering the error. */
static json_t *list_json(req *r, const char *dir)
{
    nq_backup_entry *es;
    size_t n;
    char msg[600];
    if (nq_backup_chain_list(dir, &es, &n, msg, sizeof msg)) {
        req_failf(r, AE_INTERNAL, "cannot list the backups: %s", msg);
        return NULL;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, backup_json(es[i].name, &es[i].info));
    free(es);
    return a;
}

int h_backup_list(req *r)
{
    bsched *b = r->srv->backups;
    json_t *a = list_json(r, bsched_dir(b));
    if (!a)
        return r->status;
    bsched_status st;
    bsched_get_status(b, &st);
    json_t *sched = json_pack("{s:b, s:i, s:i, s:i, s:b, s:o, s:o, s:o, s:o, s:I, s:I}",
                              "enabled", st.enabled, "interval_seconds", (int)st.interval_seconds,
                              "full_every", (int)st.full_every, "keep_full", (int)st.keep_full,
                              "compress", st.compress, "next_run", iso_time(st.next_run),
                              "last_run", iso_time(st.last_run), "last_backup",
                              st.last_dir[0] ? json_string(st.last_dir) : json_null(),
                              "last_error", st.last_error[0] ? json_string(st.last_error) : json_null(),
                              "taken", (json_int_t)st.taken, "failed", (json_int_t)st.failed);
    bsched_archive ar;
    bsched_get_archive(b, &ar);
    json_t *arch = json_pack("{s:b, s:o, s:I, s:I, s:I, s:o}", "enabled", ar.enabled, "directory",
                             ar.enabled ? json_string(ar.dir) : json_null(), "segments",
                             (json_int_t)ar.segments, "bytes", (json_int_t)ar.bytes, "failures",
                             (json_int_t)ar.failures, "last_error",
                             ar.error[0] ? json_string(ar.error) : json_null());
    size_t n = json_array_size(a);
    json_t *d = json_pack("{s:s, s:o, s:o, s:o}", "directory", bsched_dir(b), "backups", a,
                          "schedule", sched, "archive", arch);
    return req_ok(r, 200, d, "%zu backup(s)", n);
}

int h_backup_take(req *r)
{
    static const char *const allowed[] = {"kind", "compress", NULL};
    if (r->json && req_body_object(r, allowed)) /* no body: a full backup */
        return r->status;
    const char *ks = "full";
    int compress = r->srv->cfg.backup.compress;
    if (r->json && (req_string(r, r->json, "kind", 0, &ks) || req_bool(r, r->json, "compress", &compress)))
        return r->status;
    int kind;
    if (!strcmp(ks, "full"))
        kind = NQ_BACKUP_FULL;
    else if (!strcmp(ks, "incremental"))
        kind = NQ_BACKUP_INCREMENTAL;
    else if (!strcmp(ks, "differential"))
        kind = NQ_BACKUP_DIFFERENTIAL;
    else {
        return req_fail(r, AE_VALIDATION, "kind", "must be full, incremental or differential");
    }
    char dir[4096], err[600];
    nq_backup_info info;
    int rc = bsched_take(r->srv->backups, kind, compress, dir, sizeof dir, &info, err, sizeof err);
    if (rc == NQ_ENOTFOUND)
        return req_failf(r, AE_CONFLICT, "%s", err);
    if (rc)
        return req_failf(r, AE_INTERNAL, "backup failed: %s", err);
    const char *slash = strrchr(dir, '/');
    json_t *d = json_pack("{s:s, s:o}", "directory", dir, "backup",
                          backup_json(slash ? slash + 1 : dir, &info));
    return req_ok(r, 201, d, "%s backup taken: %u of %u pages", kind_name(kind), info.pages,
                  info.page_count);
}

int h_backup_prune(req *r)
{
    static const char *const allowed[] = {"keep_full", NULL};
    if (req_body_object(r, allowed))
        return r->status;
    uint64_t keep;
    if (req_uint(r, r->json, "keep_full", 1, 1000000, &keep))
        return r->status;
    if (keep < 1)
        return req_fail(r, AE_VALIDATION, "keep_full", "must be at least 1");
    unsigned removed;
    char err[600];
    bsched *b = r->srv->backups;
    if (bsched_prune(b, (unsigned)keep, &removed, err, sizeof err))
        return req_failf(r, AE_INTERNAL, "prune failed: %s", err);
    json_t *a = list_json(r, bsched_dir(b));
    if (!a)
        return r->status;
    json_t *d = json_pack("{s:i, s:o}", "removed", (int)removed, "backups", a);
    return req_ok(r, 200, d, "%u backup(s) removed", removed);
}
