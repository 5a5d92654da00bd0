/*
 * test_grover.c — Grover's search, amplitude amplification and OpenQASM 3 output against
 * ground truth.
 *
 *   1. For every n = 1..12 (and n = 14, k > 64) and several M (1, 2, 3, N/4, N/2 - 1, N - 1, random sets): after k
 *      iterations the marked probability equals sin^2((2k+1) theta), theta = asin(sqrt(M/N)),
 *      to 1e-12, for k = 0..optimal+2, and the norm stays 1 to 1e-12; the optimal count is
 *      floor(pi/(4 theta)) and the published figures (N = 16: k = 3, P = 0.9613; 64: 6, 0.9966;
 *      256: 12, 0.9999; 1024: 25, 0.9995) come out.
 *   2. Duplicated marked indices count once; a predicate oracle gives the same state as the
 *      list; single precision agrees to 1e-5; bad indices are refused.
 *   3. General amplitude amplification with a non-uniform A (RY rotations) follows
 *      sin^2((2k+1) theta) for the a it starts from; with A = H^n it equals Grover's search.
 *   4. The gate-level circuit (X, multi-controlled Z, H) run gate by gate gives the same
 *      probabilities as the direct simulation.
 *   5. OpenQASM 3: a tiny checker parses the text back (header, qubit declaration, each gate's
 *      name, modifiers, angle and operands), counts the gates, checks the operand count against
 *      ctrl(k), the indices and their distinctness, rebuilds the circuit and replays it: the
 *      amplitudes are identical to the original's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grover.h"
#include "qasm.h"

static void random_marked(nq_rng *r, uint64_t dim, uint64_t m, uint64_t *out)
{
    /* partial Fisher-Yates over 0..dim-1 */
    uint64_t *perm = malloc(dim * sizeof *perm);
    for (uint64_t i = 0; i < dim; i++)
        perm[i] = i;
    for (uint64_t i = 0; i < m; i++) {
        uint64_t j = i + nq_rng_below(r, dim - i), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        out[i] = perm[i];
    }
    free(perm);
}

static void test_success_formula(void **st)
{
    (void)st;
    nq_rng r;
    nq_rng_seed(&r, 31337);
    int cases = 0;
    for (int n = 1; n <= 12; n++) {
        uint64_t N = (uint64_t)1 << n;
        uint64_t ms[] = {1, 2, 3, N / 4, N / 2 ? N / 2 - 1 : 0, N - 1, 1 + nq_rng_below(&r, N - 1)};
        statevec *sv;
        assert_int_equal(statevec_new(&sv, n, STATEVEC_F64, 0, NULL), 0);
        uint64_t *mk = malloc(N * sizeof *mk);
        for (size_t c = 0; c < sizeof ms / sizeof ms[0]; c++) {
            uint64_t M = ms[c];
            if (M == 0 || M >= N)
                continue;
            random_marked(&r, N, M, mk);
            grover_oracle o = {mk, M, NULL, NULL};
            uint64_t kopt = grover_optimal_iterations(N, M);
            double theta = asin(sqrt((double)M / (double)N));
            assert_true(kopt == (uint64_t)floor(M_PI / (4 * theta)));
            for (uint64_t k = 0; k <= kopt + 2; k++) {
                grover_result res;
                assert_int_equal(grover_search(sv, &o, (int64_t)k, &res, NULL), 0);
                double want = pow(sin((double)(2 * k + 1) * theta), 2);
                if (fabs(res.success - want) > 1e-12)
                    fail_msg("n %d M %llu k %llu: P %.17g want %.17g", n, (unsigned long long)M,
                             (unsigned long long)k, res.success, want);
                assert_true(fabs(res.predicted - want) < 1e-15);
                if (fabs(statevec_norm2(sv) - 1) > 1e-12)
                    fail_msg("n %d M %llu k %llu: norm %.17g", n, (unsigned long long)M,
                             (unsigned long long)k, statevec_norm2(sv));
                assert_int_equal(res.nmarked, M);
                cases++;
            }
            grover_result res;
            assert_int_equal(grover_search(sv, &o, -1, &res, NULL), 0);
            assert_int_equal(res.iterations, kopt);
        }
        free(mk);
        statevec_free(sv);
    }
    /* past 64 iterations (grover_search recomputes the carried sum every 64): n = 14 */
    {
        statevec *sv;
        assert_int_equal(statevec_new(&sv, 14, STATEVEC_F64, 0, NULL), 0);
        uint64_t mk[2] = {777, 16000};
        for (size_t M = 1; M <= 2; M++) {
            grover_oracle o = {mk, M, NULL, NULL};
            grover_result res;
            assert_int_equal(grover_search(sv, &o, -1, &res, NULL), 0);
            assert_true(res.iterations > 64);
            double want = grover_success_probability(16384, M, res.iterations);
            if (fabs(res.success - want) > 1e-12 || fabs(statevec_norm2(sv) - 1) > 1e-12)
                fail_msg("n 14 M %zu k %llu: P %.17g want %.17g norm %.17g", M,
                         (unsigned long long)res.iterations, res.success, want,
                         statevec_norm2(sv));
            cases++;
        }
        statevec_free(sv);
    }
    print_message("%d (n, M, k) cases\n", cases);
    /* published figures for one marked item */
    const struct { int n; uint64_t k; double p; } pub[] = {
        {4, 3, 0.9613}, {6, 6, 0.9966}, {8, 12, 0.9999}, {10, 25, 0.9995}};
    for (int i = 0; i < 4; i++) {
        statevec *sv;
        assert_int_equal(statevec_new(&sv, pub[i].n, STATEVEC_F64, 0, NULL), 0);
        uint64_t m = 5;
        grover_oracle o = {&m, 1, NULL, NULL};
        grover_result res;
        assert_int_equal(grover_search(sv, &o, -1, &res, NULL), 0);
        assert_int_equal(res.iterations, pub[i].k);
        assert_true(fabs(res.success - pub[i].p) < 5e-5);
        assert_true(fabs(grover_success_probability((uint64_t)1 << pub[i].n, 1, pub[i].k) -
                         res.success) < 1e-12);
        statevec_free(sv);
    }
}

