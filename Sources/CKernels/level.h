// Everything of one SIMD level: the stage function, the tiles, the driver and the depthwise kernel.
// Included by kernels.c once per level with SUFFIX, MRMAX, NV, DWNV and the vector macros defined.

#define CK_CAT2(a, b) a##_##b
#define CK_CAT(a, b) CK_CAT2(a, b)
#define STAGES_FN CK_CAT(stages, SUFFIX)

/// The logistic function with exp(-|x|) by Cephes' expf (range reduction by ln 2, a degree-5 polynomial,
/// 2^n through the exponent bits), every step a separate IEEE operation, so every level (and ck_sigmoid1)
/// gives the same bits: 1 / (1 + t) for x ≥ 0, t / (1 + t) below, t = exp(-|x|); NaN stays NaN.
static inline CK_TARGET VEC CK_CAT(sigmoid_vec, SUFFIX)(VEC x) {
  const VEC a = VMAX(VSET1(-88.3762626647949f), VNEGABS(x));
  const VEC fx = VFLOOR(VADD(VMUL(a, VSET1(1.44269504088896341f)), VSET1(0.5f)));
  VEC r = VSUB(a, VMUL(fx, VSET1(0.693359375f)));
  r = VSUB(r, VMUL(fx, VSET1(-2.12194440e-4f)));
  const VEC z = VMUL(r, r);
  VEC y = VSET1(1.9875691500e-4f);
  y = VADD(VMUL(y, r), VSET1(1.3981999507e-3f));
  y = VADD(VMUL(y, r), VSET1(8.3334519073e-3f));
  y = VADD(VMUL(y, r), VSET1(4.1665795894e-2f));
  y = VADD(VMUL(y, r), VSET1(1.6666665459e-1f));
  y = VADD(VMUL(y, r), VSET1(5.0000001201e-1f));
  y = VADD(VADD(VMUL(y, z), r), VSET1(1.0f));
  const VEC t = VMUL(y, VPOW2(fx));
  const VEC d = VADD(VSET1(1.0f), t);
  return VSELECT_NONNEGATIVE(x, VDIV(VSET1(1.0f), d), VDIV(t, d));
}

static CK_TARGET void CK_CAT(sigmoid_run, SUFFIX)(float *p, ptrdiff_t n) {
  ptrdiff_t i = 0;
  for (; i + VW <= n; i += VW) VSTORE(p + i, CK_CAT(sigmoid_vec, SUFFIX)(VLOAD(p + i)));
  for (; i < n; i++) p[i] = ck_sigmoid1(p[i]);
}

static inline CK_TARGET VEC STAGES_FN(VEC y, const ck_stage *st, int32_t n) {
  for (int32_t i = 0; i < n; i++) {
    const VEC a = VSET1(st[i].a), b = VSET1(st[i].b), one = VSET1(1.0f), zero = VZERO;
    switch (st[i].kind) {
    case CK_ADD: y = VADD(y, a); break;
    case CK_SUB: y = VSUB(y, a); break;
    case CK_RSUB: y = VSUB(a, y); break;
    case CK_MUL: y = VMUL(y, a); break;
    case CK_DIV: y = VDIV(y, a); break;
    case CK_RDIV: y = VDIV(a, y); break;
    case CK_RELU: y = VMAX(zero, y); break;  // NaN (the second operand) stays NaN
    case CK_LEAKY_RELU: y = VSELECT_POSITIVE(y, VMUL(a, y)); break;
    case CK_HARD_SIGMOID: y = VMAX(zero, VMIN(one, VADD(VMUL(a, y), b))); break;
    case CK_HARD_SWISH: y = VMUL(y, VMAX(zero, VMIN(one, VADD(VMUL(a, y), b)))); break;
    case CK_CLIP: y = VMIN(b, VMAX(a, y)); break;
    case CK_SIGMOID: y = CK_CAT(sigmoid_vec, SUFFIX)(y); break;
    default: break;
    }
  }
  return y;
}

