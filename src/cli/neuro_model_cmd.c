/*
 * neuro_model_cmd.c — `nqdb neuro` subcommands of the model group (see neuro_cmds.h): run one
 * model of src/neuro and print what it did, with the analytic or published value next to the
 * simulated one where there is one, so every run carries its own check.
 *
 *   izhikevich   one Izhikevich neuron under a constant current: spike times
 *   lif          one LIF neuron under a constant current: spike times, simulated and analytic ISI
 *   stdp         the STDP window: the weight change of one pre/post pair, online and formula
 *   oja          Oja's rule on seeded Gaussian data: cosine with the first principal component
 *                (computed by power iteration on the covariance)
 *   bcm          BCM on two overlapping patterns: the responses, the selectivity
 *   hopfield     Hopfield recall of random patterns from noisy probes: the recall rate
 *
 * Options are parsed by one table-free loop per command; every number is checked (finite, in
 * range) before anything runs, and a bad one is reported with the option's name.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "cli.h"
#include "neuro_cmds.h"
#include "neuro_hopfield.h"
#include "neuro_neuron.h"
#include "neuro_plasticity.h"
#include "neuro_stdp.h"

/* ---- option parsing ---- */

typedef struct opts {
    const char *cmd;
    int argc, i;
    char **argv;
} opts;

static int is(opts *o, const char *name)
{
    return !strcmp(o->argv[o->i], name);
}

/* The value of the option at o->i (advances); NULL after printing an error. */
static const char *value(opts *o)
{
    if (o->i + 1 >= o->argc) {
        fprintf(stderr, "nqdb neuro %s: %s needs a value\n", o->cmd, o->argv[o->i]);
        return NULL;
    }
    return o->argv[++o->i];
}

static int num(opts *o, double lo, double hi, double *v)
{
    const char *name = o->argv[o->i], *s = value(o);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(x)) {
        fprintf(stderr, "nqdb neuro %s: %s: not a number: \"%s\"\n", o->cmd, name, s);
        return -1;
    }
    if (x < lo || x > hi) {
        fprintf(stderr, "nqdb neuro %s: %s: %s out of range [%g, %g]\n", o->cmd, name, s, lo,
                hi);
        return -1;
    }
    *v = x;
    return 0;
}

static int integer(opts *o, long long lo, long long hi, long long *v)
{
    const char *name = o->argv[o->i], *s = value(o);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end || *s == ' ' || *s == '+') {
        fprintf(stderr, "nqdb neuro %s: %s: not an integer: \"%s\"\n", o->cmd, name, s);
        return -1;
    }
    if (x < lo || x > hi) {
        fprintf(stderr, "nqdb neuro %s: %s: %s out of range [%lld, %lld]\n", o->cmd, name, s, lo,
                hi);
        return -1;
    }
    *v = x;
    return 0;
}

