// Template for the zero-padded, column-phase-split copy of input planes (the source of the gemm, Winograd and
// depthwise paths). Included by level.h; plain loops the compiler vectorises for the level.

static CK_TARGET void CK_CAT(fill_phases, SUFFIX)(const float *restrict src, int32_t channels, int32_t h, int32_t w,
                                                 int32_t pad_top, int32_t pad_left, int32_t rows, int32_t wq,
                                                 int32_t phases, float *restrict dst) {
  for (int32_t ch = 0; ch < channels; ch++) {
    const float *plane = src + (ptrdiff_t)ch * h * w;
    float *out = dst + (ptrdiff_t)ch * phases * rows * wq;
    for (int32_t q = 0; q < phases; q++) {
      float *phase = out + (ptrdiff_t)q * rows * wq;
      // Columns u of phase q hold padded column u·phases + q, input column u·phases + q - pad_left.
      int32_t first = (pad_left - q + phases - 1) / phases;
      if (first < 0) first = 0;
      int32_t end = (w + pad_left - q + phases - 1) / phases;
      if (end > wq) end = wq;
      if (end < first) end = first;
      for (int32_t r = 0; r < rows; r++) {
        float *line = phase + (ptrdiff_t)r * wq;
        const int32_t y = r - pad_top;
        if (y < 0 || y >= h || first >= end) {
          memset(line, 0, sizeof(float) * (size_t)wq);
          continue;
        }
        for (int32_t u = 0; u < first; u++) line[u] = 0;
        const float *s = plane + (ptrdiff_t)y * w + (ptrdiff_t)first * phases + q - pad_left;
        const int32_t n = end - first;
        if (phases == 1) {
          memcpy(line + first, s, sizeof(float) * (size_t)n);
        } else if (phases == 2) {
          // Vectors of even samples while both loads stay inside the input row.
          const int32_t avail = w - (first * 2 + q - pad_left);
          int32_t u = 0;
          for (; u + VW <= n && 2 * (u + VW) <= avail; u += VW)
            VSTORE(line + first + u, VEVENS(VLOAD(s + 2 * u), VLOAD(s + 2 * u + VW)));
          for (; u < n; u++) line[first + u] = s[2 * u];
        } else {
          for (int32_t u = 0; u < n; u++) line[first + u] = s[(ptrdiff_t)u * phases];
        }
        for (int32_t u = end; u < wq; u++) line[u] = 0;
      }
    }
  }
}

/// out[x·k + j] = in[j][x] for x < n, j < k: a transposed convolution's k taps side by side.
static CK_TARGET void CK_CAT(interleave, SUFFIX)(const float *const *in, int32_t k, int32_t n, float *restrict out) {
  if (k == 2) {
    const float *restrict a = in[0], *restrict b = in[1];
    for (int32_t x = 0; x < n; x++) {
      out[2 * x] = a[x];
      out[2 * x + 1] = b[x];
    }
    return;
  }
  for (int32_t j = 0; j < k; j++) {
    const float *restrict a = in[j];
    for (int32_t x = 0; x < n; x++) out[(ptrdiff_t)x * k + j] = a[x];
  }
}
