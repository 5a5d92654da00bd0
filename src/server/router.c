/*
 * router.c — the route table of the REST API and the matcher.
 *
 * The table is the upstream surface (reference section 0.3) made reachable: the admin key
 * routes sit in the same /auth group as login (upstream shadowed them), /ws is behind
 * authentication (upstream always answered 401), and /auth/logout is new. The subsystem routes
 * (neural, quantum, dna, biometric, advisor) are routed with their permissions and answer 501
 * until their subsystems land (quantum search is built: h_quantum.c; DNA compression: h_dna.c;
 * neural network training: h_neural.c;
 * EEG biometrics: h_biometric.c, with DELETE /biometric/eeg/users/{user_id} added for revocation;
 * the index advisor: h_advisor.c). Patterns
 * have literal segments and {name} segments; a {name}
 * segment matches one non-empty segment. The table is small, so matching is a linear scan.
 */
#include <stdio.h>
#include <string.h>

#include "h_quantum.h"
#include "server.h"

const route server_routes[] = {
    {"GET", "/health", h_health, ROUTE_PUBLIC, 0, NULL},
    {"GET", "/metrics", h_metrics, ROUTE_PUBLIC, 0, NULL},
    {"GET", "/api-docs/openapi.json", h_openapi, ROUTE_PUBLIC, 0, NULL},
    {"GET", "/ws", h_ws_upgrade, 0, 0, NULL},
    {"POST", "/api/v1/auth/login", h_login, ROUTE_PUBLIC | ROUTE_JSON, 0, NULL},
    {"POST", "/api/v1/auth/refresh", h_refresh, ROUTE_PUBLIC | ROUTE_JSON, 0, NULL},
    {"POST", "/api/v1/auth/logout", h_logout, ROUTE_JSON, 0, NULL},
    {"POST", "/api/v1/auth/generate-key", h_generate_key, ROUTE_ADMIN_IP | ROUTE_JSON, PERM_ADMIN,
     "Admin permission required to generate API keys"},
    {"POST", "/api/v1/auth/revoke-key", h_revoke_key, ROUTE_ADMIN_IP | ROUTE_JSON, PERM_ADMIN,
     "Admin permission required to revoke API keys"},
    {"POST", "/api/v1/query", h_query, ROUTE_JSON, 0, NULL},
    {"GET", "/api/v1/backups", h_backup_list, ROUTE_ADMIN_IP, PERM_ADMIN, "Admin permission required"},
    {"POST", "/api/v1/backups", h_backup_take, ROUTE_ADMIN_IP | ROUTE_JSON, PERM_ADMIN,
     "Admin permission required"},
    {"POST", "/api/v1/backups/prune", h_backup_prune, ROUTE_ADMIN_IP | ROUTE_JSON, PERM_ADMIN,
     "Admin permission required"},
    {"POST", "/api/v1/tables", h_table_create, ROUTE_JSON, PERM_WRITE, "Write permission required"},
    {"POST", "/api/v1/tables/{table_name}/data", h_table_insert, ROUTE_JSON, PERM_WRITE,
     "Write permission required"},
    {"PUT", "/api/v1/tables/{table_name}/data", h_table_update, ROUTE_JSON, PERM_WRITE,
     "Write permission required"},
    {"DELETE", "/api/v1/tables/{table_name}/data", h_table_delete, ROUTE_JSON, PERM_WRITE,
     "Write permission required"},
    {"POST", "/api/v1/tables/{table_name}/query", h_table_query, ROUTE_JSON, PERM_READ,
     "Read permission required"},
    {"POST", "/api/v1/neural/train", h_neural_train, ROUTE_JSON, PERM_NEUROMORPHIC,
     "Neuromorphic permission required"},
    {"GET", "/api/v1/neural/train/{network_id}", h_neural_status, 0, 0, NULL},
    {"POST", "/api/v1/quantum/search", h_quantum_search, ROUTE_JSON, PERM_QUANTUM,
     "Quantum permission required"},
    {"POST", "/api/v1/dna/compress", h_dna_compress, ROUTE_JSON, PERM_DNA,
     "DNA permission required"},
    {"POST", "/api/v1/dna/decompress", h_dna_decompress, ROUTE_JSON, PERM_DNA,
     "DNA permission required"},
    {"POST", "/api/v1/biometric/eeg/enroll", h_eeg_enroll, ROUTE_JSON, PERM_ADMIN,
     "Admin permission required for EEG enrollment"},
    {"POST", "/api/v1/biometric/eeg/authenticate", h_eeg_authenticate, ROUTE_JSON, 0, NULL},
    {"POST", "/api/v1/biometric/eeg/update", h_eeg_update, ROUTE_JSON, PERM_ADMIN,
     "Admin permission required to update EEG signature"},
    {"GET", "/api/v1/biometric/eeg/users", h_eeg_users, 0, PERM_ADMIN,
     "Admin permission required to list EEG users"},
    {"DELETE", "/api/v1/biometric/eeg/users/{user_id}", h_eeg_revoke, 0, PERM_ADMIN,
     "Admin permission required to revoke EEG signatures"},
    {"POST", "/api/v1/biometric/enroll", h_bio_enroll, ROUTE_JSON, PERM_ADMIN,
     "Admin permission required for EEG enrollment"},
    {"POST", "/api/v1/biometric/verify", h_bio_verify, ROUTE_JSON, 0, NULL},
    {"GET", "/api/v1/stats/performance", h_perf, 0, PERM_READ, "Read permission required"},
    {"GET", "/api/v1/advisor/indexes", h_advisor_indexes, 0, PERM_READ, "Read permission required"},
    {"DELETE", "/api/v1/advisor/indexes/statistics", h_advisor_clear, 0, PERM_ADMIN,
     "Admin permission required"},
};
const unsigned server_nroutes = sizeof server_routes / sizeof server_routes[0];

/* Match path against pattern; captured {param} segments go to params (at most 2). */
static int match(const char *pattern, const char *path, char params[2][130])
{
    int np = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '{') {
            const char *pe = strchr(p, '}');
            const char *se = strchr(s, '/');
            size_t n = se ? (size_t)(se - s) : strlen(s);
            if (n == 0 || n >= 130 || np >= 2)
                return 0;
            memcpy(params[np], s, n);
            params[np][n] = '\0';
            np++;
            p = pe + 1;
            s += n;
        } else {
            if (*p != *s)
                return 0;
            p++, s++;
        }
    }
    return *p == '\0' && *s == '\0';
}

const route *router_match(const char *method, const char *path, req *r, int *path_known,
                          char *allow, size_t allow_cap)
{
    char params[2][130];
    size_t an = 0;
    *path_known = 0;
    if (allow_cap)
        allow[0] = '\0';
    for (unsigned i = 0; i < server_nroutes; i++) {
        const route *rt = &server_routes[i];
        if (!match(rt->pattern, path, params))
            continue;
        if (strcmp(rt->method, method) == 0) {
            memcpy(r->params, params, sizeof params);
            return rt;
        }
        *path_known = 1;
        int w = snprintf(allow + an, allow_cap - an, "%s%s", an ? ", " : "", rt->method);
        if (w > 0 && (size_t)w < allow_cap - an)
            an += (size_t)w;
    }
    return NULL;
}