static int unknown(opts *o)
{
    fprintf(stderr, "nqdb neuro %s: unknown option \"%s\" (try `nqdb neuro %s --help`)\n",
            o->cmd, o->argv[o->i], o->cmd);
    return EXIT_ERROR;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

static double gauss(nq_rng *r)
{
    double u1 = 1.0 - nq_rng_double(r), u2 = nq_rng_double(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---- izhikevich ---- */

static void izh_usage(FILE *f)
{
    fprintf(f,
            "usage: nqdb neuro izhikevich [--type T] [--current I] [--ms N] [--json]\n"
            "\n"
            "One Izhikevich (2003) neuron, v' = 0.04 v^2 + 5 v + 140 - u + I, u' = a (b v - u),\n"
            "spike at v >= 30 mV (v <- c, u <- u + d), 1 ms steps (spike check, two 0.5 ms\n"
            "half-steps of v, one step of u; the reference's order), from v = c, u = b c.\n"
            "  --type T      RS (default), IB, CH, FS, TC, RZ, LTS: the published (a, b, c, d)\n"
            "  --current I   constant input current (default 10; |I| <= 10000)\n"
            "  --ms N        steps of 1 ms (default 1000; at most 10000000)\n"
            "  --json        one JSON document instead of text\n"
            "Prints the spike count, the mean rate and the spike times (ms). Reference: RS with\n"
            "I = 10 for 1000 ms fires 20 spikes, the first at 4, 31, 79, 141, 195 ms.\n"
            "Exit status: 0 ok, 2 error.\n");
}

static int cmd_izh(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        izh_usage(stdout);
        return 0;
    }
    opts o = {"izhikevich", argc, 1, argv};
    neuro_izh_type type = NEURO_IZH_RS;
    double I = 10;
    long long ms = 1000;
    int json = 0;
    for (; o.i < argc; o.i++) {
        if (is(&o, "--type")) {
            const char *s = value(&o);
            if (!s)
                return EXIT_ERROR;
            if (neuro_izh_type_parse(s, &type) != 0) {
                fprintf(stderr,
                        "nqdb neuro izhikevich: --type: unknown type \"%s\" (RS, IB, CH, FS, "
                        "TC, RZ, LTS)\n",
                        s);
                return EXIT_ERROR;
            }
        } else if (is(&o, "--current")) {
            if (num(&o, -1e4, 1e4, &I))
                return EXIT_ERROR;
        } else if (is(&o, "--ms")) {
            if (integer(&o, 1, 10000000, &ms))
                return EXIT_ERROR;
        } else if (is(&o, "--json")) {
            json = 1;
        } else {
            return unknown(&o);
        }
    }
    neuro_izh_params p;
    neuro_izh_params_of(type, &p);
    neuro_izh n;
    neuro_izh_init(&n, &p);
    size_t cap = 1024, k = 0;
    long long *t = malloc(cap * sizeof *t);
    if (!t) {
        fprintf(stderr, "nqdb neuro izhikevich: out of memory\n");
        return EXIT_ERROR;
    }
    for (long long s = 0; s < ms; s++)
        if (neuro_izh_step(&n, &p, I)) {
            if (k == cap) {
                long long *nt = realloc(t, 2 * cap * sizeof *t);
                if (!nt) {
                    free(t);
                    fprintf(stderr, "nqdb neuro izhikevich: out of memory\n");
                    return EXIT_ERROR;
                }
                t = nt;
                cap *= 2;
            }
            t[k++] = s;
        }
    double rate = 1000.0 * (double)k / (double)ms;
    const char *name = neuro_izh_type_name(type);
    if (json) {
        printf("{\"model\":\"izhikevich\",\"type\":\"%s\",\"a\":%.17g,\"b\":%.17g,\"c\":%.17g,"
               "\"d\":%.17g,\"current\":%.17g,\"ms\":%lld,\"spikes\":%zu,\"rate_hz\":%.6g,"
               "\"spike_times_ms\":[",
               name, p.a, p.b, p.c, p.d, I, ms, k, rate);
        for (size_t i = 0; i < k; i++)
            printf("%s%lld", i ? "," : "", t[i]);
        printf("]}\n");
    } else {
        printf("izhikevich %s (a %g, b %g, c %g, d %g), I = %g, %lld ms\n", name, p.a, p.b, p.c,
               p.d, I, ms);
        printf("spikes: %zu (%.2f Hz)\n", k, rate);
        printf("spike times (ms):");
        for (size_t i = 0; i < k; i++)
            printf(" %lld", t[i]);
        printf("\n");
    }
    free(t);
    return 0;
}

/* ---- lif ---- */

static void lif_usage(FILE *f)
{
    fprintf(f,
            "usage: nqdb neuro lif [--current I] [--ms T] [--dt DT] [--tau-m MS] [--r-m MOHM]\n"
            "                      [--v-rest MV] [--v-reset MV] [--v-th MV] [--t-ref MS] [--json]\n"
            "\n"
            "One leaky integrate-and-fire neuron, tau_m dV/dt = v_rest - V + R I, integrated\n"
            "exactly (exponential solution, threshold crossing solved inside the step), from\n"
            "V = v_rest; after a spike V = v_reset for t_ref ms.\n"
            "  --current I   nA (default 2)        --ms T     duration, ms (default 1000)\n"
            "  --dt DT       step, ms (default 0.1) --tau-m    ms (default 20)\n"
            "  --r-m R       MOhm (default 10)      --v-rest   mV (default -70)\n"
            "  --v-reset     mV (default -70)       --v-th     mV (default -54)\n"
            "  --t-ref       ms (default 2)         --json     one JSON document\n"
            "Prints the spike times, the mean simulated interspike interval and the analytic\n"
            "T = t_ref + tau_m ln((v_rest + R I - v_reset) / (v_rest + R I - v_th)).\n"
            "Exit status: 0 ok, 2 error.\n");
}

static int cmd_lif(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        lif_usage(stdout);
        return 0;
    }
    opts o = {"lif", argc, 1, argv};
    neuro_lif_params p;
    neuro_lif_default(&p);
    double I = 2, ms = 1000, dt = 0.1;
    int json = 0;
    for (; o.i < argc; o.i++) {
        int rc = 0;
        if (is(&o, "--current"))
            rc = num(&o, -1e4, 1e4, &I);
        else if (is(&o, "--ms"))
            rc = num(&o, 1e-3, 1e7, &ms);
        else if (is(&o, "--dt"))
            rc = num(&o, 1e-4, 1e4, &dt);
        else if (is(&o, "--tau-m"))
            rc = num(&o, 1e-3, 1e6, &p.tau_m);
        else if (is(&o, "--r-m"))
            rc = num(&o, 0, 1e6, &p.r_m);
        else if (is(&o, "--v-rest"))
            rc = num(&o, -1e3, 1e3, &p.v_rest);
        else if (is(&o, "--v-reset"))
            rc = num(&o, -1e3, 1e3, &p.v_reset);
        else if (is(&o, "--v-th"))
            rc = num(&o, -1e3, 1e3, &p.v_th);
        else if (is(&o, "--t-ref"))
            rc = num(&o, 0, 1e6, &p.t_ref);
        else if (is(&o, "--json"))
            json = 1;
        else
            return unknown(&o);
        if (rc)
            return EXIT_ERROR;
    }
    if (neuro_lif_check(&p) != 0) {
        fprintf(stderr, "nqdb neuro lif: --v-reset (%g) must be below --v-th (%g)\n", p.v_reset,
                p.v_th);
        return EXIT_ERROR;
    }
    if (ms / dt > 1e8) {
        fprintf(stderr, "nqdb neuro lif: --ms / --dt = %.3g steps; at most 1e8\n", ms / dt);
        return EXIT_ERROR;
    }
    double isi = neuro_lif_isi(&p, I);
    if (isfinite(isi) && ms / isi > 1e7) {
        fprintf(stderr, "nqdb neuro lif: about %.3g spikes; at most 1e7 (lower --current or "
                        "--ms)\n", ms / isi);
        return EXIT_ERROR;
    }
    neuro_lif n;
    neuro_lif_init(&n, &p);
    size_t cap = 1024, k = 0;
    double *t = malloc(cap * sizeof *t);
    if (!t)
        return EXIT_ERROR;
    long steps = (long)ceil(ms / dt - 1e-9);
    for (long s = 0; s < steps; s++) {
        double off, h = fmin(dt, ms - s * dt);
        int c = neuro_lif_step(&n, &p, I, 0, 0, h, &off);
        for (int j = 0; j < c; j++) {
            if (k == cap) {
                double *nt = realloc(t, 2 * cap * sizeof *t);
                if (!nt) {
                    free(t);
                    fprintf(stderr, "nqdb neuro lif: out of memory\n");
                    return EXIT_ERROR;
                }
                t = nt;
                cap *= 2;
            }
            /* several spikes in one step are one analytic interval apart */
            t[k++] = s * dt + off + j * isi;
        }
    }
    double mean = k > 1 ? (t[k - 1] - t[0]) / (double)(k - 1) : NAN;
    if (json) {
        printf("{\"model\":\"lif\",\"current\":%.17g,\"ms\":%.17g,\"dt\":%.17g,\"tau_m\":%.17g,"
               "\"r_m\":%.17g,\"v_rest\":%.17g,\"v_reset\":%.17g,\"v_th\":%.17g,"
               "\"t_ref\":%.17g,\"spikes\":%zu,",
               I, ms, dt, p.tau_m, p.r_m, p.v_rest, p.v_reset, p.v_th, p.t_ref, k);
        if (k > 1)
            printf("\"isi_simulated_ms\":%.17g,", mean);
        else
            printf("\"isi_simulated_ms\":null,");
        if (isfinite(isi))
            printf("\"isi_analytic_ms\":%.17g,", isi);
        else
            printf("\"isi_analytic_ms\":null,");
        printf("\"spike_times_ms\":[");
        for (size_t i = 0; i < k; i++)
            printf("%s%.12g", i ? "," : "", t[i]);
        printf("]}\n");
    } else {
        printf("lif: tau_m %g ms, R %g MOhm, v_rest %g, v_reset %g, v_th %g mV, t_ref %g ms; "
               "I = %g nA, %g ms in steps of %g ms\n",
               p.tau_m, p.r_m, p.v_rest, p.v_reset, p.v_th, p.t_ref, I, ms, dt);
        printf("spikes: %zu\n", k);
        if (isfinite(isi))
            printf("interspike interval: analytic %.9f ms", isi);
        else
            printf("interspike interval: analytic none (v_rest + R I <= v_th: no firing)");
        if (k > 1)
            printf(", simulated mean %.9f ms (difference %.3g)", mean, mean - isi);
        printf("\nspike times (ms):");
        for (size_t i = 0; i < k; i++)
            printf(" %.4f", t[i]);
        printf("\n");
    }
    free(t);
    return 0;
}

/* ---- stdp ---- */

static void stdp_usage(FILE *f)
{
    fprintf(f,
            "usage: nqdb neuro stdp [--dt MS] [--w MS] [--w-max W] [--a-plus A] [--json]\n"
            "\n"
            "The pair-based STDP window with the Song, Miller & Abbott (2000) constants\n"
            "(A+ = 0.005, A- = 1.05 A+, tau+ = tau- = 20 ms, w in [0, w_max]):\n"
            "    dw / w_max = A+ exp(-dt / tau+) (dt > 0), -A- exp(dt / tau-) (dt < 0), 0 (dt = 0)\n"
            "with dt = t_post - t_pre. One pre/post pair is run through the online (trace) rule\n"
            "and its weight change printed next to the formula's.\n"
            "  --dt MS      t_post - t_pre (default: a table from -100 to 100 ms)\n"
            "  --w W        initial weight (default w_max / 2)\n"
            "  --w-max W    upper bound (default 1)\n"
            "  --a-plus A   potentiation amplitude (default 0.005; A- stays 1.05 A+)\n"
            "  --json       one JSON document instead of text\n"
            "Exit status: 0 ok, 2 error.\n");
}

static double stdp_pair(const neuro_stdp_params *p, double w0, double dt)
{
    neuro_stdp_synapse s;
    neuro_stdp_synapse_init(&s, w0, 0);
    double t0 = 1000;
    if (dt > 0) {
        neuro_stdp_on_pre(&s, p, t0);
        neuro_stdp_on_post(&s, p, t0 + dt);
    } else if (dt < 0) {
        neuro_stdp_on_post(&s, p, t0);
        neuro_stdp_on_pre(&s, p, t0 - dt);
    } else {
        neuro_stdp_on_both(&s, p, t0);
    }
    return s.w - w0;
}

static int cmd_stdp(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        stdp_usage(stdout);
        return 0;
    }
    opts o = {"stdp", argc, 1, argv};
    double dt = 0, w0 = NAN, wmax = 1, ap = 0.005;
    int have_dt = 0, json = 0;
    for (; o.i < argc; o.i++) {
        int rc = 0;
        if (is(&o, "--dt")) {
            rc = num(&o, -1e6, 1e6, &dt);
            have_dt = 1;
        } else if (is(&o, "--w"))
            rc = num(&o, 0, 1e9, &w0);
        else if (is(&o, "--w-max"))
            rc = num(&o, 1e-12, 1e9, &wmax);
        else if (is(&o, "--a-plus"))
            rc = num(&o, 0, 1, &ap);
        else if (is(&o, "--json"))
            json = 1;
        else
            return unknown(&o);
        if (rc)
            return EXIT_ERROR;
    }
    neuro_stdp_params p;
    neuro_stdp_sma(&p, wmax);
    p.a_plus = ap;
    p.a_minus = 1.05 * ap;
    if (isnan(w0))
        w0 = wmax / 2;
    if (w0 > wmax) {
        fprintf(stderr, "nqdb neuro stdp: --w %g above --w-max %g\n", w0, wmax);
        return EXIT_ERROR;
    }
    static const double table[] = {-100, -60, -40, -20, -10, -5, -1, 0, 1, 5, 10, 20, 40, 60, 100};
    int n = have_dt ? 1 : (int)(sizeof table / sizeof table[0]);
    if (json)
        printf("{\"model\":\"stdp\",\"a_plus\":%.17g,\"a_minus\":%.17g,\"tau_plus\":%.17g,"
               "\"tau_minus\":%.17g,\"w_max\":%.17g,\"w\":%.17g,\"pairs\":[",
               p.a_plus, p.a_minus, p.tau_plus, p.tau_minus, p.w_max, w0);
    else
        printf("stdp: A+ %g, A- %g, tau+ %g ms, tau- %g ms, w in [0, %g], w = %g\n"
               "%10s %16s %16s %10s\n",
               p.a_plus, p.a_minus, p.tau_plus, p.tau_minus, p.w_max, w0, "dt (ms)", "dw online",
               "dw formula", "diff");
    for (int i = 0; i < n; i++) {
        double d = have_dt ? dt : table[i];
        double online = stdp_pair(&p, w0, d);
        double formula = p.w_max * neuro_stdp_window(&p, d);
        /* the formula before the weight bounds; the online value is clamped */
        double clamped = fmin(fmax(w0 + formula, p.w_min), p.w_max) - w0;
        if (json)
            printf("%s{\"dt_ms\":%.17g,\"dw_online\":%.17g,\"dw_formula\":%.17g}", i ? "," : "",
                   d, online, clamped);
        else
            printf("%10g %16.9e %16.9e %10.2g\n", d, online, clamped, online - clamped);
    }
    if (json)
        printf("]}\n");
    return 0;
}

