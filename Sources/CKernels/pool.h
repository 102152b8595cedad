// One output row of max pooling where every window lies inside the input: out[x] = max over rows r < kh and
// columns j < kw of src[r · stride + x · sx + j], for x < count. Each comparison is `v > m ? v : m` (x86 max with
// the running maximum second), so a NaN sample is skipped, as in ConvolveCNN's general loop. `readable` is how
// many floats each row holds from src on; vectors never read past it. Strides 1 and 2 run in vectors.
// Included by level.h.

static CK_TARGET void CK_CAT(max_pool_row, SUFFIX)(float *out, const float *src, ptrdiff_t stride, int32_t kh,
                                                  int32_t kw, int32_t sx, ptrdiff_t count, ptrdiff_t readable) {
  ptrdiff_t x = 0;
  if (sx == 1) {
    for (; x + VW <= count && x + VW + kw - 1 <= readable; x += VW) {
      VEC m = VSET1(-INFINITY);
      for (int32_t r = 0; r < kh; r++)
        for (int32_t j = 0; j < kw; j++) m = VMAX(VLOAD(src + r * stride + x + j), m);
      VSTORE(out + x, m);
    }
  } else if (sx == 2 && VW > 1) {
    for (; x + VW <= count && 2 * (x + VW) + kw - 1 <= readable; x += VW) {
      VEC m = VSET1(-INFINITY);
      for (int32_t r = 0; r < kh; r++) {
        const float *p = src + r * stride + 2 * x;
        for (int32_t j = 0; j < kw; j++) m = VMAX(VEVENS(VLOAD(p + j), VLOAD(p + j + VW)), m);
      }
      VSTORE(out + x, m);
    }
  }
  for (; x < count; x++) {
    float m = -INFINITY;
    for (int32_t r = 0; r < kh; r++)
      for (int32_t j = 0; j < kw; j++) {
        const float v = src[r * stride + x * sx + j];
        m = v > m ? v : m;
      }
    out[x] = m;
  }
}
