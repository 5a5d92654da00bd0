/*
 * mlkem_ntt.c — the number-theoretic transform of ML-KEM (FIPS 203 §4.3, Algorithms 9-12).
 *
 * q = 3329 has 256th roots of unity but no 512th, so X^256 + 1 splits only into 128 quadratic
 * factors X^2 - zeta^(2 BitRev7(i) + 1) with zeta = 17: the "NTT" is seven layers of
 * Cooley-Tukey butterflies (not eight), and a product in the NTT domain is 128 products of
 * degree-one polynomials modulo those quadratics (BaseCaseMultiply).
 *
 * The two tables are the powers 17^BitRev7(i) and 17^(2 BitRev7(i) + 1) mod q, i = 0..127,
 * computed once with modular exponentiation and written out here (read-only). Loop bounds and
 * table indices depend only on positions, never on coefficients; the arithmetic is the
 * branch-free field operations of mlkem_internal.h.
 */
#include "crypto/mlkem_internal.h"

static const uint16_t mlkem_zetas[128] = {
    1, 1729, 2580, 3289, 2642, 630, 1897, 848, 1062, 1919, 193, 797, 2786, 3260, 569, 1746,
    296, 2447, 1339, 1476, 3046, 56, 2240, 1333, 1426, 2094, 535, 2882, 2393, 2879, 1974, 821,
    289, 331, 3253, 1756, 1197, 2304, 2277, 2055, 650, 1977, 2513, 632, 2865, 33, 1320, 1915,
    2319, 1435, 807, 452, 1438, 2868, 1534, 2402, 2647, 2617, 1481, 648, 2474, 3110, 1227, 910,
    17, 2761, 583, 2649, 1637, 723, 2288, 1100, 1409, 2662, 3281, 233, 756, 2156, 3015, 3050,
    1703, 1651, 2789, 1789, 1847, 952, 1461, 2687, 939, 2308, 2437, 2388, 733, 2337, 268, 641,
    1584, 2298, 2037, 3220, 375, 2549, 2090, 1645, 1063, 319, 2773, 757, 2099, 561, 2466, 2594,
    2804, 1092, 403, 1026, 1143, 2150, 2775, 886, 1722, 1212, 1874, 1029, 2110, 2935, 885, 2154,
};

static const uint16_t mlkem_gammas[128] = {
    17, 3312, 2761, 568, 583, 2746, 2649, 680, 1637, 1692, 723, 2606, 2288, 1041, 1100, 2229,
    1409, 1920, 2662, 667, 3281, 48, 233, 3096, 756, 2573, 2156, 1173, 3015, 314, 3050, 279,
    1703, 1626, 1651, 1678, 2789, 540, 1789, 1540, 1847, 1482, 952, 2377, 1461, 1868, 2687, 642,
    939, 2390, 2308, 1021, 2437, 892, 2388, 941, 733, 2596, 2337, 992, 268, 3061, 641, 2688,
    1584, 1745, 2298, 1031, 2037, 1292, 3220, 109, 375, 2954, 2549, 780, 2090, 1239, 1645, 1684,
    1063, 2266, 319, 3010, 2773, 556, 757, 2572, 2099, 1230, 561, 2768, 2466, 863, 2594, 735,
    2804, 525, 1092, 2237, 403, 2926, 1026, 2303, 1143, 2186, 2150, 1179, 2775, 554, 886, 2443,
    1722, 1607, 1212, 2117, 1874, 1455, 1029, 2300, 2110, 1219, 2935, 394, 885, 2444, 2154, 1175,
};

/* 128^-1 mod q: the scaling of the inverse transform (seven layers of halving, 2^7). */
#define MLKEM_INV128 3303

void mlkem_ntt(mlkem_poly *f)
{
    uint16_t *a = f->c;
    int i = 1;
    for (int len = 128; len >= 2; len >>= 1) {
        for (int start = 0; start < MLKEM_N; start += 2 * len) {
            uint16_t zeta = mlkem_zetas[i++];
            for (int j = start; j < start + len; j++) {
                uint16_t t = mlkem_mul(zeta, a[j + len]);
                a[j + len] = mlkem_sub(a[j], t);
                a[j] = mlkem_add(a[j], t);
            }
        }
    }
}

void mlkem_ntt_inv(mlkem_poly *f)
{
    uint16_t *a = f->c;
    int i = 127;
    for (int len = 2; len <= 128; len <<= 1) {
        for (int start = 0; start < MLKEM_N; start += 2 * len) {
            uint16_t zeta = mlkem_zetas[i--];
            for (int j = start; j < start + len; j++) {
                uint16_t t = a[j];
                a[j] = mlkem_add(t, a[j + len]);
                a[j + len] = mlkem_mul(zeta, mlkem_sub(a[j + len], t));
            }
        }
    }
    for (int j = 0; j < MLKEM_N; j++)
        a[j] = mlkem_mul(a[j], MLKEM_INV128);
}

/* (a0 + a1 X)(b0 + b1 X) mod (X^2 - gamma), Algorithm 12. The sums of products stay below
 * 2 q^2 < 2^28, so each output coefficient needs one reduction. */
static inline void basemul(uint16_t c[2], const uint16_t a[2], const uint16_t b[2], uint16_t gamma)
{
    uint32_t a1b1 = mlkem_mul(a[1], b[1]);
    c[0] = mlkem_reduce((uint32_t)a[0] * b[0] + a1b1 * gamma);
    c[1] = mlkem_reduce((uint32_t)a[0] * b[1] + (uint32_t)a[1] * b[0]);
}

void mlkem_ntt_mul(mlkem_poly *h, const mlkem_poly *f, const mlkem_poly *g)
{
    for (int i = 0; i < 128; i++)
        basemul(&h->c[2 * i], &f->c[2 * i], &g->c[2 * i], mlkem_gammas[i]);
}

void mlkem_ntt_mul_acc(mlkem_poly *h, const mlkem_poly *f, const mlkem_poly *g)
{
    for (int i = 0; i < 128; i++) {
        uint16_t t[2];
        basemul(t, &f->c[2 * i], &g->c[2 * i], mlkem_gammas[i]);
        h->c[2 * i] = mlkem_add(h->c[2 * i], t[0]);
        h->c[2 * i + 1] = mlkem_add(h->c[2 * i + 1], t[1]);
    }
}