/* ---- oja ---- */

static void oja_usage(FILE *f)
{
    fprintf(f,
            "usage: nqdb neuro oja [--dim D] [--samples N] [--eta E] [--seed S] [--json]\n"
            "\n"
            "Oja's rule y = w.x, dw = eta y (x - y w) on zero-mean Gaussian inputs x = A z with a\n"
            "seeded random D x D matrix A (covariance A A^T, scaled so its largest eigenvalue is\n"
            "1). The first principal component is computed independently by power iteration on\n"
            "the covariance; the run prints |cos(w, e1)| and |w| (both converge to 1).\n"
            "  --dim D       input dimension (default 6; 2..64)\n"
            "  --samples N   training samples (default 60000; at most 10000000)\n"
            "  --eta E       learning rate for the first half (default 0.002; a tenth after)\n"
            "  --seed S      generator seed (default 1)\n"
            "  --json        one JSON document instead of text\n"
            "Exit status: 0 ok, 2 error.\n");
}

static int cmd_oja(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        oja_usage(stdout);
        return 0;
    }
    opts o = {"oja", argc, 1, argv};
    long long d = 6, ns = 60000, seed = 1;
    double eta = 0.002;
    int json = 0;
    for (; o.i < argc; o.i++) {
        int rc = 0;
        if (is(&o, "--dim"))
            rc = integer(&o, 2, 64, &d);
        else if (is(&o, "--samples"))
            rc = integer(&o, 1, 10000000, &ns);
        else if (is(&o, "--eta"))
            rc = num(&o, 1e-9, 0.5, &eta);
        else if (is(&o, "--seed"))
            rc = integer(&o, 0, INT64_MAX, &seed);
        else if (is(&o, "--json"))
            json = 1;
        else
            return unknown(&o);
        if (rc)
            return EXIT_ERROR;
    }
    int D = (int)d;
    double *A = malloc((size_t)(3 * D * D + 4 * D) * sizeof *A);
    if (!A)
        return EXIT_ERROR;
    double *C = A + D * D, *w = C + D * D, *x = w + D, *z = x + D, *e = z + D;
    nq_rng r;
    nq_rng_seed(&r, (uint64_t)seed);
    for (int i = 0; i < D * D; i++)
        A[i] = gauss(&r);
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            double s = 0;
            for (int k = 0; k < D; k++)
                s += A[i * D + k] * A[j * D + k];
            C[i * D + j] = s;
        }
    /* power iteration for the top eigenvector */
    for (int i = 0; i < D; i++)
        e[i] = 1.0 + 0.01 * i;
    double lambda = 0;
    for (int it = 0; it < 100000; it++) {
        double nrm = 0;
        for (int i = 0; i < D; i++) {
            double s = 0;
            for (int j = 0; j < D; j++)
                s += C[i * D + j] * e[j];
            z[i] = s;
            nrm += s * s;
        }
        nrm = sqrt(nrm);
        double change = 0;
        for (int i = 0; i < D; i++) {
            double v = z[i] / nrm;
            change += fabs(v - e[i]);
            e[i] = v;
        }
        lambda = nrm;
        if (change < 1e-14)
            break;
    }
    double scale = 1 / sqrt(lambda);
    for (int i = 0; i < D; i++)
        w[i] = 0.1 * gauss(&r);
    for (long long t = 0; t < ns; t++) {
        for (int i = 0; i < D; i++)
            z[i] = gauss(&r);
        for (int i = 0; i < D; i++) {
            double s = 0;
            for (int k = 0; k < D; k++)
                s += A[i * D + k] * z[k];
            x[i] = s * scale;
        }
        neuro_oja_step(w, x, (size_t)D, t < ns / 2 ? eta : eta / 10);
    }
    double dot = 0, nrm = 0;
    for (int i = 0; i < D; i++) {
        dot += w[i] * e[i];
        nrm += w[i] * w[i];
    }
    nrm = sqrt(nrm);
    double cosv = nrm > 0 ? fabs(dot) / nrm : 0;
    if (json)
        printf("{\"model\":\"oja\",\"dim\":%d,\"samples\":%lld,\"eta\":%.17g,\"seed\":%lld,"
               "\"top_eigenvalue\":%.17g,\"cosine\":%.17g,\"norm\":%.17g}\n",
               D, ns, eta, seed, lambda, cosv, nrm);
    else
        printf("oja: dim %d, %lld samples, eta %g then %g, seed %lld\n"
               "first principal component (power iteration), eigenvalue %.6g before scaling\n"
               "|cos(w, e1)| = %.6f   |w| = %.6f\n",
               D, ns, eta, eta / 10, seed, lambda, cosv, nrm);
    free(A);
    return 0;
}