#define MR MRMAX
#define TILE_FN CK_CAT(tile_full, SUFFIX)
#include "tile.h"
#undef TILE_FN
#define TILE_MASKED
#define TILE_FN CK_CAT(tile_full_masked, SUFFIX)
#include "tile.h"
#undef TILE_MASKED
#undef MR
#undef TILE_FN
#if MRMAX > 8
#define MR 8
#define TILE_FN CK_CAT(tile_8, SUFFIX)
#include "tile.h"
#undef TILE_FN
#define TILE_MASKED
#define TILE_FN CK_CAT(tile_8_masked, SUFFIX)
#include "tile.h"
#undef TILE_MASKED
#undef MR
#undef TILE_FN
#endif
#if MRMAX > 4
#define MR 4
#define TILE_FN CK_CAT(tile_4, SUFFIX)
#include "tile.h"
#undef TILE_FN
#define TILE_MASKED
#define TILE_FN CK_CAT(tile_4_masked, SUFFIX)
#include "tile.h"
#undef TILE_MASKED
#undef MR
#undef TILE_FN
#endif

static CK_TARGET void CK_CAT(gemm_run, SUFFIX)(const ck_gemm *g, const float *src, int32_t n, int32_t tail_readable,
                                              float *dst) {
  const int32_t nr = NV * VW, kc = g->k;
  float *copy = g->scratch;
  const int32_t group = copy && g->scratch_tiles > 0 ? g->scratch_tiles : 1;
  int32_t *copy_koff = copy ? (int32_t *)(copy + (ptrdiff_t)kc * nr * group) : 0;
  if (copy)
    for (int32_t k = 0; k < kc; k++) copy_koff[k] = k * nr;
  for (int32_t g0 = 0; g0 < n; g0 += nr * group) {
    const int32_t tiles = (n - g0 + nr - 1) / nr < group ? (n - g0 + nr - 1) / nr : group;
    if (copy) {
      for (int32_t t = 0; t < tiles; t++) {
        const int32_t p0 = g0 + t * nr, nv = n - p0 < nr ? n - p0 : nr;
        const int masked = nv < nr && !tail_readable;
        VMASK lanes[NV];
        for (int v = 0; v < NV; v++) lanes[v] = VMASK_FOR(nv - v * VW);
        float *c = copy + (ptrdiff_t)t * kc * nr;
        for (int32_t k = 0; k < kc; k++) {
          const float *s = src + p0 + g->koff[k];
          for (int v = 0; v < NV; v++)
            VSTORE(c + (ptrdiff_t)k * nr + v * VW, masked ? VLOAD_MASKED(s + v * VW, lanes[v]) : VLOAD(s + v * VW));
        }
      }
    }
    for (int32_t f0 = 0, mr; f0 < g->m; f0 += mr) {
      const int32_t left = g->m - f0;
      mr = ck_panel_rows(MRMAX, left);
      const float *w = g->packed + (ptrdiff_t)f0 * kc;
      const float *b = g->bias ? g->bias + f0 : 0;
      const int32_t valid = left < mr ? left : mr;
      for (int32_t t = 0; t < tiles; t++) {
        const int32_t p0 = g0 + t * nr, nv = n - p0 < nr ? n - p0 : nr;
        const int masked = !copy && nv < nr && !tail_readable;
        const float *s = copy ? copy + (ptrdiff_t)t * kc * nr : src + p0;
        const int32_t *koff = copy ? copy_koff : g->koff;
        float *d = dst + f0 * g->dst_stride + p0;
#if MRMAX > 8
        if (mr > 8) {
          (masked ? CK_CAT(tile_full_masked, SUFFIX) : CK_CAT(tile_full, SUFFIX))(
            w, s, koff, kc, d, g->dst_stride, valid, nv, b, g->stages, g->nstages);
        } else if (mr > 4) {
          (masked ? CK_CAT(tile_8_masked, SUFFIX) : CK_CAT(tile_8, SUFFIX))(
            w, s, koff, kc, d, g->dst_stride, valid, nv, b, g->stages, g->nstages);
        } else {
          (masked ? CK_CAT(tile_4_masked, SUFFIX) : CK_CAT(tile_4, SUFFIX))(
            w, s, koff, kc, d, g->dst_stride, valid, nv, b, g->stages, g->nstages);
        }
#else
        (masked ? CK_CAT(tile_full_masked, SUFFIX) : CK_CAT(tile_full, SUFFIX))(
          w, s, koff, kc, d, g->dst_stride, valid, nv, b, g->stages, g->nstages);
#endif
      }
    }
  }
}

#include "winograd.h"
#include "fill.h"

#include "rows.h"
#include "box.h"
#include "pool.h"

#define DW_FN CK_CAT(depthwise, SUFFIX)
#include "depthwise.h"
#undef DW_FN
#undef STAGES_FN
