/*
 * neuro_plasticity.h — rate-based plasticity rules: Hebbian with decay, Oja's rule, BCM with a
 * sliding threshold, and competitive (winner-take-all) learning.
 *
 * All rules act on caller-owned weight vectors; x is the presynaptic activity (input vector),
 * y the postsynaptic activity. docs/neuromorphic.md, "Rate-based plasticity and associative
 * memory", gives the equations and what test_{hebb,oja,bcm,competitive}.c prove.
 *
 *   Hebbian with decay   dw = eta x y - lambda w
 *       Correlated activity strengthens a connection, and every connection forgets at rate
 *       lambda, so w tracks eta <x y> / lambda: what is used together, recently and often.
 *       neuro_hebb_dw is the scalar rule for code that keeps its own (sparse) graph, e.g. the
 *       database's workload memory.
 *   Oja (1982)           y = w.x,  dw = eta y (x - y w)
 *       Hebbian learning with a normalising decay: for zero-mean inputs and small eta, w
 *       converges to the unit principal eigenvector of the input covariance (up to sign).
 *   BCM (Bienenstock, Cooper & Munro 1982; Intrator & Cooper 1992 form)
 *       y = max(0, w.x),  dw = eta x y (y - theta),  theta <- theta + (y^2 - theta) / tau_theta
 *       Above the sliding threshold theta (a running mean of y^2) activity potentiates, below
 *       it depresses; the neuron becomes selective to one of its input patterns. Weights are
 *       kept >= 0.
 *   Competitive learning (winner-take-all)
 *       the prototype nearest to x (squared Euclidean distance, lowest index on ties) moves
 *       towards it, w_win += eta (x - w_win); the others are unchanged (the anti-Hebbian
 *       lateral inhibition of the winner on the losers, in its hard limit). The prototypes
 *       converge to centres of the clusters of the input distribution (online k-means).
 */
#ifndef NQ_NEURO_PLASTICITY_H
#define NQ_NEURO_PLASTICITY_H

#include <stddef.h>

/* Hebbian with decay for one connection: eta x y - lambda w. */
double neuro_hebb_dw(double eta, double x, double y, double lambda, double w);
/* The same for the weights of one neuron: w[i] += eta x[i] y - lambda w[i], i < n. */
void neuro_hebb_step(double *w, const double *x, size_t n, double y, double eta, double lambda);

/* Oja's rule for one linear neuron; returns y = w.x (computed before the update). */
double neuro_oja_step(double *w, const double *x, size_t n, double eta);

/* BCM for one rectified linear neuron; *theta is the sliding threshold (updated after the
 * weights), tau_theta >= 1 (steps). Returns y. */
double neuro_bcm_step(double *w, const double *x, size_t n, double *theta, double eta,
                      double tau_theta);

/* Competitive learning: protos is k x n (row-major). The index of the prototype nearest to x. */
size_t neuro_competitive_winner(const double *protos, size_t k, size_t n, const double *x);
/* Move the winner towards x by eta; returns its index. */
size_t neuro_competitive_step(double *protos, size_t k, size_t n, const double *x, double eta);

#endif