/* ---- bcm ---- */

static void bcm_usage(FILE *f)
{
    fprintf(f,
            "usage: nqdb neuro bcm [--steps N] [--eta E] [--tau-theta T] [--seed S] [--json]\n"
            "\n"
            "BCM with a sliding threshold, y = max(0, w.x), dw = eta x y (y - theta),\n"
            "theta <- theta + (y^2 - theta) / tau_theta, on two overlapping patterns\n"
            "p1 = (1,1,1,0,0,0,0.2) and p2 = (0,0,1,1,1,0,0.2) presented in seeded random order.\n"
            "Prints the final responses to both, the threshold and the selectivity\n"
            "1 - min / max (near 1: the neuron answers one pattern only).\n"
            "  --steps N       presentations (default 40000; at most 100000000)\n"
            "  --eta E         learning rate (default 0.002)\n"
            "  --tau-theta T   threshold time constant in presentations (default 20)\n"
            "  --seed S        generator seed (default 1)\n"
            "  --json          one JSON document instead of text\n"
            "Exit status: 0 ok, 2 error.\n");
}

static int cmd_bcm(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        bcm_usage(stdout);
        return 0;
    }
    opts o = {"bcm", argc, 1, argv};
    long long steps = 40000, seed = 1;
    double eta = 0.002, tau = 20;
    int json = 0;
    for (; o.i < argc; o.i++) {
        int rc = 0;
        if (is(&o, "--steps"))
            rc = integer(&o, 1, 100000000, &steps);
        else if (is(&o, "--eta"))
            rc = num(&o, 1e-9, 0.1, &eta);
        else if (is(&o, "--tau-theta"))
            rc = num(&o, 1, 1e9, &tau);
        else if (is(&o, "--seed"))
            rc = integer(&o, 0, INT64_MAX, &seed);
        else if (is(&o, "--json"))
            json = 1;
        else
            return unknown(&o);
        if (rc)
            return EXIT_ERROR;
    }
    static const double P[2][7] = {{1, 1, 1, 0, 0, 0, 0.2}, {0, 0, 1, 1, 1, 0, 0.2}};
    nq_rng r;
    nq_rng_seed(&r, (uint64_t)seed);
    double w[7], theta = 0;
    for (int i = 0; i < 7; i++)
        w[i] = 0.1 + 0.1 * nq_rng_double(&r);
    for (long long t = 0; t < steps; t++)
        neuro_bcm_step(w, P[nq_rng_below(&r, 2)], 7, &theta, eta, tau);
    double y[2];
    for (int k = 0; k < 2; k++) {
        double s = 0;
        for (int i = 0; i < 7; i++)
            s += w[i] * P[k][i];
        y[k] = s > 0 ? s : 0;
    }
    double mx = fmax(y[0], y[1]), sel = mx > 0 ? 1 - fmin(y[0], y[1]) / mx : 0;
    if (!isfinite(mx)) {
        fprintf(stderr, "nqdb neuro bcm: the weights diverged (lower --eta)\n");
        return EXIT_PROBLEM;
    }
    if (json)
        printf("{\"model\":\"bcm\",\"steps\":%lld,\"eta\":%.17g,\"tau_theta\":%.17g,"
               "\"seed\":%lld,\"y_p1\":%.17g,\"y_p2\":%.17g,\"theta\":%.17g,"
               "\"selectivity\":%.17g,\"preferred\":%d}\n",
               steps, eta, tau, seed, y[0], y[1], theta, sel, y[0] >= y[1] ? 1 : 2);
    else
        printf("bcm: %lld presentations, eta %g, tau_theta %g, seed %lld\n"
               "y(p1) = %.4f   y(p2) = %.4f   theta = %.4f\n"
               "selectivity %.4f (prefers p%d)\n",
               steps, eta, tau, seed, y[0], y[1], theta, sel, y[0] >= y[1] ? 1 : 2);
    return 0;
}

