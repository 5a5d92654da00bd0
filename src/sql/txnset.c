/*
 * txnset.c — the transaction settings of a session and the statements that read and write
 * them: SET TRANSACTION, SET SESSION CHARACTERISTICS AS TRANSACTION, SET name = value and SHOW
 * name for transaction_isolation, default_transaction_isolation, transaction_read_only and
 * default_transaction_read_only (PostgreSQL's names and values), LOCK TABLE, and the isolation
 * level names of the public API (nq_isolation_parse / nq_isolation_name).
 *
 * The defaults of a session come from the engine's options (nq_options.isolation) the first
 * time the session is used; SET default_transaction_isolation changes them for this connection
 * only. A transaction takes its level and access mode when it begins (BEGIN ISOLATION LEVEL ...
 * or the defaults); SET TRANSACTION may change them before its first statement (the level) or
 * at any time towards READ ONLY, as in PostgreSQL. READ UNCOMMITTED is accepted and runs as
 * READ COMMITTED, which PostgreSQL does too: no level weaker than the one asked for is ever
 * given, and SHOW reports the level that runs ("read committed").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "sql/session.h"
#include "sql/txnset.h"

static const char *const iso_names[] = {NULL, "read committed", "repeatable read", "serializable"};

int nq_isolation_parse(const char *name)
{
    if (!name)
        return NQ_EINVAL;
    /* spaces, '_' and '-' between the words are all accepted: "repeatable read",
     * "REPEATABLE_READ", "repeatable-read" */
    char norm[32];
    size_t n = 0;
    for (const char *p = name; *p; p++) {
        if (n + 1 >= sizeof norm)
            return NQ_EINVAL;
        char c = *p;
        if (c == '_' || c == '-' || c == '\t')
            c = ' ';
        if (c == ' ' && (n == 0 || norm[n - 1] == ' '))
            continue;
        norm[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    while (n > 0 && norm[n - 1] == ' ')
        n--;
    norm[n] = 0;
    if (!strcmp(norm, "read uncommitted"))
        return NQ_ISO_READ_COMMITTED;
    for (int i = 1; i <= NQ_ISO_SERIALIZABLE; i++)
        if (!strcmp(norm, iso_names[i]))
            return i;
    return NQ_EINVAL;
}

const char *nq_isolation_name(int iso)
{
    return iso >= NQ_ISO_READ_COMMITTED && iso <= NQ_ISO_SERIALIZABLE ? iso_names[iso] : NULL;
}

/* The level an SQL isolation clause asks for ("READ COMMITTED", ... as the parser writes it). */
static int iso_of(const char *clause)
{
    int iso = nq_isolation_parse(clause);
    return iso > 0 ? iso : NQ_ISO_READ_COMMITTED;
}

void txs_defaults(sql_session *s)
{
    if (s->txs_init)
        return;
    int iso = s->db->eng->opts.isolation;
    s->default_iso = iso >= NQ_ISO_READ_COMMITTED && iso <= NQ_ISO_SERIALIZABLE ? iso : NQ_ISO_READ_COMMITTED;
    s->default_ro = 0;
    s->txs_init = 1;
}

void txs_begin_modes(sql_session *s, const ast_txn *t, int *iso, int *ro)
{
    txs_defaults(s);
    *iso = t && t->isolation ? iso_of(t->isolation) : s->default_iso;
    *ro = t && t->access ? !strcmp(t->access, "READ ONLY") : s->default_ro;
}

/* on / off / true / false / yes / no / 1 / 0 */
static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"on", "true", "yes", "1", "t", "y"};
    static const char *const no[] = {"off", "false", "no", "0", "f", "n"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!strcasecmp(v, yes[i])) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp(v, no[i])) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* Change the open transaction's level and access mode (SET TRANSACTION ...). */
static int set_txn(sql_session *s, int iso, int ro, nq_err *e)
{
    if (!s->explicit_txn)
        return nq_err_set(e, NQ_EMISUSE, "SET TRANSACTION can only be used in transaction blocks");
    if (iso && iso != s->txn_iso) {
        if (s->txn_stmts)
            return nq_err_set(e, NQ_EMISUSE,
                              "SET TRANSACTION ISOLATION LEVEL must be called before any query");
    }
    if (ro == 0 && s->txn_ro && s->txn_stmts)
        return nq_err_set(e, NQ_EMISUSE, "transaction read-write mode must be set before any query");
    return sess_txn_restart(s, iso ? iso : s->txn_iso, ro >= 0 ? ro : s->txn_ro, e);
}

