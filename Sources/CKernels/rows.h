// One output row of a 2-D correlation at horizontal stride 1, for ConvolveCore's direct and separable plans:
// out[x] = Σ_t w[t] · base[off[t] + x] for x < count, taps in order, every product rounded before it is added
// (no fused multiply-add), so each level gives the portable loop's bits. RW vectors of outputs per block stay
// in registers; the tail is one vector at a time, then one masked vector.
// Included by level.h with RW defined.

static CK_TARGET void CK_CAT(correlate_row, SUFFIX)(float *out, const float *base, const ptrdiff_t *off,
                                                   const float *w, int32_t n, ptrdiff_t count) {
  ptrdiff_t x = 0;
  for (; x + RW * VW <= count; x += RW * VW) {
    VEC acc[RW];
    for (int r = 0; r < RW; r++) acc[r] = VZERO;
    for (int32_t t = 0; t < n; t++) {
      const float *p = base + off[t] + x;
      const VEC k = VSET1(w[t]);
      for (int r = 0; r < RW; r++) acc[r] = VADD(acc[r], VMUL(k, VLOAD(p + r * VW)));
    }
    for (int r = 0; r < RW; r++) VSTORE(out + x + r * VW, acc[r]);
  }
  for (; x + VW <= count; x += VW) {
    VEC acc = VZERO;
    for (int32_t t = 0; t < n; t++) acc = VADD(acc, VMUL(VSET1(w[t]), VLOAD(base + off[t] + x)));
    VSTORE(out + x, acc);
  }
  if (x < count) {
    const int32_t left = (int32_t)(count - x);
    const VMASK m = VMASK_FOR(left);
    VEC acc = VZERO;
    for (int32_t t = 0; t < n; t++) acc = VADD(acc, VMUL(VSET1(w[t]), VLOAD_MASKED(base + off[t] + x, m)));
    VSTORE_PART(out + x, acc, left);
  }
}
