/*
 * statevec_kern.h — the inner loops of the state-vector simulator, written once and
 * instantiated twice by statevec.c: with SV_T = double and with SV_T = float (SV_NAME adds
 * the suffix). There is deliberately no include guard.
 *
 * Loop shape. A gate on qubit q pairs amplitude i0 (bit q clear) with i1 = i0 + 2^q. The
 * state splits into blocks of 2^(q+1) amplitudes; in each block the first half pairs with the
 * second half element by element. So the inner loop walks two unit-stride runs of length 2^q
 * (the real and imaginary arrays of both halves) with no index arithmetic and no branches,
 * which gcc and clang vectorise at -O2/-O3 (the runs are separate restrict parameters of small
 * helpers so no alias checks are needed). Every amplitude is read once and written once per
 * gate, in address order, so a gate streams through memory like a copy. For q < 3 the runs
 * are shorter than 8: there the state is walked in 16-byte vectors (GCC/Clang vector
 * extensions, SV_VEC: SSE2 on baseline x86-64, NEON on ARM64) — whole vectors 2^q apart when
 * 2^q is at least the vector's width, else each lane given its partner by a constant shuffle,
 * see kv_apply1. Without the extensions a flat loop over the pairs is used. Controls that are above the target are constant within a run and are tested
 * once per block; controls below the target are tested per element (for q < 3: per lane, by a
 * blend).
 */

#ifdef SV_VEC
/* One 16-byte vector (SSE2 on baseline x86-64, NEON on ARM64; GCC and Clang lower it to scalar
 * code on targets without one): SV_VL (set by the includer) = 2 doubles or 4 floats, and a
 * lane mask of its size.
 * Wider generic vectors were tried first (8 lanes, 64 bytes for double): without AVX-512 gcc
 * lowers their shuffles through memory and the kernels ran 10x slower than the scalar loop. */
typedef SV_T SV_NAME(vt) __attribute__((vector_size(16)));
typedef SV_I SV_NAME(mt) __attribute__((vector_size(16)));

