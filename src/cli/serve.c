/*
 * serve.c — `nqdb serve`: load the configuration, start the server, wait for SIGTERM/SIGINT,
 * shut down gracefully (src/server/server.c).
 *
 * Precedence of settings, last wins: built-in defaults, the configuration file (--config, or
 * env NEUROQUANTUM_CONFIG), NEUROQUANTUM_* environment variables, then these flags. --port 0
 * asks the system for a free port; --port-file writes the port actually bound (tests and
 * scripts start servers that way without racing for a port).
 *
 * Signals: SIGTERM and SIGINT are blocked in every thread and taken synchronously by
 * server_wait (sigtimedwait), so no handler runs in the middle of the server's work; SIGPIPE is
 * ignored, a client that disconnects mid-response is the server's business, not a reason to die.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "server.h"

static void serve_usage(FILE *out)
{
    fprintf(out,
            "Usage: nqdb serve [--config FILE] [--data DIR] [--host ADDR] [--port N]\n"
            "                  [--port-file FILE] [--print-config]\n"
            "\n"
            "Serve the database in DIR (default ./neuroquantum_data; config database.data_path)\n"
            "over HTTP: the REST API under /api/v1, WebSocket at /ws, Prometheus metrics at\n"
            "/metrics, health at /health, the OpenAPI document at /api-docs/openapi.json.\n"
            "Create the first admin API key with `nqdb init` (same --data) before using it.\n"
            "\n"
            "  --config FILE     TOML configuration (docs/configuration.md); default: env\n"
            "                    NEUROQUANTUM_CONFIG, else built-in defaults\n"
            "  --data DIR        data directory (overrides database.data_path)\n"
            "  --host ADDR       listen address (overrides server.host; default 127.0.0.1)\n"
            "  --port N          listen port (overrides server.port; 0 = any free port)\n"
            "  --port-file FILE  write the bound port to FILE once listening\n"
            "  --print-config    print the effective configuration (secrets masked) and exit\n"
            "\n"
            "SIGTERM or SIGINT stop it gracefully: no new connections, requests in flight\n"
            "finish, WebSocket clients get a close frame, the log is checkpointed; exit 0.\n");
}

int cmd_serve(int argc, char **argv)
{
    const char *config = NULL, *data = NULL, *host = NULL, *port = NULL, *port_file = NULL;
    int print_config = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--config")      ? &config
                            : !strcmp(a, "--data")      ? &data
                            : !strcmp(a, "--host")      ? &host
                            : !strcmp(a, "--port")      ? &port
                            : !strcmp(a, "--port-file") ? &port_file
                                                        : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "nqdb serve: %s needs a value\n", a);
                return EXIT_ERROR;
            }
            *slot = argv[++i];
        } else if (!strcmp(a, "--print-config")) {
            print_config = 1;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            serve_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "nqdb serve: unknown argument \"%s\" (try `nqdb serve --help`)\n", a);
            return EXIT_ERROR;
        }
    }
    server_config cfg;
    char err[1024];
    if (cfg_load(&cfg, config, err, sizeof err) != 0) {
        fprintf(stderr, "nqdb serve: %s\n", err);
        return EXIT_ERROR;
    }
    /* the flags go through cfg_set and cfg_validate like every other source of a setting;
     * --port 0 (any free port) is the one value validation would refuse, so it is set after */
    int any_port = port && strcmp(port, "0") == 0;
    if ((data && cfg_set(&cfg, "database.data_path", data, err, sizeof err) != 0) ||
        (host && cfg_set(&cfg, "server.host", host, err, sizeof err) != 0) ||
        (port && !any_port && cfg_set(&cfg, "server.port", port, err, sizeof err) != 0) ||
        cfg_validate(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "nqdb serve: %s\n", err);
        cfg_free(&cfg);
        return EXIT_ERROR;
    }
    if (any_port)
        cfg.server.port = 0;
    if (print_config) {
        cfg_dump(&cfg, stdout);
        cfg_free(&cfg);
        return 0;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    nq_server *s = calloc(1, sizeof *s);
    if (!s) {
        cfg_free(&cfg);
        fprintf(stderr, "nqdb serve: out of memory\n");
        return EXIT_ERROR;
    }
    if (server_start(s, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "nqdb serve: %s\n", err);
        server_shutdown(s); /* frees what was started, and the configuration */
        free(s);
        return EXIT_ERROR;
    }
    if (port_file) {
        FILE *f = fopen(port_file, "w");
        if (!f || fprintf(f, "%u\n", s->port) < 0 || fclose(f) != 0) {
            fprintf(stderr, "nqdb serve: cannot write %s: %s\n", port_file, strerror(errno));
            server_shutdown(s);
            free(s);
            return EXIT_ERROR;
        }
    }
    server_wait(s);
    server_shutdown(s);
    free(s);
    return 0;
}