static int pred_mod7(uint64_t i, void *arg)
{
    (void)arg;
    return i % 7 == 3;
}

static void test_oracles(void **st)
{
    (void)st;
    statevec *a, *b, *f;
    nq_err e;
    nq_err_clear(&e);
    assert_int_equal(statevec_new(&a, 8, STATEVEC_F64, 0, NULL), 0);
    assert_int_equal(statevec_new(&b, 8, STATEVEC_F64, 0, NULL), 0);
    assert_int_equal(statevec_new(&f, 8, STATEVEC_F32, 0, NULL), 0);
    uint64_t list[64];
    size_t m = 0;
    for (uint64_t i = 0; i < 256; i++)
        if (i % 7 == 3)
            list[m++] = i;
    grover_oracle ol = {list, m, NULL, NULL}, op = {NULL, 0, pred_mod7, NULL};
    grover_result ra, rb, rf;
    assert_int_equal(grover_search(a, &ol, -1, &ra, NULL), 0);
    assert_int_equal(grover_search(b, &op, -1, &rb, NULL), 0);
    assert_int_equal(grover_search(f, &ol, -1, &rf, NULL), 0);
    assert_int_equal(ra.nmarked, m);
    assert_int_equal(rb.nmarked, m);
    for (uint64_t i = 0; i < 256; i++) {
        assert_true(fabs(statevec_prob(a, i) - statevec_prob(b, i)) < 1e-15);
        assert_true(fabs(statevec_prob(a, i) - statevec_prob(f, i)) < 1e-5);
    }
    assert_true(fabs(rf.success - ra.success) < 1e-5);
    /* duplicates count once */
    uint64_t dup[4] = {9, 9, 200, 9};
    grover_oracle od = {dup, 4, NULL, NULL};
    assert_int_equal(grover_search(a, &od, -1, &ra, NULL), 0);
    assert_int_equal(ra.nmarked, 2);
    assert_true(fabs(ra.success - grover_success_probability(256, 2, ra.iterations)) < 1e-12);
    /* out of range */
    uint64_t bad = 256;
    grover_oracle ob = {&bad, 1, NULL, NULL};
    assert_int_equal(grover_search(a, &ob, -1, &ra, &e), NQ_EINVAL);
    assert_non_null(strstr(e.msg, "out of range"));
    grover_oracle none = {NULL, 0, NULL, NULL};
    assert_int_equal(grover_search(a, &none, -1, &ra, &e), NQ_EINVAL);
    statevec_free(a);
    statevec_free(b);
    statevec_free(f);
}

