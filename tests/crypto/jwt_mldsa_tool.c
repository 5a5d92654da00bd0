/*
 * jwt_mldsa_tool.c — the C side of the ML-DSA JWT cross-check with @noble/post-quantum
 * (tests/crypto/jwt_mldsa.cmake, jwt_mldsa_cross.sh):
 *
 *   jwt_mldsa_tool issue DIR LEVEL COUNT   make (or load) DIR/jwt-mldsaLEVEL.key/.pub with the
 *                                          server's loader, print COUNT tokens signed by the
 *                                          server's encoder (one per line; varied claims)
 *   jwt_mldsa_tool verify DIR LEVEL        read lines "ok TOKEN" / "refused TOKEN" (what noble
 *                                          expects) and check each with the server's verifier;
 *                                          exit 1 on any disagreement, printing it
 *   jwt_mldsa_tool bench DIR LEVEL N       time N token signatures and N verifications (the
 *                                          whole encode/decode: JSON, base64url, ML-DSA) and
 *                                          the same with HS256 in the same run; prints
 *                                          microseconds per token (docs/authentication.md)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "jwt_hs256.h"
#include "jwt_mldsa.h"
#include "nqdb.h"

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "issue") && strcmp(argv[1], "verify") && strcmp(argv[1], "bench")) ||
        (strcmp(argv[1], "verify") && argc != 5)) {
        fprintf(stderr, "usage: jwt_mldsa_tool issue DIR LEVEL COUNT | verify DIR LEVEL | bench DIR LEVEL N\n");
        return 2;
    }
    int level = atoi(argv[3]);
    uint8_t *sk, *pk;
    size_t skl, pkl;
    char err[300];
    if (auth_load_jwt_mldsa(argv[2], level, AUTH_MLDSA_LOAD_OR_CREATE, &sk, &skl, &pk, &pkl, err,
                            sizeof err) != 0) {
        fprintf(stderr, "jwt_mldsa_tool: %s\n", err);
        return 2;
    }
    int64_t now = (int64_t)time(NULL);
    int bad = 0;
    if (!strcmp(argv[1], "bench")) {
        int count = atoi(argv[4]);
        static const unsigned char hkey[] = "0123456789abcdef0123456789abcdef0123456789abcdef";
        jwt_hs256_claims c, out;
        memset(&c, 0, sizeof c);
        snprintf(c.sub, sizeof c.sub, "alice@example.com");
        snprintf(c.jti, sizeof c.jti, "00112233445566778899aabbccddeeff");
        c.iat = now;
        c.exp = now + 86400;
        c.perms = 3;
        for (int alg = 0; alg < 2 && count > 0; alg++) {
            char **toks = calloc((size_t)count, sizeof *toks);
            struct timespec t0, t1, t2;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            for (int i = 0; i < count; i++)
                if ((alg ? jwt_hs256_encode(hkey, sizeof hkey - 1, &c, "neuroquantum-db",
                                            "neuroquantum-api", &toks[i], err, sizeof err)
                         : jwt_mldsa_encode(level, sk, skl, &c, "neuroquantum-db",
                                            "neuroquantum-api", &toks[i], err, sizeof err)) != 0)
                    bad = 1;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            for (int i = 0; i < count && !bad; i++)
                if ((alg ? jwt_hs256_decode(hkey, sizeof hkey - 1, toks[i], "neuroquantum-db",
                                            "neuroquantum-api", now, &out, err, sizeof err)
                         : jwt_mldsa_decode(level, pk, pkl, toks[i], "neuroquantum-db",
                                            "neuroquantum-api", now, &out, err, sizeof err)) != 0)
                    bad = 1;
            clock_gettime(CLOCK_MONOTONIC, &t2);
            double s1 = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
            double s2 = (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9;
            printf("%-9s token %4zu bytes: sign %8.1f us, verify %7.1f us per token (%d tokens)\n",
                   alg ? "HS256" : jwt_mldsa_alg(level), toks[0] ? strlen(toks[0]) : 0,
                   s1 * 1e6 / count, s2 * 1e6 / count, count);
            for (int i = 0; i < count; i++)
                free(toks[i]);
            free(toks);
        }
        if (bad)
            fprintf(stderr, "jwt_mldsa_tool: %s\n", err);
    } else if (!strcmp(argv[1], "issue")) {
        int count = atoi(argv[4]);
        for (int i = 0; i < count; i++) {
            jwt_hs256_claims c;
            memset(&c, 0, sizeof c);
            snprintf(c.sub, sizeof c.sub, "user-%d%s", i, i % 3 ? "" : "@example.com");
            snprintf(c.jti, sizeof c.jti, "%032x", (unsigned)(i * 2654435761u));
            c.iat = now;
            c.exp = now + 3600 + i;
            c.perms = (unsigned)i % 64;
            if (i % 4 == 1)
                snprintf(c.amr, sizeof c.amr, "eeg");
            char *tok;
            if (jwt_mldsa_encode(level, sk, skl, &c, i % 2 ? "neuroquantum-db" : NULL,
                                 i % 2 ? "neuroquantum-api" : NULL, &tok, err, sizeof err) != 0) {
                fprintf(stderr, "jwt_mldsa_tool: %s\n", err);
                return 1;
            }
            printf("%s\n", tok);
            free(tok);
        }
    } else {
        static char line[32768];
        int n = 0;
        while (fgets(line, sizeof line, stdin)) {
            line[strcspn(line, "\r\n")] = '\0';
            char *sp = strchr(line, ' ');
            if (!sp)
                continue;
            *sp = '\0';
            int want_ok = !strcmp(line, "ok");
            jwt_hs256_claims out;
            int rc = jwt_mldsa_decode(level, pk, pkl, sp + 1, NULL, NULL, now, &out, err, sizeof err);
            n++;
            if ((rc == 0) != want_ok) {
                printf("MISMATCH token %d: noble says %s, C says %s (%s)\n", n, line,
                       rc == 0 ? "ok" : "refused", rc ? err : "");
                bad++;
            }
        }
        printf("%d noble-signed tokens checked, %d disagreements\n", n, bad);
        if (n == 0)
            bad = 1;
    }
    free(sk);
    free(pk);
    return bad ? 1 : 0;
}
