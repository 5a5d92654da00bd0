/*
 * mldsa_poly.c — arithmetic in R_q = Z_q[X]/(X^256 + 1), q = 8380417, for ML-DSA (FIPS 204):
 * reductions, the number-theoretic transform (Algorithms 41, 42), pointwise products, and the
 * rounding functions Power2Round, Decompose, MakeHint, UseHint (Algorithms 35–40) plus the
 * infinity-norm test used by signing and verification.
 *
 * Montgomery arithmetic (R = 2^32): a·b·R^-1 mod q costs two multiplications and a shift and
 * has no data-dependent branch. The table zetas[k] = ζ^BitRev8(k)·R mod q (ζ = 1753, the
 * 512th root of unity of the standard), centered, was generated from that formula;
 * tests/unit/crypto/test_mldsa.c checks NTT-based multiplication against the schoolbook
 * negacyclic product, which no wrong entry or scale survives.
 *
 * Constant time: everything here that signing applies to secret-dependent values — reduce,
 * NTT, products, Power2Round, Decompose, MakeHint, the norm test — is straight-line integer
 * code: comparisons are made with sign bits and masks, divisions by the constant 2γ2 with a
 * multiply and shift (a hardware divide can take data-dependent time). UseHint runs in
 * verification only, on public data, and is written plainly.
 */
#include "mldsa_internal.h"

#define QINV 58728449         /* q^-1 mod 2^32 */
#define F_INV256 41978        /* R^2 / 256 mod q: the inverse NTT's scale, with R restored */
#define GAMMA2_88 ((MLDSA_Q - 1) / 88)
#define GAMMA2_32 ((MLDSA_Q - 1) / 32)
/* ceil(2^48 / 2γ2): Decompose divides by the constant 2γ2 with a multiply and a shift */
#define M_88 ((((uint64_t)1 << 48) + 2 * GAMMA2_88 - 1) / (2 * GAMMA2_88))
#define M_32 ((((uint64_t)1 << 48) + 2 * GAMMA2_32 - 1) / (2 * GAMMA2_32))

static const int32_t zetas[MLDSA_N] = {
    -4186625, 25847, -2608894, -518909, 237124, -777960, -876248, 466468,
    1826347, 2353451, -359251, -2091905, 3119733, -2884855, 3111497, 2680103,
    2725464, 1024112, -1079900, 3585928, -549488, -1119584, 2619752, -2108549,
    -2118186, -3859737, -1399561, -3277672, 1757237, -19422, 4010497, 280005,
    2706023, 95776, 3077325, 3530437, -1661693, -3592148, -2537516, 3915439,
    -3861115, -3043716, 3574422, -2867647, 3539968, -300467, 2348700, -539299,
    -1699267, -1643818, 3505694, -3821735, 3507263, -2140649, -1600420, 3699596,
    811944, 531354, 954230, 3881043, 3900724, -2556880, 2071892, -2797779,
    -3930395, -1528703, -3677745, -3041255, -1452451, 3475950, 2176455, -1585221,
    -1257611, 1939314, -4083598, -1000202, -3190144, -3157330, -3632928, 126922,
    3412210, -983419, 2147896, 2715295, -2967645, -3693493, -411027, -2477047,
    -671102, -1228525, -22981, -1308169, -381987, 1349076, 1852771, -1430430,
    -3343383, 264944, 508951, 3097992, 44288, -1100098, 904516, 3958618,
    -3724342, -8578, 1653064, -3249728, 2389356, -210977, 759969, -1316856,
    189548, -3553272, 3159746, -1851402, -2409325, -177440, 1315589, 1341330,
    1285669, -1584928, -812732, -1439742, -3019102, -3881060, -3628969, 3839961,
    2091667, 3407706, 2316500, 3817976, -3342478, 2244091, -2446433, -3562462,
    266997, 2434439, -1235728, 3513181, -3520352, -3759364, -1197226, -3193378,
    900702, 1859098, 909542, 819034, 495491, -1613174, -43260, -522500,
    -655327, -3122442, 2031748, 3207046, -3556995, -525098, -768622, -3595838,
    342297, 286988, -2437823, 4108315, 3437287, -3342277, 1735879, 203044,
    2842341, 2691481, -2590150, 1265009, 4055324, 1247620, 2486353, 1595974,
    -3767016, 1250494, 2635921, -3548272, -2994039, 1869119, 1903435, -1050970,
    -1333058, 1237275, -3318210, -1430225, -451100, 1312455, 3306115, -1962642,
    -1279661, 1917081, -2546312, -1374803, 1500165, 777191, 2235880, 3406031,
    -542412, -2831860, -1671176, -1846953, -2584293, -3724270, 594136, -3776993,
    -2013608, 2432395, 2454455, -164721, 1957272, 3369112, 185531, -1207385,
    -3183426, 162844, 1616392, 3014001, 810149, 1652634, -3694233, -1799107,
    -3038916, 3523897, 3866901, 269760, 2213111, -975884, 1717735, 472078,
    -426683, 1723600, -1803090, 1910376, -1667432, -1104333, -260646, -3833893,
    -2939036, -2235985, -420899, -2286327, 183443, -976891, 1612842, -3545687,
    -554416, 3919660, -48306, -1362209, 3937738, 1400424, -846154, 1976782,
};