int txs_set_transaction(sql_session *s, const ast_txn *t, nq_err *e)
{
    txs_defaults(s);
    int iso = t->isolation ? iso_of(t->isolation) : 0;
    int ro = t->access ? !strcmp(t->access, "READ ONLY") : -1;
    if (t->start) { /* SET SESSION CHARACTERISTICS AS TRANSACTION: the defaults */
        if (iso)
            s->default_iso = iso;
        if (ro >= 0)
            s->default_ro = ro;
        return 0;
    }
    return set_txn(s, iso, ro, e);
}

int txs_set_var(sql_session *s, const ast_set_var *v, nq_err *e)
{
    txs_defaults(s);
    const char *n = v->name;
    int is_default = !v->value;
    if (!strcasecmp(n, "default_transaction_isolation") || !strcasecmp(n, "transaction_isolation")) {
        int iso;
        if (is_default) {
            int o = s->db->eng->opts.isolation;
            iso = o >= NQ_ISO_READ_COMMITTED && o <= NQ_ISO_SERIALIZABLE ? o : NQ_ISO_READ_COMMITTED;
            if (n[0] == 't' || n[0] == 'T')
                iso = s->default_iso;
        } else if ((iso = nq_isolation_parse(v->value)) < 0) {
            return nq_err_set(e, NQ_EINVAL,
                              "invalid value for parameter \"%s\": \"%s\" (expected read committed, "
                              "repeatable read, serializable, or read uncommitted, which runs as read committed)",
                              n, v->value);
        }
        if (n[0] == 't' || n[0] == 'T')
            return set_txn(s, iso, -1, e);
        if (v->local)
            return nq_err_set(e, NQ_ENOTSUP, "not supported yet: SET LOCAL %s (use SET TRANSACTION)", n);
        s->default_iso = iso;
        return 0;
    }
    if (!strcasecmp(n, "default_transaction_read_only") || !strcasecmp(n, "transaction_read_only")) {
        int ro = 0;
        if (is_default)
            ro = n[0] == 't' || n[0] == 'T' ? s->default_ro : 0;
        else if (parse_bool(v->value, &ro) < 0)
            return nq_err_set(e, NQ_EINVAL, "parameter \"%s\" requires a Boolean value", n);
        if (n[0] == 't' || n[0] == 'T')
            return set_txn(s, 0, ro, e);
        if (v->local)
            return nq_err_set(e, NQ_ENOTSUP, "not supported yet: SET LOCAL %s (use SET TRANSACTION)", n);
        s->default_ro = ro;
        return 0;
    }
    return nq_err_set(e, NQ_ENOTFOUND, "unrecognized configuration parameter \"%s\"", n);
}

int txs_show(sql_session *s, const char *name, char *out, size_t cap, nq_err *e)
{
    txs_defaults(s);
    sess_sync_txn(s);
    if (!strcasecmp(name, "transaction_isolation"))
        snprintf(out, cap, "%s", iso_names[s->explicit_txn ? s->txn_iso : s->default_iso]);
    else if (!strcasecmp(name, "default_transaction_isolation"))
        snprintf(out, cap, "%s", iso_names[s->default_iso]);
    else if (!strcasecmp(name, "transaction_read_only"))
        snprintf(out, cap, "%s", (s->explicit_txn ? s->txn_ro : s->default_ro) ? "on" : "off");
    else if (!strcasecmp(name, "default_transaction_read_only"))
        snprintf(out, cap, "%s", s->default_ro ? "on" : "off");
    else
        return nq_err_set(e, NQ_ENOTFOUND, "unrecognized configuration parameter \"%s\"", name);
    return 0;
}

int txs_lock_mode(const char *mode)
{
    static const struct { const char *name; int mode; } m[] = {
        {"ACCESS SHARE", NQ_LOCK_ACCESS_SHARE},
        {"ROW SHARE", NQ_LOCK_ROW_SHARE},
        {"ROW EXCLUSIVE", NQ_LOCK_ROW_EXCLUSIVE},
        {"SHARE UPDATE EXCLUSIVE", NQ_LOCK_SHARE_UPDATE_EXCLUSIVE},
        {"SHARE", NQ_LOCK_SHARE},
        {"SHARE ROW EXCLUSIVE", NQ_LOCK_SHARE_ROW_EXCLUSIVE},
        {"EXCLUSIVE", NQ_LOCK_EXCLUSIVE},
        {"ACCESS EXCLUSIVE", NQ_LOCK_ACCESS_EXCLUSIVE},
    };
    if (!mode)
        return NQ_LOCK_ACCESS_EXCLUSIVE;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (!strcmp(mode, m[i].name))
            return m[i].mode;
    return NQ_LOCK_ACCESS_EXCLUSIVE;
}

