/*
 * qubo_sqa.c — simulated quantum annealing: path-integral Monte Carlo of the transverse-field
 * Ising model H(Γ) = H_cl(σ^z) − Γ Σ_i σ^x_i while Γ falls from gamma_hot to gamma_cold.
 *
 * Derivation (Suzuki–Trotter). Split e^{−βH} into P slices of imaginary time β/P. For one spin,
 * ⟨s'| e^{(β/P)Γσ^x} |s⟩ = cosh(βΓ/P) if s' = s, sinh(βΓ/P) otherwise, which equals
 * C·e^{K s s'} with e^{−2K} = tanh(βΓ/P), i.e. K = −½ ln tanh(βΓ/P) > 0. So
 *
 *   Z ≈ C^{nP} Σ_{s_1..s_P} exp( −(β/P) Σ_k H_cl(s_k) + K Σ_k Σ_i s_{k,i} s_{k+1,i} )   (s_{P+1} = s_1)
 *
 * a classical system of P coupled replicas ("slices"). Written as a Boltzmann weight at the
 * temperature P·T, exp(−E_eff/(PT)) with
 *
 *   E_eff = Σ_k H_cl(s_k) − J⊥ Σ_k Σ_i s_{k,i} s_{k+1,i},   J⊥ = PT·K = −(PT/2)·ln tanh(Γ/(PT)),
 *
 * and J⊥ > 0 for every Γ > 0: the coupling along imaginary time is FERROMAGNETIC (the Rust
 * version had J⊥ < 0, an antiferromagnet in Trotter direction, and with its flipped ΔE sign its
 * chain climbed in energy). As Γ → 0, J⊥ → ∞ and the slices lock into one classical state; at
 * large Γ, J⊥ is small and the slices wander independently, which is the quantum "tunnelling".
 *
 * Moves: single-spin Metropolis on s_{k,i} with
 *   ΔE_eff = −2 s_{k,i}·F_{k,i} + 2 J⊥ s_{k,i}(s_{k−1,i} + s_{k+1,i}),  F_{k,i} = h_i + Σ_j J_ij s_{k,j},
 * accepted with min(1, e^{−ΔE_eff/(PT)}); per-slice local fields F are kept, so a move costs
 * O(degree). Each slice is a candidate answer: the lowest classical energy of any slice at the
 * end of a sweep is kept and finished by greedy descent.
 *
 * Defaults, in units of D = mean |Δ| of a QUBO flip over a random state: P = 16 slices, sweeps
 * 1000, P·T = D/2, Γ from D down to D/1000, linear in the sweep index.
 */
#include "qubo_solve_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int qubo_solve_sqa(const qubo_model *m, const qubo_options *o, qubo_result *r, nq_err *err)
{
    double t0 = qubo_now();
    int n = m->n, P = o->trotter > 1 ? o->trotter : 16;
    long sweeps = o->sweeps > 0 ? o->sweeps : 1000;
    ising_model is;
    int rc = ising_from_qubo(m, &is, err);
    if (rc)
        return rc;
    if ((rc = qubo_result_init(r, n, err))) {
        ising_free(&is);
        return rc;
    }
    size_t cells = (size_t)n * (size_t)P;
    signed char *s = malloc(cells);
    double *F = malloc(cells * sizeof *F);
    double *E = malloc((size_t)P * sizeof *E);
    double *qf = malloc((size_t)n * sizeof *qf);
    if (!s || !F || !E || !qf) {
        free(s);
        free(F);
        free(E);
        free(qf);
        ising_free(&is);
        qubo_result_free(r);
        return nq_err_set(err, NQ_ENOMEM, "sqa: out of memory for %d x %d spins", P, n);
    }
    nq_rng rng;
    nq_rng_seed(&rng, o->seed);
    double D = qubo_delta_scale(m, &rng);
    double T = o->sqa_temp > 0 ? o->sqa_temp : D / 2 / P;
    double PT = P * T, bPT = 1.0 / PT;
    double g_hot = o->gamma_hot > 0 ? o->gamma_hot : D;
    double g_cold = o->gamma_cold > 0 ? o->gamma_cold : D * 1e-3;

    for (int k = 0; k < P; k++) {
        signed char *sk = s + (size_t)k * n;
        for (int i = 0; i < n; i++)
            sk[i] = (nq_rng_next(&rng) >> 63) ? 1 : -1;
        for (int i = 0; i < n; i++) {
            double fi = is.h[i];
            for (size_t q = is.row[i]; q < is.row[i + 1]; q++)
                fi += is.J[q] * sk[is.col[q]];
            F[(size_t)k * n + i] = fi;
        }
        E[k] = ising_energy(&is, sk);
    }
    long sw;
    for (sw = 0; sw < sweeps; sw++) {
        double g = sweeps > 1 ? g_hot + (g_cold - g_hot) * (double)sw / (double)(sweeps - 1)
                              : g_cold;
        double jperp = -0.5 * PT * log(tanh(g / PT));
        for (int k = 0; k < P; k++) {
            signed char *sk = s + (size_t)k * n;
            const signed char *up = s + (size_t)((k + 1) % P) * n;
            const signed char *dn = s + (size_t)((k + P - 1) % P) * n;
            double *Fk = F + (size_t)k * n;
            for (int i = 0; i < n; i++) {
                double dcl = -2.0 * sk[i] * Fk[i];
                double d = dcl + 2.0 * jperp * sk[i] * (up[i] + dn[i]);
                if (d <= 0 || nq_rng_double(&rng) < exp(-d * bPT)) {
                    double ds = -2.0 * sk[i];
                    sk[i] = (signed char)-sk[i];
                    for (size_t q = is.row[i]; q < is.row[i + 1]; q++)
                        Fk[is.col[q]] += is.J[q] * ds;
                    E[k] += dcl;
                }
            }
        }
        int bk = 0;
        for (int k = 1; k < P; k++)
            if (E[k] < E[bk])
                bk = k;
        if (E[bk] < r->energy - 1e-9) {
            r->energy = E[bk];
            const signed char *sb = s + (size_t)bk * n;
            for (int i = 0; i < n; i++)
                r->x[i] = sb[i] > 0;
            r->seconds_to_best = qubo_now() - t0;
            if (o->has_target && r->energy <= o->target)
                break;
        }
        if ((sw & 7) == 7 && qubo_should_stop(o))
            break;
    }
    r->iterations = (uint64_t)(sw < sweeps ? sw + 1 : sweeps) * cells;
    double eb = qubo_fields_init(m, r->x, qf);
    qubo_descend(m, r->x, qf, &eb);
    r->energy = qubo_energy(m, r->x);
    r->runs = 1;
    r->seconds = qubo_now() - t0;
    free(s);
    free(F);
    free(E);
    free(qf);
    ising_free(&is);
    return 0;
}
