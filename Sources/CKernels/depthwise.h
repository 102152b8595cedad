// Template for the depthwise convolution of one channel: 4 output rows x DWNV vectors per step, so that the
// taps' multiply-adds form 4·DWNV independent chains. Included by kernels.c once per level with DW_FN, DWNV and
// the level's vector macros defined.

static CK_TARGET void DW_FN(const float *phases, int32_t rows, int32_t wq, const float *w, int32_t kh, int32_t kw,
                            int32_t sy, int32_t sx, int32_t dy, int32_t dx, float bias, const ck_stage *stages,
                            int32_t nstages, int32_t out_h, int32_t out_w, float *dst) {
  const ptrdiff_t plane = (ptrdiff_t)rows * wq;
  const ptrdiff_t rowStep = (ptrdiff_t)sy * wq;
  // Each tap's offset from the block's corner, once (no divisions in the loop).
  const int32_t taps = kh * kw;
  ptrdiff_t toff[taps];
  for (int32_t i = 0; i < kh; i++)
    for (int32_t j = 0; j < kw; j++) {
      const int32_t c = j * dx;
      toff[i * kw + j] = (c % sx) * plane + (ptrdiff_t)i * dy * wq + c / sx;
    }
  for (int32_t y0 = 0; y0 < out_h; y0 += 4) {
    for (int32_t x0 = 0; x0 < out_w; x0 += DWNV * VW) {
      const float *corner = phases + (ptrdiff_t)y0 * rowStep + x0;
      VEC acc[4][DWNV];
      {
        const VEC t = VSET1(w[0]);
        const float *s = corner + toff[0];
        for (int r = 0; r < 4; r++)
          for (int v = 0; v < DWNV; v++) acc[r][v] = VMUL(t, VLOAD(s + r * rowStep + v * VW));
      }
      for (int32_t k = 1; k < taps; k++) {
        const VEC t = VSET1(w[k]);
        const float *s = corner + toff[k];
        for (int r = 0; r < 4; r++)
          for (int v = 0; v < DWNV; v++) acc[r][v] = VFMA(t, VLOAD(s + r * rowStep + v * VW), acc[r][v]);
      }
      const VEC b = VSET1(bias);
      for (int r = 0; r < 4; r++) {
        if (y0 + r >= out_h) break;
        float *d = dst + (ptrdiff_t)(y0 + r) * out_w + x0;
        for (int v = 0; v < DWNV; v++) {
          VEC y = VADD(acc[r][v], b);
          if (nstages) y = STAGES_FN(y, stages, nstages);
          int32_t left = out_w - x0 - v * VW;
          if (left >= VW) {
            VSTORE(d + v * VW, y);
          } else if (left > 0) {
            VSTORE_PART(d + v * VW, y, left);
          }
        }
      }
    }
  }
}
