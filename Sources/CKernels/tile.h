// Template for one register tile of the implicit-GEMM convolution: MR filters x NV vectors of output pixels.
// Included by kernels.c once per (level, MR) with TILE_FN, MR, NV and the level's vector macros defined.

static CK_TARGET void TILE_FN(const float *restrict w, const float *restrict src, const int32_t *restrict koff,
                              int32_t kcount, float *restrict dst, ptrdiff_t ds, int32_t mvalid, int32_t nvalid,
                              const float *bias, const ck_stage *stages, int32_t nstages) {
  VEC acc[MR][NV];
#ifdef TILE_MASKED
  // The last tile of a row: lanes past nvalid are neither read nor stored.
  VMASK masks[NV];
  for (int v = 0; v < NV; v++) masks[v] = VMASK_FOR(nvalid - v * VW);
#define TILE_LOAD(p, v) VLOAD_MASKED(p, masks[v])
#else
#define TILE_LOAD(p, v) VLOAD(p)
#endif
  {
    // The first tap sets the accumulators (no zeroing pass).
    const float *s = src + koff[0];
    VEC x[NV];
    for (int v = 0; v < NV; v++) x[v] = TILE_LOAD(s + v * VW, v);
    for (int m = 0; m < MR; m++) {
      VEC b = VSET1(w[m]);
      for (int v = 0; v < NV; v++) acc[m][v] = VMUL(b, x[v]);
    }
  }
  for (int32_t k = 1; k < kcount; k++) {
    const float *s = src + koff[k];
    VEC x[NV];
    for (int v = 0; v < NV; v++) x[v] = TILE_LOAD(s + v * VW, v);
    const float *wk = w + (ptrdiff_t)k * MR;
    for (int m = 0; m < MR; m++) {
      VEC b = VSET1(wk[m]);
      for (int v = 0; v < NV; v++) acc[m][v] = VFMA(b, x[v], acc[m][v]);
    }
  }
#undef TILE_LOAD
  for (int m = 0; m < MR; m++) {
    if (m >= mvalid) break;
    float *d = dst + m * ds;
    for (int v = 0; v < NV; v++) {
      VEC y = acc[m][v];
      if (bias) y = VADD(y, VSET1(bias[m]));
      if (nstages) y = STAGES_FN(y, stages, nstages);
      int32_t left = nvalid - v * VW;
      if (left >= VW) {
        VSTORE(d + v * VW, y);
      } else if (left > 0) {
        VSTORE_PART(d + v * VW, y, left);
      }
    }
  }
}