int32_t mldsa_montgomery_reduce(int64_t a)
{
    int32_t t = (int32_t)((uint32_t)(uint64_t)a * (uint32_t)QINV);
    return (int32_t)((a - (int64_t)t * MLDSA_Q) >> 32);
}

int32_t mldsa_reduce32(int32_t a)
{
    int32_t t = (a + (1 << 22)) >> 23;
    return a - t * MLDSA_Q;
}

int32_t mldsa_freeze(int32_t a)
{
    a = mldsa_reduce32(a);
    return a + ((a >> 31) & MLDSA_Q);
}

void mldsa_ntt(mldsa_poly *a)
{
    int m = 0;
    for (int len = 128; len >= 1; len >>= 1) {
        for (int start = 0; start < MLDSA_N; start += 2 * len) {
            int64_t z = zetas[++m];
            for (int j = start; j < start + len; j++) {
                int32_t t = mldsa_montgomery_reduce(z * a->c[j + len]);
                a->c[j + len] = a->c[j] - t;
                a->c[j] = a->c[j] + t;
            }
        }
    }
}

void mldsa_invntt_tomont(mldsa_poly *a)
{
    int m = MLDSA_N;
    /* Bounds: after the first reduce32 every |a| < q; a Montgomery product is < q again, a
     * sum at most doubles. The sums are reduced once more in the layer len = 16, so no value
     * reaches 32q (< 2^29) anywhere, and the products stay far below 2^31·q. */
    for (int i = 0; i < MLDSA_N; i++)
        a->c[i] = mldsa_reduce32(a->c[i]);
    for (int len = 1; len < MLDSA_N; len <<= 1) {
        for (int start = 0; start < MLDSA_N; start += 2 * len) {
            int64_t z = -(int64_t)zetas[--m];
            for (int j = start; j < start + len; j++) {
                int32_t t = a->c[j];
                a->c[j] = t + a->c[j + len];
                if (len == 16) /* public loop variable */
                    a->c[j] = mldsa_reduce32(a->c[j]);
                a->c[j + len] = mldsa_montgomery_reduce(z * (t - a->c[j + len]));
            }
        }
    }
    for (int j = 0; j < MLDSA_N; j++)
        a->c[j] = mldsa_montgomery_reduce((int64_t)F_INV256 * a->c[j]);
}

void mldsa_poly_pointwise(mldsa_poly *c, const mldsa_poly *a, const mldsa_poly *b)
{
    for (int i = 0; i < MLDSA_N; i++)
        c->c[i] = mldsa_montgomery_reduce((int64_t)a->c[i] * b->c[i]);
}

void mldsa_poly_pointwise_acc(mldsa_poly *c, const mldsa_poly *a, const mldsa_poly *b)
{
    for (int i = 0; i < MLDSA_N; i++)
        c->c[i] = mldsa_reduce32(c->c[i] + mldsa_montgomery_reduce((int64_t)a->c[i] * b->c[i]));
}

void mldsa_poly_dot(mldsa_poly *c, const mldsa_poly *a, const mldsa_poly *b, int n)
{
    for (int i = 0; i < MLDSA_N; i++) {
        int64_t acc = 0;
        for (int j = 0; j < n; j++)
            acc += (int64_t)a[j].c[i] * b[j].c[i];
        c->c[i] = mldsa_montgomery_reduce(acc);
    }
}