/* A = product of RY(angle_q) on each qubit; A^dg = RY(-angle_q). */
static int prep_ry(statevec *sv, int inverse, void *arg)
{
    const double *ang = arg;
    for (int q = 0; q < sv->n; q++)
        statevec_ry(sv, q, inverse ? -ang[q] : ang[q]);
    return 0;
}

static int prep_h(statevec *sv, int inverse, void *arg)
{
    (void)inverse;
    (void)arg;
    for (int q = 0; q < sv->n; q++)
        statevec_h(sv, q);
    return 0;
}

static void test_amplitude_amplification(void **st)
{
    (void)st;
    nq_rng r;
    nq_rng_seed(&r, 4242);
    const int n = 7;
    statevec *sv, *g;
    assert_int_equal(statevec_new(&sv, n, STATEVEC_F64, 0, NULL), 0);
    assert_int_equal(statevec_new(&g, n, STATEVEC_F64, 0, NULL), 0);
    for (int trial = 0; trial < 20; trial++) {
        double ang[7];
        for (int q = 0; q < n; q++)
            ang[q] = 0.3 + 1.2 * nq_rng_double(&r);
        uint64_t mk[5];
        random_marked(&r, 128, 5, mk);
        grover_oracle o = {mk, 5, NULL, NULL};
        /* a from the product state, computed independently */
        double a = 0;
        for (int k = 0; k < 5; k++) {
            double p = 1;
            for (int q = 0; q < n; q++) {
                double s = sin(ang[q] / 2);
                p *= (mk[k] >> q & 1) ? s * s : 1 - s * s;
            }
            a += p;
        }
        double theta = asin(sqrt(a));
        for (int64_t k = 0; k < 6; k++) {
            grover_result res;
            assert_int_equal(grover_amplify(sv, prep_ry, ang, &o, k, &res, NULL), 0);
            assert_true(fabs(res.initial - a) < 1e-13);
            double want = pow(sin((double)(2 * k + 1) * theta), 2);
            assert_true(fabs(res.success - want) < 1e-12);
            assert_true(fabs(statevec_norm2(sv) - 1) < 1e-12);
        }
        grover_result res;
        assert_int_equal(grover_amplify(sv, prep_ry, ang, &o, -1, &res, NULL), 0);
        assert_int_equal(res.iterations, (uint64_t)floor(M_PI / (4 * theta)));
        /* A = H^n is Grover's search (same probabilities) */
        grover_result rg;
        assert_int_equal(grover_amplify(sv, prep_h, NULL, &o, -1, &res, NULL), 0);
        assert_int_equal(grover_search(g, &o, -1, &rg, NULL), 0);
        assert_int_equal(res.iterations, rg.iterations);
        for (uint64_t i = 0; i < 128; i++)
            assert_true(fabs(statevec_prob(sv, i) - statevec_prob(g, i)) < 1e-13);
    }
    statevec_free(sv);
    statevec_free(g);
}

static void test_circuit_matches(void **st)
{
    (void)st;
    nq_rng r;
    nq_rng_seed(&r, 5);
    for (int n = 1; n <= 7; n++) {
        uint64_t N = (uint64_t)1 << n, mk[3];
        uint64_t M = N > 4 ? 3 : 1;
        random_marked(&r, N, M, mk);
        grover_oracle o = {mk, M, NULL, NULL};
        statevec *a, *b;
        assert_int_equal(statevec_new(&a, n, STATEVEC_F64, 0, NULL), 0);
        assert_int_equal(statevec_new(&b, n, STATEVEC_F64, 0, NULL), 0);
        grover_result res;
        assert_int_equal(grover_search(a, &o, -1, &res, NULL), 0);
        statevec_circuit *c;
        assert_int_equal(grover_circuit(n, &o, res.iterations, &c, NULL), 0);
        assert_int_equal(statevec_circuit_run(c, b), 0);
        for (uint64_t i = 0; i < N; i++)
            assert_true(fabs(statevec_prob(a, i) - statevec_prob(b, i)) < 1e-12);
        statevec_circuit_free(c);
        statevec_free(a);
        statevec_free(b);
    }
}