/* ---- naming SQL objects in the engine's concurrency messages ---------------------------------
 * The engine names storage trees and keys ("row x'8000000000000004' of \"t1\""); a user knows
 * tables and key values. Rewrite, with the session's catalog: a table tree becomes the table
 * ("row id = 4 of table \"acc\"", the rowid decoded, named by the INTEGER PRIMARY KEY column
 * when there is one), an index tree its index ("a value of index \"u_name_key\" of table
 * \"u\""). Anything not recognised stays as it was. */

static const cat_table *table_of_tree(const catalog *c, const char *tree, size_t n,
                                      const cat_index **ix)
{
    *ix = NULL;
    for (int i = 0; c && i < c->ntables; i++) {
        const cat_table *t = c->tables[i];
        if (strlen(t->tree) == n && !memcmp(t->tree, tree, n))
            return t;
        for (int j = 0; j < t->nidx; j++)
            if (strlen(t->idx[j]->tree) == n && !memcmp(t->idx[j]->tree, tree, n)) {
                *ix = t->idx[j];
                return t;
            }
    }
    return NULL;
}

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

void txs_name_objects(sql_session *s, nq_err *e)
{
    if (!e || !s->cat || (e->code != NQ_ESERIALIZE && e->code != NQ_EDEADLOCK &&
                          e->code != NQ_ELOCKTIMEOUT))
        return;
    char out[NQ_ERRMSG_MAX];
    size_t o = 0;
    const char *m = e->msg;
    const char *row_at = NULL; /* where "row " began in m, copied to out up to there */
    size_t row_out = 0;
    while (*m && o + 1 < sizeof out) {
        if (!strncmp(m, "row ", 4) && (m == e->msg || m[-1] == ' ')) {
            row_at = m;
            row_out = o;
        }
        if (!strncmp(m, "of \"", 4)) {
            const char *nm = m + 4, *end = strchr(nm, '"');
            const cat_index *ix;
            const cat_table *t = end ? table_of_tree(s->cat, nm, (size_t)(end - nm), &ix) : NULL;
            if (t) {
                char buf[256];
                int64_t rowid = 0;
                int have_rowid = 0;
                /* the key between "row " and " of": x'16 hex digits' is a rowid */
                if (row_at && !ix && m - row_at == 4 + 19 + 1 && row_at[4] == 'x' && row_at[5] == '\'') {
                    uint8_t k[8];
                    have_rowid = 1;
                    for (int i = 0; i < 8 && have_rowid; i++) {
                        int hi = hexval(row_at[6 + 2 * i]), lo = hexval(row_at[7 + 2 * i]);
                        if (hi < 0 || lo < 0)
                            have_rowid = 0;
                        else
                            k[i] = (uint8_t)(hi << 4 | lo);
                    }
                    if (have_rowid)
                        rowid = cat_rowid_from_key(k);
                }
                if (ix && row_at) {
                    o = row_out;
                    snprintf(buf, sizeof buf, "a value of index \"%s\" of table \"%s\"", ix->name, t->name);
                } else if (ix) {
                    snprintf(buf, sizeof buf, "of index \"%s\" of table \"%s\"", ix->name, t->name);
                } else if (have_rowid) {
                    o = row_out;
                    snprintf(buf, sizeof buf, "row %s = %lld of table \"%s\"",
                             t->ipk >= 0 ? t->cols[t->ipk].name : "rowid", (long long)rowid, t->name);
                } else {
                    snprintf(buf, sizeof buf, "of table \"%s\"", t->name);
                }
                size_t bl = strlen(buf);
                if (o + bl >= sizeof out)
                    break;
                memcpy(out + o, buf, bl);
                o += bl;
                m = end + 1;
                row_at = NULL;
                continue;
            }
        }
        out[o++] = *m++;
    }
    if (*m) /* did not fit: keep the engine's text */
        return;
    out[o] = 0;
    memcpy(e->msg, out, o + 1);
}