static inline SV_NAME(vt) SV_NAME(vload)(const SV_T *p)
{
    SV_NAME(vt) v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void SV_NAME(vstore)(SV_T *p, SV_NAME(vt) v) { memcpy(p, &v, sizeof v); }

/* sel ? a : b, lane by lane (the lanes of sel are all ones or all zeros). */
static inline SV_NAME(vt) SV_NAME(vblend)(SV_NAME(mt) sel, SV_NAME(vt) a, SV_NAME(vt) b)
{
    return (SV_NAME(vt))(((SV_NAME(mt))a & sel) | ((SV_NAME(mt))b & ~sel));
}

/* Lane masks of the 8 / SV_VL vectors of a group of 8 amplitudes: lane l of vector v is on
 * when the index v SV_VL + l has every bit of low (a mask within bits 0..2) set; any[v] says
 * whether vector v has a lane on (a vector with none is skipped). */
static void SV_NAME(group_lanes)(SV_NAME(mt) *sel, int *any, uint64_t low)
{
    for (int v = 0; v < 8 / SV_VL; v++) {
        any[v] = 0;
        for (int l = 0; l < SV_VL; l++) {
            int on = ((uint64_t)(v * SV_VL + l) & low) == low;
            sel[v][l] = on ? (SV_I)-1 : 0;
            any[v] |= on;
        }
    }
}

/* The shuffles that give each lane of a vector its pair's member with bit q clear (LO) and
 * set (HI), and its partner (FLIP), for the targets q below log2(SV_VL). */
#if SV_VL == 2
#define SV_CASES(BODY) BODY((0, 0), (1, 1), (1, 0))
#else
#define SV_CASES(BODY)                                                                       \
    if (q == 0) {                                                                            \
        BODY((0, 0, 2, 2), (1, 1, 3, 3), (1, 0, 3, 2))                                       \
    } else {                                                                                 \
        BODY((0, 1, 0, 1), (2, 3, 2, 3), (2, 3, 0, 1))                                       \
    }
#endif

/* One-qubit matrix on q < 3 under cmask (0 = none; bit q not in it), dim >= 8.
 * 2^q >= SV_VL: the pair's members are in two vectors 2^q apart: the 2 x 2 update of the run
 * kernel on whole vectors. 2^q < SV_VL: both members are in one vector; lane l's new value is
 * c0 lo + c1 hi with lo, hi shuffles of the vector and (c0, c1) = (m0, m1) or (m2, m3) as bit
 * q of l is clear or set. Either way the products are summed in the order of the scalar loop,
 * so the result is the same to the bit (tested). Controls above bit 2 are tested per vector,
 * controls in bits 0..2 select lanes by a blend. */
static void SV_NAME(kv_apply1)(SV_T *re, SV_T *im, uint64_t dim, int q, uint64_t cmask,
                               const double *m)
{
    const SV_T m0r = (SV_T)m[0], m0i = (SV_T)m[1], m1r = (SV_T)m[2], m1i = (SV_T)m[3];
    const SV_T m2r = (SV_T)m[4], m2i = (SV_T)m[5], m3r = (SV_T)m[6], m3i = (SV_T)m[7];
    const uint64_t s = (uint64_t)1 << q, hi = cmask & ~(uint64_t)7, low = cmask & 7;
    SV_NAME(mt) sel[8 / SV_VL];
    int any[8 / SV_VL];
    SV_NAME(group_lanes)(sel, any, low);
    if (s >= (uint64_t)SV_VL) {
        for (uint64_t base = 0; base < dim; base += 2 * s) {
            if ((base & hi) != hi)
                continue;
            for (uint64_t j = base; j < base + s; j += SV_VL) {
                int v0 = (int)(j & 7) / SV_VL, v1 = (int)((j + s) & 7) / SV_VL;
                if (!any[v0])
                    continue;
                SV_NAME(vt) ar = SV_NAME(vload)(re + j), ai = SV_NAME(vload)(im + j);
                SV_NAME(vt) br = SV_NAME(vload)(re + j + s), bi = SV_NAME(vload)(im + j + s);
                SV_NAME(vt) nar = m0r * ar - m0i * ai + m1r * br - m1i * bi;
                SV_NAME(vt) nai = m0r * ai + m0i * ar + m1r * bi + m1i * br;
                SV_NAME(vt) nbr = m2r * ar - m2i * ai + m3r * br - m3i * bi;
                SV_NAME(vt) nbi = m2r * ai + m2i * ar + m3r * bi + m3i * br;
                if (low) {
                    nar = SV_NAME(vblend)(sel[v0], nar, ar);
                    nai = SV_NAME(vblend)(sel[v0], nai, ai);
                    nbr = SV_NAME(vblend)(sel[v1], nbr, br);
                    nbi = SV_NAME(vblend)(sel[v1], nbi, bi);
                }
                SV_NAME(vstore)(re + j, nar);
                SV_NAME(vstore)(im + j, nai);
                SV_NAME(vstore)(re + j + s, nbr);
                SV_NAME(vstore)(im + j + s, nbi);
            }
        }
        return;
    }
    SV_NAME(vt) c0r, c0i, c1r, c1i;
    for (int l = 0; l < SV_VL; l++) {
        int up = (l >> q) & 1;
        c0r[l] = up ? m2r : m0r, c0i[l] = up ? m2i : m0i;
        c1r[l] = up ? m3r : m1r, c1i[l] = up ? m3i : m1i;
    }
#define SV_BODY(LO, HI, FLIP)                                                                \
    for (uint64_t j = 0; j < dim; j += SV_VL) {                                              \
        int v = (int)(j & 7) / SV_VL;                                                        \
        if ((j & hi) != hi || !any[v])                                                       \
            continue;                                                                        \
        SV_NAME(vt) xr = SV_NAME(vload)(re + j), xi = SV_NAME(vload)(im + j);                \
        SV_NAME(vt) ar = SV_SHUF(xr, LO), ai = SV_SHUF(xi, LO);                              \
        SV_NAME(vt) br = SV_SHUF(xr, HI), bi = SV_SHUF(xi, HI);                              \
        SV_NAME(vt) nr = c0r * ar - c0i * ai + c1r * br - c1i * bi;                          \
        SV_NAME(vt) ni = c0r * ai + c0i * ar + c1r * bi + c1i * br;                          \
        if (low) {                                                                           \
            nr = SV_NAME(vblend)(sel[v], nr, xr);                                            \
            ni = SV_NAME(vblend)(sel[v], ni, xi);                                            \
        }                                                                                    \
        SV_NAME(vstore)(re + j, nr);                                                         \
        SV_NAME(vstore)(im + j, ni);                                                         \
    }
    SV_CASES(SV_BODY)
#undef SV_BODY
}

/* X on q < 3 under cmask: swap the two vectors, or each lane takes its partner by a shuffle;
 * lanes outside the controls keep their values. */
static void SV_NAME(kv_x)(SV_T *re, SV_T *im, uint64_t dim, int q, uint64_t cmask)
{
    const uint64_t s = (uint64_t)1 << q, hi = cmask & ~(uint64_t)7, low = cmask & 7;
    SV_NAME(mt) sel[8 / SV_VL];
    int any[8 / SV_VL];
    SV_NAME(group_lanes)(sel, any, low);
    if (s >= (uint64_t)SV_VL) {
        for (uint64_t base = 0; base < dim; base += 2 * s) {
            if ((base & hi) != hi)
                continue;
            for (uint64_t j = base; j < base + s; j += SV_VL) {
                int v0 = (int)(j & 7) / SV_VL, v1 = (int)((j + s) & 7) / SV_VL;
                if (!any[v0])
                    continue;
                SV_NAME(vt) ar = SV_NAME(vload)(re + j), ai = SV_NAME(vload)(im + j);
                SV_NAME(vt) br = SV_NAME(vload)(re + j + s), bi = SV_NAME(vload)(im + j + s);
                SV_NAME(vt) nar = br, nai = bi, nbr = ar, nbi = ai;
                if (low) {
                    nar = SV_NAME(vblend)(sel[v0], nar, ar);
                    nai = SV_NAME(vblend)(sel[v0], nai, ai);
                    nbr = SV_NAME(vblend)(sel[v1], nbr, br);
                    nbi = SV_NAME(vblend)(sel[v1], nbi, bi);
                }
                SV_NAME(vstore)(re + j, nar);
                SV_NAME(vstore)(im + j, nai);
                SV_NAME(vstore)(re + j + s, nbr);
                SV_NAME(vstore)(im + j + s, nbi);
            }
        }
        return;
    }
#define SV_BODY(LO, HI, FLIP)                                                                \
    for (uint64_t j = 0; j < dim; j += SV_VL) {                                              \
        int v = (int)(j & 7) / SV_VL;                                                        \
        if ((j & hi) != hi || !any[v])                                                       \
            continue;                                                                        \
        SV_NAME(vt) xr = SV_NAME(vload)(re + j), xi = SV_NAME(vload)(im + j);                \
        SV_NAME(vt) nr = SV_SHUF(xr, FLIP), ni = SV_SHUF(xi, FLIP);                          \
        if (low) {                                                                           \
            nr = SV_NAME(vblend)(sel[v], nr, xr);                                            \
            ni = SV_NAME(vblend)(sel[v], ni, xi);                                            \
        }                                                                                    \
        SV_NAME(vstore)(re + j, nr);                                                         \
        SV_NAME(vstore)(im + j, ni);                                                         \
    }
    SV_CASES(SV_BODY)
#undef SV_BODY
}

/* Phase on the amplitudes whose index has every bit of mask set, the lowest of them (q) < 3.
 * 2^q >= SV_VL: the run structure (the upper half of each block of 2^(q+1)) on whole vectors.
 * 2^q < SV_VL with no other mask bit below 3 (Z, S, T, RZ-like phases): two vectors at a time,
 * the changed lanes gathered into one vector by a two-input shuffle, multiplied and put back,
 * so no lane is computed for nothing. Otherwise: every vector, the mask's bits 0..2 selecting
 * lanes by a blend. */
static void SV_NAME(kv_phase)(SV_T *re, SV_T *im, uint64_t dim, uint64_t mask, SV_T pc, SV_T ps)
{
    const int q = __builtin_ctzll(mask);
    const uint64_t s = (uint64_t)1 << q, hi = mask & ~(uint64_t)7, rest = mask & ~s;
    SV_NAME(mt) sel[8 / SV_VL];
    int any[8 / SV_VL], full[8 / SV_VL];
    SV_NAME(group_lanes)(sel, any, mask & 7);
    for (int v = 0; v < 8 / SV_VL; v++) {
        full[v] = 1;
        for (int l = 0; l < SV_VL; l++)
            full[v] &= sel[v][l] != 0;
    }
    if (s >= (uint64_t)SV_VL) {
        for (uint64_t base = 0; base < dim; base += 2 * s) {
            if ((base & rest) != (rest & ~(s - 1)))
                continue;
            for (uint64_t j = base + s; j < base + 2 * s; j += SV_VL) {
                int v = (int)(j & 7) / SV_VL;
                if (!any[v])
                    continue;
                SV_NAME(vt) xr = SV_NAME(vload)(re + j), xi = SV_NAME(vload)(im + j);
                SV_NAME(vt) nr = pc * xr - ps * xi, ni = pc * xi + ps * xr;
                if (!full[v]) {
                    nr = SV_NAME(vblend)(sel[v], nr, xr);
                    ni = SV_NAME(vblend)(sel[v], ni, xi);
                }
                SV_NAME(vstore)(re + j, nr);
                SV_NAME(vstore)(im + j, ni);
            }
        }
        return;
    }
    if ((mask & 7) == s) {
#define SV_PAIRS(GATHER, PUT0, PUT1)                                                         \
    for (uint64_t j = 0; j < dim; j += 2 * SV_VL) {                                          \
        if ((j & hi) != hi)                                                                  \
            continue;                                                                        \
        SV_NAME(vt) ar = SV_NAME(vload)(re + j), ai = SV_NAME(vload)(im + j);                \
        SV_NAME(vt) br = SV_NAME(vload)(re + j + SV_VL), bi = SV_NAME(vload)(im + j + SV_VL); \
        SV_NAME(vt) xr = SV_SHUF2V(ar, br, GATHER), xi = SV_SHUF2V(ai, bi, GATHER);          \
        SV_NAME(vt) nr = pc * xr - ps * xi, ni = pc * xi + ps * xr;                          \
        SV_NAME(vstore)(re + j, SV_SHUF2V(ar, nr, PUT0));                                    \
        SV_NAME(vstore)(im + j, SV_SHUF2V(ai, ni, PUT0));                                    \
        SV_NAME(vstore)(re + j + SV_VL, SV_SHUF2V(br, nr, PUT1));                            \
        SV_NAME(vstore)(im + j + SV_VL, SV_SHUF2V(bi, ni, PUT1));                            \
    }
#if SV_VL == 2
        SV_PAIRS((1, 3), (0, 2), (0, 3))
#else
        if (q == 0) {
            SV_PAIRS((1, 3, 5, 7), (0, 4, 2, 5), (0, 6, 2, 7))
        } else {
            SV_PAIRS((2, 3, 6, 7), (0, 1, 4, 5), (0, 1, 6, 7))
        }
#endif
#undef SV_PAIRS
        return;
    }
    for (uint64_t j = 0; j < dim; j += SV_VL) {
        int v = (int)(j & 7) / SV_VL;
        if ((j & hi) != hi || !any[v])
            continue;
        SV_NAME(vt) xr = SV_NAME(vload)(re + j), xi = SV_NAME(vload)(im + j);
        SV_NAME(vt) nr = pc * xr - ps * xi, ni = pc * xi + ps * xr;
        SV_NAME(vstore)(re + j, SV_NAME(vblend)(sel[v], nr, xr));
        SV_NAME(vstore)(im + j, SV_NAME(vblend)(sel[v], ni, xi));
    }
}
#undef SV_CASES
#endif

/* One run of a one-qubit gate: the pairs (r0[j] + i i0[j], r1[j] + i i1[j]), j < s. The four
 * arrays never overlap; saying so with restrict on parameters lets the compiler vectorise
 * without run-time alias checks, which gcc's -O2 cost model would otherwise refuse. */
__attribute__((noinline)) static void SV_NAME(k_run1)(SV_T *restrict r0, SV_T *restrict i0, SV_T *restrict r1,
                            SV_T *restrict i1, uint64_t s, const double *m)
{
    s &= ~(uint64_t)7; /* a no-op (s is a power of two >= 8) that tells gcc's -O2 cost model
                        * the trip count is a multiple of the vector width: no epilogue */
    const SV_T m0r = (SV_T)m[0], m0i = (SV_T)m[1], m1r = (SV_T)m[2], m1i = (SV_T)m[3];
    const SV_T m2r = (SV_T)m[4], m2i = (SV_T)m[5], m3r = (SV_T)m[6], m3i = (SV_T)m[7];
    for (uint64_t j = 0; j < s; j++) {
        SV_T ar = r0[j], ai = i0[j], br = r1[j], bi = i1[j];
        r0[j] = m0r * ar - m0i * ai + m1r * br - m1i * bi;
        i0[j] = m0r * ai + m0i * ar + m1r * bi + m1i * br;
        r1[j] = m2r * ar - m2i * ai + m3r * br - m3i * bi;
        i1[j] = m2r * ai + m2i * ar + m3r * bi + m3i * br;
    }
}

static void SV_NAME(k_swaprun)(SV_T *restrict r0, SV_T *restrict i0, SV_T *restrict r1,
                               SV_T *restrict i1, uint64_t s)
{
    s &= ~(uint64_t)7; /* a no-op (s is a power of two >= 8) that tells gcc's -O2 cost model
                        * the trip count is a multiple of the vector width: no epilogue */
    for (uint64_t j = 0; j < s; j++) {
        SV_T tr = r0[j], ti = i0[j];
        r0[j] = r1[j];
        i0[j] = i1[j];
        r1[j] = tr;
        i1[j] = ti;
    }
}

static void SV_NAME(k_phaserun)(SV_T *restrict r1, SV_T *restrict i1, uint64_t s, SV_T pc, SV_T ps)
{
    s &= ~(uint64_t)7; /* a no-op (s is a power of two >= 8) that tells gcc's -O2 cost model
                        * the trip count is a multiple of the vector width: no epilogue */
    for (uint64_t j = 0; j < s; j++) {
        SV_T ar = r1[j], ai = i1[j];
        r1[j] = pc * ar - ps * ai;
        i1[j] = pc * ai + ps * ar;
    }
}

/* One-qubit matrix on qubit q, no controls. */
static void SV_NAME(k_apply1)(SV_T *re, SV_T *im, uint64_t dim, int q, const double *m)
{
    const SV_T m0r = (SV_T)m[0], m0i = (SV_T)m[1], m1r = (SV_T)m[2], m1i = (SV_T)m[3];
    const SV_T m2r = (SV_T)m[4], m2i = (SV_T)m[5], m3r = (SV_T)m[6], m3i = (SV_T)m[7];
    const uint64_t s = (uint64_t)1 << q;
#ifdef SV_VEC
    if (s < 8 && dim >= 8) {
        SV_NAME(kv_apply1)(re, im, dim, q, 0, m);
        return;
    }
#endif
    if (s < 8) {
        for (uint64_t k = 0; k < dim / 2; k++) {
            uint64_t a = ((k >> q) << (q + 1)) | (k & (s - 1)), b = a + s;
            SV_T ar = re[a], ai = im[a], br = re[b], bi = im[b];
            re[a] = m0r * ar - m0i * ai + m1r * br - m1i * bi;
            im[a] = m0r * ai + m0i * ar + m1r * bi + m1i * br;
            re[b] = m2r * ar - m2i * ai + m3r * br - m3i * bi;
            im[b] = m2r * ai + m2i * ar + m3r * bi + m3i * br;
        }
        return;
    }
    for (uint64_t base = 0; base < dim; base += 2 * s)
        SV_NAME(k_run1)(re + base, im + base, re + base + s, im + base + s, s, m);
}

/* The same under a control mask (cmask != 0, bit q not in it). */
static void SV_NAME(k_apply1_ctrl)(SV_T *re, SV_T *im, uint64_t dim, int q, uint64_t cmask,
                                   const double *m)
{
    const SV_T m0r = (SV_T)m[0], m0i = (SV_T)m[1], m1r = (SV_T)m[2], m1i = (SV_T)m[3];
    const SV_T m2r = (SV_T)m[4], m2i = (SV_T)m[5], m3r = (SV_T)m[6], m3i = (SV_T)m[7];
    const uint64_t s = (uint64_t)1 << q;
    const uint64_t hi = cmask & ~(s - 1), lo = cmask & (s - 1);
#ifdef SV_VEC
    if (s < 8 && dim >= 8) {
        SV_NAME(kv_apply1)(re, im, dim, q, cmask, m);
        return;
    }
#endif
    for (uint64_t base = 0; base < dim; base += 2 * s) {
        if ((base & hi) != hi)
            continue;
        for (uint64_t j = 0; j < s; j++) {
            if ((j & lo) != lo)
                continue;
            uint64_t a = base + j, b = a + s;
            SV_T ar = re[a], ai = im[a], br = re[b], bi = im[b];
            re[a] = m0r * ar - m0i * ai + m1r * br - m1i * bi;
            im[a] = m0r * ai + m0i * ar + m1r * bi + m1i * br;
            re[b] = m2r * ar - m2i * ai + m3r * br - m3i * bi;
            im[b] = m2r * ai + m2i * ar + m3r * bi + m3i * br;
        }
    }
}

/* X (a swap of the pair) on qubit q under cmask (0 = no control). */
static void SV_NAME(k_x)(SV_T *re, SV_T *im, uint64_t dim, int q, uint64_t cmask)
{
    const uint64_t s = (uint64_t)1 << q;
#ifdef SV_VEC
    if (s < 8 && dim >= 8) {
        SV_NAME(kv_x)(re, im, dim, q, cmask);
        return;
    }
#endif
    const uint64_t hi = cmask & ~(s - 1), lo = cmask & (s - 1);
    for (uint64_t base = 0; base < dim; base += 2 * s) {
        if ((base & hi) != hi)
            continue;
        if (lo == 0 && s >= 8) {
            SV_NAME(k_swaprun)(re + base, im + base, re + base + s, im + base + s, s);
        } else {
            for (uint64_t j = 0; j < s; j++) {
                if ((j & lo) != lo)
                    continue;
                uint64_t a = base + j, b = a + s;
                SV_T tr = re[a], ti = im[a];
                re[a] = re[b];
                im[a] = im[b];
                re[b] = tr;
                im[b] = ti;
            }
        }
    }
}

/* Multiply by (c + i s) every amplitude whose index has all bits of mask set (mask != 0).
 * Runs are taken at the lowest bit of the mask, so the rest of the mask is tested per run. */
static void SV_NAME(k_phase)(SV_T *re, SV_T *im, uint64_t dim, uint64_t mask, double c, double sn)
{
    const SV_T pc = (SV_T)c, ps = (SV_T)sn;
    int q = __builtin_ctzll(mask);
    const uint64_t s = (uint64_t)1 << q, rest = mask & ~s;
#ifdef SV_VEC
    if (s < 8 && dim >= 8) {
        SV_NAME(kv_phase)(re, im, dim, mask, pc, ps);
        return;
    }
#endif
    for (uint64_t base = 0; base < dim; base += 2 * s) {
        if ((base & rest) != rest)
            continue;
        if (s >= 8) {
            SV_NAME(k_phaserun)(re + base + s, im + base + s, s, pc, ps);
            continue;
        }
        for (uint64_t j = base + s; j < base + 2 * s; j++) {
            SV_T ar = re[j], ai = im[j];
            re[j] = pc * ar - ps * ai;
            im[j] = pc * ai + ps * ar;
        }
    }
}

/* Pairwise sums: naive within blocks of 256, halves added recursively, so the rounding error
 * grows with log2(dim) rather than dim. Grover's diffusion subtracts from twice the mean, and
 * a mean that is off by a relative 1e-14 would move the norm by ~4e-14 per iteration. */
static double SV_NAME(k_norm2)(const SV_T *re, const SV_T *im, uint64_t dim)
{
    if (dim > 256)
        return SV_NAME(k_norm2)(re, im, dim / 2) +
               SV_NAME(k_norm2)(re + dim / 2, im + dim / 2, dim - dim / 2);
    double sum = 0;
    for (uint64_t i = 0; i < dim; i++)
        sum += (double)re[i] * re[i] + (double)im[i] * im[i];
    return sum;
}

static double SV_NAME(k_sum)(const SV_T *x, uint64_t dim)
{
    if (dim > 256)
        return SV_NAME(k_sum)(x, dim / 2) + SV_NAME(k_sum)(x + dim / 2, dim - dim / 2);
    double sum = 0;
    for (uint64_t i = 0; i < dim; i++)
        sum += x[i];
    return sum;
}

/* Sum of |a_i|^2 over the indices with bit q set. */
static double SV_NAME(k_prob_one)(const SV_T *re, const SV_T *im, uint64_t dim, int q)
{
    const uint64_t s = (uint64_t)1 << q;
    double sum = 0;
    for (uint64_t base = 0; base < dim; base += 2 * s)
        for (uint64_t j = base + s; j < base + 2 * s; j++)
            sum += (double)re[j] * re[j] + (double)im[j] * im[j];
    return sum;
}

/* Collapse qubit q to value bit and scale the survivors by f. */
static void SV_NAME(k_collapse)(SV_T *re, SV_T *im, uint64_t dim, int q, int bit, double f)
{
    const uint64_t s = (uint64_t)1 << q;
    const SV_T ff = (SV_T)f;
    for (uint64_t base = 0; base < dim; base += 2 * s) {
        SV_T *kr = re + base + (bit ? s : 0), *ki = im + base + (bit ? s : 0);
        SV_T *zr = re + base + (bit ? 0 : s), *zi = im + base + (bit ? 0 : s);
        for (uint64_t j = 0; j < s; j++) {
            kr[j] *= ff;
            ki[j] *= ff;
            zr[j] = 0;
            zi[j] = 0;
        }
    }
}