/* ---- the tiny OpenQASM 3 checker ----------------------------------------------------------- */

/* Parse text produced for n qubits into a circuit; returns the gate count or fails the test. */
static size_t qasm_check(const char *text, int *n_out, statevec_circuit **out)
{
    const char *p = text;
    int line = 0, n = -1, measured = 0;
    size_t gates = 0;
    statevec_circuit *c = NULL;
    char buf[4096];
    while (*p) {
        const char *e = strchr(p, '\n');
        assert_non_null(e); /* every statement ends its line */
        size_t len = (size_t)(e - p);
        assert_true(len < sizeof buf);
        memcpy(buf, p, len);
        buf[len] = 0;
        p = e + 1;
        line++;
        if (line == 1) {
            assert_string_equal(buf, "OPENQASM 3.0;");
            continue;
        }
        if (line == 2) {
            assert_string_equal(buf, "include \"stdgates.inc\";");
            continue;
        }
        if (line == 3) {
            assert_int_equal(sscanf(buf, "qubit[%d] q;", &n), 1);
            assert_true(n >= 1 && n <= 64);
            assert_int_equal(statevec_circuit_new(&c, n, NULL), 0);
            continue;
        }
        if (strncmp(buf, "bit[", 4) == 0) {
            int nb;
            assert_int_equal(sscanf(buf, "bit[%d] c;", &nb), 1);
            assert_int_equal(nb, n);
            continue;
        }
        if (strcmp(buf, "c = measure q;") == 0) {
            measured = 1;
            continue;
        }
        assert_false(measured); /* nothing after the measurement */
        char *s = buf;
        int nc = 0;
        if (strncmp(s, "ctrl @ ", 7) == 0) {
            nc = 1;
            s += 7;
        } else if (strncmp(s, "ctrl(", 5) == 0) {
            char *q;
            nc = (int)strtol(s + 5, &q, 10);
            assert_true(nc >= 2 && strncmp(q, ") @ ", 4) == 0);
            s = q + 4;
        }
        char name[16];
        size_t nl = strspn(s, "abcdefghijklmnopqrstuvwxyz");
        assert_true(nl > 0 && nl < sizeof name);
        memcpy(name, s, nl);
        name[nl] = 0;
        s += nl;
        if ((strcmp(name, "cx") == 0 || strcmp(name, "cz") == 0) && nc == 0) {
            nc = 1;
            name[0] = name[1], name[1] = 0;
        }
        int kind = -1;
        for (int k = 0; k < SVG_KIND_COUNT; k++)
            if (strcmp(name, statevec_gate_name((statevec_gate_kind)k)) == 0)
                kind = k;
        assert_true(kind >= 0);
        double theta = 0;
        if (kind == SVG_RX || kind == SVG_RY || kind == SVG_RZ) {
            assert_true(*s == '(');
            char *q;
            theta = strtod(s + 1, &q);
            assert_true(*q == ')');
            s = q + 1;
        }
        int ops[65], nops = 0;
        for (;;) {
            int qi, used;
            assert_true(*s == ' ');
            assert_int_equal(sscanf(s, " q[%d]%n", &qi, &used), 1);
            assert_true(qi >= 0 && qi < n);
            for (int k = 0; k < nops; k++)
                assert_true(ops[k] != qi);
            assert_true(nops < 65);
            ops[nops++] = qi;
            s += used;
            if (*s == ';')
                break;
            assert_true(*s == ',');
            s++;
        }
        assert_string_equal(s, ";");
        assert_int_equal(nops, nc + 1);
        uint64_t cm = 0;
        for (int k = 0; k < nc; k++)
            cm |= (uint64_t)1 << ops[k];
        assert_int_equal(statevec_circuit_add(c, (statevec_gate_kind)kind, ops[nc], cm, theta), 0);
        gates++;
    }
    assert_true(n > 0);
    *n_out = n;
    *out = c;
    return gates;
}

