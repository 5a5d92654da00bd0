/*
 * tfim_pimc.h — the transverse-field Ising chain (tfim.h) for large N by path-integral Monte
 * Carlo: the Suzuki-Trotter mapping to a classical two-dimensional Ising model, sampled by
 * Metropolis and Wolff cluster moves, with the transverse field annealed from large to the
 * target (tfim_schedule.h) before the energy is measured with a binning error bar.
 *
 * The mapping. With P slices of imaginary time dtau = beta / P,
 *     Z = Tr e^{-beta H} ~= Tr (e^{dtau h sum X} e^{dtau J sum ZZ})^P
 * and for one spin <s'| e^{x X} |s> = cosh x (s' = s) or sinh x (s' != s) = C e^{K s s'} with
 *     C^2 = sinh x cosh x,  e^{-2K} = tanh x,  K = -1/2 ln tanh(dtau |h|) > 0,   x = dtau |h|.
 * So Z is, up to C^{NP}, the partition function of P coupled copies s_{k,i} of the chain with
 * the weight exp(Kx sum_k sum_<ij> s_{k,i} s_{k,j} + K sum_k sum_i s_{k,i} s_{k+1,i}),
 * Kx = dtau J (space) and K (imaginary time, periodic: s_{P+1} = s_1). As an energy, with the
 * classical energy (1/P) sum_k H(s_k) - J_perp sum s_{k,i} s_{k+1,i} at inverse temperature beta,
 * J_perp = K / beta = -(1/(2 beta)) ln tanh(beta |h| / P); at the slice temperature P / beta (as
 * in qubo_sqa.c) it is K / dtau. The code uses the dimensionless K. K > 0 for every h != 0: the
 * imaginary-time coupling is ferromagnetic, and it grows without bound as dtau h -> 0. The sign
 * of h does not matter (Z_i on every spin maps h to -h), so |h| is used; J may have either sign.
 *
 * The estimator (thermodynamic): E = -d ln Z / d beta at fixed P gives, per configuration,
 *     E = -(J / P) Sx - |h| [ N coth(2x) - csch(2x) St / P ]
 * with Sx = sum_k sum_<ij> s_{k,i} s_{k,j} (the bonds of every slice) and St = sum_k sum_i
 * s_{k,i} s_{k+1,i}: the first term is <-J sum ZZ>, the second <-h sum X> (a link with
 * s = s' contributes tanh x, a kink coth x: the matrix elements of X e^{xX} over e^{xX}).
 * Its mean is the exact energy of the Trotterized model; the Trotter error is O(dtau^2) and,
 * for the periodic chain, known in closed form (tfim_trotter_energy_formula, below).
 *
 * The moves. A sweep is one Metropolis pass over all N P spins (sequential; acceptance
 * min(1, e^{-2 s (Kx a + K b)}) with a, b the sums of the space and time neighbours, from a
 * 5 x 5 table of 64-bit thresholds) followed by Wolff clusters until the clusters have flipped
 * at least N P spins: a cluster grows from a random spin over satisfied bonds (space bonds
 * with probability 1 - e^{-2|Kx|}, time bonds 1 - e^{-2K}) and is flipped whole. The clusters
 * remove critical slowing down along imaginary time, where Metropolis alone needs O(P^2)
 * sweeps to move a domain wall.
 *
 * The run. Spins start random (the state of a large field). The field is annealed from g0 to
 * |h| over anneal_sweeps with the given schedule (default linear from 4 max(|J|, |h|)), then
 * equilibrate sweeps at |h| are discarded, then every one of `sweeps` sweeps records E. The
 * error bar is from binning: the series is averaged in blocks of 1, 2, 4, ... while at least
 * 32 blocks remain, and the largest of the standard errors of the block means is reported
 * (it rises with the block size until the blocks are longer than the autocorrelation time).
 *
 * Defaults: beta = 16 / max(|J|, |h|), dtau = 0.05 / max(|J|, |h|) (P = 320). At J = h = 1 the
 * Trotter error is then -0.17 % of E0 and the thermal error below 0.1 % for every N (see
 * docs/quantum.md for the measurements). Deterministic for a seed. Memory: 9 N P bytes plus
 * 8 bytes per recorded sweep, checked against a budget before allocating.
 */
