/*
 * workload.h — the workload memory: a sparse synaptic network that learns which tables,
 * columns and predicates the executed statements use together (docs/neuromorphic.md, "A
 * database that learns its workload").
 *
 * Nodes are named: a table "t", a column "t.c", a predicate "t.c:eq" | "t.c:range" |
 * "t.c:join" | "t.c:order" (ORDER BY / GROUP BY), a neuromorphic index "index:name". Every
 * learned statement is one tick of the statement clock n and one co-activation of its set of
 * nodes S (at most WL_MAX_FEAT). With λ = 2^(−1/H) (H = half_life, in statements):
 *
 *   node activity    a_i ← a_i·λ^(n−t_i) + 1                 for i ∈ S   (a decayed use count)
 *   synapse weight   w_ij ← w_ij·λ^(n−t_ij) + η·(1 − w_ij·λ^(n−t_ij))   for i, j ∈ S, i < j
 *
 * that is, Hebbian learning with x_i = x_j = 1 for co-active nodes, a soft bound at 1 and an
 * exponential decay by elapsed statements; decay is applied lazily when an element is read or
 * updated (t is its last update), so a tick touches only the elements of S. Reads report
 * weights and activities decayed to the current clock.
 *
 * Bounded: at most max_nodes nodes and max_synapses synapses. When a bound is crossed, the
 * weakest eighth (decayed weight, decayed activity) is pruned — a pruned node takes its
 * synapses with it — and the prune counters grow. The statements themselves are remembered as
 * templates (the text with its literals replaced by ?), at most max_templates, each with a
 * decayed count; the weakest template is evicted for a new one. Templates are what the index
 * advisor costs (advisor.c).
 *
 * The registry of neuromorphic indexes (name, table, leading column, CREATE text, state,
 * creation tick) lives here too: an index's strength is the activity of its node, which each
 * statement with an equality, range or join predicate on the index's table and leading column
 * feeds.
 *
 * Thread safety: one mutex guards the whole network; every function below takes it (the
 * caller holds no lock). The per-statement cost is one lock, |S| node lookups and |S|²/2
 * synapse updates in open-addressing hash tables.
 *
 * Persistence: wl_save/wl_load (de)serialise the network, the templates, the registry and
 * the settings into one byte string (little-endian, a magic and version; every length is
 * checked on load, a bad string is an error that leaves the network empty).
 *
 * This file knows nothing of SQL; workload_sql.c feeds it from statements.
 */
#ifndef NQ_SQL_WORKLOAD_H
#define NQ_SQL_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define WL_MAX_FEAT 24        /* nodes per statement */
#define WL_NAME_MAX 160       /* longest node name */
#define WL_TEXT_MAX 2048      /* longest template remembered */

typedef struct wl_net wl_net;

typedef struct wl_settings {
    int learning;             /* 0: statements are not learned */
    uint32_t half_life;       /* H, statements */
    double eta;               /* η, learning rate in (0, 1] */
    uint32_t max_nodes, max_synapses, max_templates;
    double drop_threshold;    /* a neuromorphic index below this strength is dropped ... */
    uint64_t min_age;         /* ... once it is this many statements old */
    double rebuild_threshold; /* a dropped one whose strength climbs back to this is rebuilt */
    uint32_t decide_every;    /* statements between two automatic decisions */
} wl_settings;

void wl_settings_default(wl_settings *s);

wl_net *wl_new(void);          /* NULL when out of memory */
void wl_free(wl_net *w);
void wl_get_settings(wl_net *w, wl_settings *out);
/* 0, or NQ_EINVAL with a message when a value is out of range (nothing changed then). */
int wl_set_settings(wl_net *w, const wl_settings *s, nq_err *e);
/* Forget everything learned (settings and the index registry stay). */
void wl_clear(wl_net *w);

/* Learn one statement: names[0..n) its nodes (duplicates are ignored), text its template
 * (may be NULL). *decide is set to 1 when the clock crossed a multiple of decide_every.
 * Returns 0 or NQ_ENOMEM (the network stays consistent, the statement is only partly learned). */
int wl_learn(wl_net *w, const char *const *names, int n, const char *text, int *decide);

typedef struct wl_stats {
    uint64_t clock;           /* statements learned */
    uint64_t nodes, synapses, templates;
    uint64_t pruned_nodes, pruned_synapses, evicted_templates;
} wl_stats;
void wl_get_stats(wl_net *w, wl_stats *out);

/* Snapshots (malloc'd arrays the caller frees with wl_*_free), values decayed to now. */
typedef struct wl_edge {
    char *from, *to;          /* from < to in byte order */
    double weight;
    uint64_t uses;
    uint64_t last_used;       /* clock tick of the last co-activation */
} wl_edge;
/* Sorted by weight, descending (ties: from, to). */
int wl_edges(wl_net *w, wl_edge **out, size_t *n);
void wl_edges_free(wl_edge *v, size_t n);

typedef struct wl_node_info {
    char *name;
    double activity;
    uint64_t uses, last_used;
} wl_node_info;
int wl_nodes(wl_net *w, wl_node_info **out, size_t *n); /* by activity, descending */
void wl_nodes_free(wl_node_info *v, size_t n);
/* Decayed activity of one node (0 when unknown). */
double wl_activity(wl_net *w, const char *name);

typedef struct wl_template {
    char *text;
    double weight;            /* decayed count */
    uint64_t uses;
} wl_template;
int wl_templates(wl_net *w, wl_template **out, size_t *n); /* by weight, descending */
void wl_templates_free(wl_template *v, size_t n);

/* ---- neuromorphic index registry ---- */
enum { WL_IX_ACTIVE = 0, WL_IX_DROPPED = 1 };
typedef struct wl_index {
    char *name, *table, *column;  /* column: the leading one */
    char *create_sql;             /* CREATE NEUROMORPHIC INDEX ... to rebuild it */
    int state;                    /* WL_IX_* */
    uint64_t created;             /* clock tick when (re)created */
    uint64_t changed;             /* tick of the last keep/drop/rebuild decision that changed it */
    double strength;              /* snapshot: decayed activity of "index:name" */
    uint64_t drops, rebuilds;
} wl_index;
/* Add or replace the entry of name (state ACTIVE, created now; its node gets activity 1). */
int wl_index_register(wl_net *w, const char *name, const char *table, const char *column,
                      const char *create_sql);
void wl_index_forget(wl_net *w, const char *name);
/* Record a decision: state becomes new_state, and the drop/rebuild counters move. */
void wl_index_set_state(wl_net *w, const char *name, int new_state);
int wl_indexes(wl_net *w, wl_index **out, size_t *n); /* by name */
void wl_indexes_free(wl_index *v, size_t n);

/* ---- persistence ---- */
/* How many changes the network had since it was loaded or marked saved (0: none); *gen: its
 * change count now. */
uint64_t wl_dirty(wl_net *w, uint64_t *gen);
void wl_mark_saved(wl_net *w, uint64_t gen);
int wl_save(wl_net *w, uint8_t **buf, size_t *len);            /* malloc'd */
int wl_load(wl_net *w, const uint8_t *buf, size_t len, nq_err *e); /* NQ_ECORRUPT on a bad string */

/* The template of a statement: literals (numbers, strings, blobs) replaced by ?, runs of
 * white space by one space, comments dropped; out has room for cap bytes (cut there). */
void wl_template_of(const char *sql, size_t len, char *out, size_t cap);

#endif