/* ---- hopfield ---- */

static void hopfield_usage(FILE *f)
{
    fprintf(f,
            "usage: nqdb neuro hopfield [--n N] [--patterns P] [--noise F] [--seed S] [--sync]\n"
            "                           [--json]\n"
            "\n"
            "A Hopfield memory of N +-1 neurons stores P random patterns (Hebbian outer products,\n"
            "integer weights); each pattern is probed with a fraction F of its bits flipped and\n"
            "recalled (asynchronous random-order sweeps by default, --sync for synchronous).\n"
            "Prints the fraction of bits recovered over all patterns, how many probes came back\n"
            "exactly, and how many stored patterns are fixed points. The known capacity is about\n"
            "0.138 N: below it recall is near perfect, above it the memory fails.\n"
            "  --n N          neurons (default 200; 2..4096)\n"
            "  --patterns P   stored patterns (default 10; 1..100000)\n"
            "  --noise F      fraction of bits flipped in each probe (default 0.1; 0..1)\n"
            "  --seed S       generator seed (default 1); same seed, same result anywhere\n"
            "  --sync         synchronous updates\n"
            "  --json         one JSON document instead of text\n"
            "Exit status: 0 ok, 2 error.\n");
}

static int cmd_hopfield(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        hopfield_usage(stdout);
        return 0;
    }
    opts o = {"hopfield", argc, 1, argv};
    long long n = 200, np = 10, seed = 1;
    double noise = 0.1;
    int json = 0, sync = 0;
    for (; o.i < argc; o.i++) {
        int rc = 0;
        if (is(&o, "--n"))
            rc = integer(&o, 2, 4096, &n);
        else if (is(&o, "--patterns"))
            rc = integer(&o, 1, 100000, &np);
        else if (is(&o, "--noise"))
            rc = num(&o, 0, 1, &noise);
        else if (is(&o, "--seed"))
            rc = integer(&o, 0, INT64_MAX, &seed);
        else if (is(&o, "--sync"))
            sync = 1;
        else if (is(&o, "--json"))
            json = 1;
        else
            return unknown(&o);
        if (rc)
            return EXIT_ERROR;
    }
    if (n * np > 100000000) {
        fprintf(stderr, "nqdb neuro hopfield: --n x --patterns = %lld; at most 100000000\n",
                n * np);
        return EXIT_ERROR;
    }
    uint32_t N = (uint32_t)n;
    int P = (int)np;
    neuro_hopfield h;
    int8_t *xi = malloc((size_t)P * N + 2 * (size_t)N);
    uint32_t *idx = malloc(N * sizeof *idx);
    if (!xi || !idx || neuro_hopfield_init(&h, N) != 0) {
        free(xi);
        free(idx);
        fprintf(stderr, "nqdb neuro hopfield: out of memory\n");
        return EXIT_ERROR;
    }
    int8_t *s = xi + (size_t)P * N;
    nq_rng r;
    nq_rng_seed(&r, (uint64_t)seed);
    for (size_t k = 0; k < (size_t)P * N; k++)
        xi[k] = nq_rng_below(&r, 2) ? 1 : -1;
    for (int k = 0; k < P; k++)
        neuro_hopfield_store(&h, xi + (size_t)k * N);
    uint32_t flips = (uint32_t)llround(noise * N);
    uint64_t good = 0;
    int exact = 0, fixed = 0, unsettled = 0, cycles = 0;
    for (int k = 0; k < P; k++) {
        const int8_t *x = xi + (size_t)k * N;
        for (int pass = 0; pass < 2; pass++) {
            memcpy(s, x, N);
            if (pass == 0) { /* flip `flips` distinct random bits */
                for (uint32_t i = 0; i < N; i++)
                    idx[i] = i;
                for (uint32_t f = 0; f < flips; f++) {
                    uint32_t j = f + (uint32_t)nq_rng_below(&r, N - f);
                    uint32_t t = idx[f];
                    idx[f] = idx[j];
                    idx[j] = t;
                    s[idx[f]] = (int8_t)-s[idx[f]];
                }
            }
            int cyc = 0;
            int rc = sync ? neuro_hopfield_recall_sync(&h, s, 1000, &cyc)
                          : neuro_hopfield_recall_async(&h, s, 1000, &r);
            cycles += cyc;
            if (rc == NQ_ENOMEM) {
                fprintf(stderr, "nqdb neuro hopfield: out of memory\n");
                neuro_hopfield_free(&h);
                free(xi);
                free(idx);
                return EXIT_ERROR;
            }
            unsettled += rc == 0;
            if (pass == 0) {
                uint32_t ov = neuro_hopfield_overlap(s, x, N);
                good += ov;
                exact += ov == N;
            } else {
                fixed += !memcmp(s, x, N);
            }
        }
    }
    double rate = (double)good / ((double)P * N);
    if (json)
        printf("{\"model\":\"hopfield\",\"n\":%u,\"patterns\":%d,\"load\":%.6g,\"noise\":%.17g,"
               "\"flipped_bits\":%u,\"seed\":%lld,\"update\":\"%s\",\"recall_rate\":%.17g,"
               "\"exact_recalls\":%d,\"fixed_points\":%d,\"two_cycles\":%d,\"unsettled\":%d}\n",
               N, P, (double)P / N, noise, flips, seed, sync ? "sync" : "async", rate, exact,
               fixed, cycles, unsettled);
    else
        printf("hopfield: N = %u, P = %d (load %.3f; capacity about 0.138 N = %.1f), %u of %u "
               "bits flipped per probe, %s updates, seed %lld\n"
               "recall rate: %.4f %% of bits recovered\n"
               "exact recalls: %d / %d   stored patterns that are fixed points: %d / %d%s\n"
               "%s",
               N, P, (double)P / N, 0.138 * N, flips, N, sync ? "synchronous" : "asynchronous",
               seed, 100 * rate, exact, P, fixed, P,
               unsettled ? "   (some runs did not settle in 1000 sweeps)" : "",
               cycles ? "some synchronous runs ended in a 2-cycle\n" : "");
    neuro_hopfield_free(&h);
    free(xi);
    free(idx);
    return 0;
}

int neuro_model_cmd(int argc, char **argv)
{
    const char *c = argv[0];
    if (!strcmp(c, "izhikevich"))
        return cmd_izh(argc, argv);
    if (!strcmp(c, "lif"))
        return cmd_lif(argc, argv);
    if (!strcmp(c, "stdp"))
        return cmd_stdp(argc, argv);
    if (!strcmp(c, "oja"))
        return cmd_oja(argc, argv);
    if (!strcmp(c, "bcm"))
        return cmd_bcm(argc, argv);
    if (!strcmp(c, "hopfield"))
        return cmd_hopfield(argc, argv);
    fprintf(stderr, "nqdb neuro: unknown model \"%s\"\n", c);
    return EXIT_ERROR;
}