#ifndef NQ_QUANTUM_TFIM_PIMC_H
#define NQ_QUANTUM_TFIM_PIMC_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "tfim.h"
#include "tfim_schedule.h"

#define TFIM_PIMC_MAX_SPINS (1 << 20)
#define TFIM_PIMC_MAX_SLICES (1 << 20)

typedef struct tfim_pimc_options {
    double beta;            /* inverse temperature; 0 = 16 / max(|J|, |h|) */
    int slices;             /* Trotter slices P >= 2; 0 = ceil(beta max(|J|,|h|) / 0.05) */
    long anneal_sweeps;     /* field annealed from the schedule's g0 to |h|; < 0 = none, 0 = 200 */
    long equilibrate;       /* sweeps at |h| discarded before measuring; < 0 = none, 0 = 100 */
    long sweeps;            /* recorded sweeps; 0 = 2000 */
    int metropolis;         /* Metropolis passes per sweep; < 0 = none, 0 = 1 */
    int no_cluster;         /* 1: Metropolis only (for tests; slow at small dtau) */
    int has_schedule;       /* 0: linear from 4 max(|J|, |h|) to |h| */
    tfim_schedule schedule; /* g1 is replaced by |h| (the annealing ends at the target) */
    uint64_t seed;
    size_t budget;          /* bytes; 0 = 1 GiB */
} tfim_pimc_options;

typedef struct tfim_pimc_result {
    double energy, error;   /* <H> and its standard error (binning) */
    double energy_zz;       /* <-J sum ZZ> */
    double energy_x;        /* <-h sum X> */
    double error_naive;     /* standard error as if the samples were independent */
    double tau_int;         /* integrated autocorrelation time, (error / error_naive)^2 / 2 */
    int bin_levels;         /* binning levels used */
    double magnetization;   /* <|sum s| / (N P)> */
    double beta, dtau;
    int slices;
    long sweeps;            /* recorded */
    double accept;          /* Metropolis acceptance rate (recorded sweeps) */
    double mean_cluster;    /* mean Wolff cluster size (recorded sweeps) */
    uint64_t bytes;         /* memory used */
} tfim_pimc_result;

/* Run the path-integral Monte Carlo. p->n >= 2 (up to TFIM_PIMC_MAX_SPINS), h != 0 (h = 0 is
 * the classical chain). NQ_EINVAL for bad parameters, NQ_ETOOBIG past the budget, NQ_ENOMEM. */
int tfim_pimc_run(const tfim_params *p, const tfim_pimc_options *o, tfim_pimc_result *r,
                  nq_err *err);

/* Richardson extrapolation in the Trotter step: the same run at P slices (seed) and at 2P
 * (seed + 1), same beta, combined as E = (4 E_2P - E_P) / 3, which cancels the dtau^2 term of
 * the Trotter error (what is left is O(dtau^4): at J = h = 1 and N = 64, dtau = 0.05 with
 * 0.025 leaves -0.0001 % of E0 by the closed form, against -0.17 % and -0.04 % for the two
 * runs; dtau = 0.2 with 0.1 leaves -0.02 %). The error
 * bar is sqrt(16 err_2P^2 + err_P^2) / 3 (independent runs): about 1.4 times the fine run's.
 * Costs three times one run at P. */
typedef struct tfim_pimc_extrapolation {
    double energy, error;   /* extrapolated */
    tfim_pimc_result coarse, fine; /* the runs at P and 2P */
} tfim_pimc_extrapolation;

int tfim_pimc_extrapolate(const tfim_params *p, const tfim_pimc_options *o,
                          tfim_pimc_extrapolation *r, nq_err *err);

/* The ground-state energy of the Trotterized chain (what the run converges to as beta -> inf
 * at fixed dtau), periodic, even N, J, h >= 0, dtau > 0: with a = 2 dtau h, b = 2 dtau J and
 * cosh g_k = cosh a cosh b - sinh a sinh b cos k, k = (2m - 1) pi / N, the transfer matrix's
 * largest eigenvalue is exp(sum_k g_k / 2) (Kaufman's solution of the 2D Ising model) and
 * E = -1/2 sum_k dg_k/d dtau. It tends to tfim_energy_formula as dtau -> 0. NQ_EINVAL
 * otherwise. */
int tfim_trotter_energy_formula(int n, double J, double h, double dtau, double *e);

#endif