void mldsa_poly_add(mldsa_poly *c, const mldsa_poly *a, const mldsa_poly *b)
{
    for (int i = 0; i < MLDSA_N; i++)
        c->c[i] = a->c[i] + b->c[i];
}

void mldsa_poly_sub(mldsa_poly *c, const mldsa_poly *a, const mldsa_poly *b)
{
    for (int i = 0; i < MLDSA_N; i++)
        c->c[i] = a->c[i] - b->c[i];
}

void mldsa_poly_reduce(mldsa_poly *a)
{
    for (int i = 0; i < MLDSA_N; i++)
        a->c[i] = mldsa_reduce32(a->c[i]);
}

void mldsa_poly_freeze(mldsa_poly *a)
{
    for (int i = 0; i < MLDSA_N; i++)
        a->c[i] = mldsa_freeze(a->c[i]);
}

void mldsa_power2round(int32_t r, int32_t *r1, int32_t *r0)
{
    /* r1 = ceil((r − 2^12) / 2^13) makes r0 = r − r1·2^13 fall in (−2^12, 2^12] */
    int32_t h = (r + (1 << (MLDSA_D - 1)) - 1) >> MLDSA_D;
    *r1 = h;
    *r0 = r - (h << MLDSA_D);
}

void mldsa_decompose(int32_t gamma2, int32_t r, int32_t *r1, int32_t *r0)
{
    uint32_t m2 = 2u * (uint32_t)gamma2;
    /* floor(x / m2) = (x·M) >> 48 with M = ceil(2^48 / m2), exact for x < 2^24 */
    uint64_t M = gamma2 == GAMMA2_88 ? M_88 : M_32; /* γ2 is public */
    /* r1 = ceil((r − γ2) / 2γ2) puts r0 = r − r1·2γ2 in (−γ2, γ2] (r0 = r mod± 2γ2) */
    uint32_t x = (uint32_t)r + (uint32_t)gamma2 - 1;
    int32_t h = (int32_t)(((uint64_t)x * M) >> 48);
    int32_t l = r - h * (int32_t)m2;
    /* r − r0 = q − 1 (h = (q−1)/2γ2): FIPS 204 sets r1 = 0 and r0 = r0 − 1 */
    int32_t top = (int32_t)((MLDSA_Q - 1) / m2);
    uint32_t eq = ((uint32_t)(h ^ top) - 1u) >> 31; /* 1 when h == top (h, top >= 0) */
    int32_t mask = -(int32_t)eq;
    *r1 = h & ~mask;
    *r0 = l - (int32_t)eq;
}

int32_t mldsa_make_hint(int32_t gamma2, int32_t a, int32_t b)
{
    int32_t a1, a0, b1, b0;
    mldsa_decompose(gamma2, a, &a1, &a0);
    mldsa_decompose(gamma2, b, &b1, &b0);
    uint32_t d = (uint32_t)(a1 ^ b1);
    return (int32_t)((d | (0u - d)) >> 31);
}

int32_t mldsa_use_hint(int32_t gamma2, int32_t r, int32_t h)
{
    int32_t m = (MLDSA_Q - 1) / (2 * gamma2);
    int32_t r1, r0;
    mldsa_decompose(gamma2, r, &r1, &r0);
    if (!h)
        return r1;
    if (r0 > 0)
        return r1 + 1 == m ? 0 : r1 + 1;
    return r1 == 0 ? m - 1 : r1 - 1;
}

uint32_t mldsa_poly_exceeds(const mldsa_poly *a, int32_t bound)
{
    uint32_t flag = 0;
    for (int i = 0; i < MLDSA_N; i++) {
        int32_t t = mldsa_freeze(a->c[i]);
        t -= (int32_t)(0u - mldsa_ct_isneg((MLDSA_Q - 1) / 2 - t)) & MLDSA_Q; /* centered */
        int32_t s = t >> 31;
        t = (t ^ s) - s;                                                    /* |t| */
        flag |= mldsa_ct_isneg(bound - 1 - t);                              /* |t| >= bound */
    }
    return flag;
}
