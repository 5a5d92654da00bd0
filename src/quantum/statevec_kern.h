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
 * are too short to be worth a loop of their own and a flat loop over the pairs is used.
 * Controls that are above the target are constant within a run and are tested once per
 * block; controls below the target are tested per element.
 */

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