static void assert_round_trip(const statevec_circuit *c, int measure)
{
    char *text;
    size_t len;
    assert_int_equal(qasm_export(c, measure, &text, &len, NULL), 0);
    assert_int_equal(strlen(text), len);
    int n;
    statevec_circuit *back;
    assert_int_equal(qasm_check(text, &n, &back), c->ngates);
    assert_int_equal(n, c->n);
    if (measure)
        assert_non_null(strstr(text, "\nc = measure q;\n"));
    statevec *a, *b;
    assert_int_equal(statevec_new(&a, n, STATEVEC_F64, 0, NULL), 0);
    assert_int_equal(statevec_new(&b, n, STATEVEC_F64, 0, NULL), 0);
    assert_int_equal(statevec_circuit_run(c, a), 0);
    assert_int_equal(statevec_circuit_run(back, b), 0);
    for (uint64_t i = 0; i < a->dim; i++) {
        double ar, ai, br, bi;
        statevec_get(a, i, &ar, &ai);
        statevec_get(b, i, &br, &bi);
        assert_true(ar == br && ai == bi);
    }
    statevec_free(a);
    statevec_free(b);
    statevec_circuit_free(back);
    free(text);
}

static void test_qasm(void **st)
{
    (void)st;
    /* Grover circuits */
    for (int n = 1; n <= 6; n++) {
        uint64_t mk[2] = {0, ((uint64_t)1 << n) - 1};
        grover_oracle o = {mk, n > 1 ? 2 : 1, NULL, NULL};
        statevec_circuit *c;
        uint64_t k = grover_optimal_iterations((uint64_t)1 << n, o.nmarked);
        assert_int_equal(grover_circuit(n, &o, k, &c, NULL), 0);
        /* gate count: n H, then per iteration per marked (2 zeros + 1), diffusion 4n + 1 */
        size_t want = (size_t)n;
        for (uint64_t it = 0; it < k; it++) {
            want += (size_t)(2 * n + 1) + (n > 1 ? 1 : 0); /* marked 0: n zeros; all-ones: none */
            want += (size_t)(4 * n + 1);
        }
        assert_int_equal(c->ngates, want);
        assert_round_trip(c, 1);
        statevec_circuit_free(c);
    }
    /* a random circuit with every kind, angles and 0..3 controls */
    nq_rng r;
    nq_rng_seed(&r, 8);
    statevec_circuit *c;
    const int n = 6;
    assert_int_equal(statevec_circuit_new(&c, n, NULL), 0);
    for (int k = 0; k < 300; k++) {
        int kind = (int)nq_rng_below(&r, SVG_KIND_COUNT), t = (int)nq_rng_below(&r, n);
        uint64_t cm = 0;
        int nc = (int)nq_rng_below(&r, 4);
        while (__builtin_popcountll(cm) < nc) {
            int q = (int)nq_rng_below(&r, n);
            if (q != t)
                cm |= (uint64_t)1 << q;
        }
        assert_int_equal(statevec_circuit_add(c, (statevec_gate_kind)kind, t, cm,
                                              (nq_rng_double(&r) - 0.5) * 20), 0);
    }
    assert_int_equal(statevec_circuit_add(c, SVG_H, 1, 2, 0), NQ_EINVAL); /* control = target */
    assert_int_equal(statevec_circuit_add(c, SVG_H, 6, 0, 0), NQ_EINVAL);
    assert_int_equal(statevec_circuit_add(c, SVG_H, 0, 1u << 6, 0), NQ_EINVAL);
    assert_round_trip(c, 0);
    char *text;
    assert_int_equal(qasm_export(c, 0, &text, NULL, NULL), 0);
    assert_non_null(strstr(text, "ctrl(2) @ "));
    assert_non_null(strstr(text, "ctrl(3) @ "));
    assert_non_null(strstr(text, "\ncx q["));
    free(text);
    statevec_circuit_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success_formula),
        cmocka_unit_test(test_oracles),
        cmocka_unit_test(test_amplitude_amplification),
        cmocka_unit_test(test_circuit_matches),
        cmocka_unit_test(test_qasm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
