// Template for the row pass of box (running-sum) filters, eight rows at a time: the rows are transposed so that
// each step's eight running sums (in double, one per row) are one vector operation, then transposed back. Every
// lane does exactly the scalar loop's operations in its order (s starts at 0 and adds the first kw samples;
// then s += (double)in[x + kw - 1] - (double)in[x - 1]; out = (float)s · weight), so each level gives its bits.
// Included by level.h with BOX_AVX set where 8x8 transposes in AVX registers are available.

#if BOX_AVX
/// dst[c · dst_stride + r] = src[r · src_stride + c] for r, c < 8.
static inline CK_TARGET void CK_CAT(transpose8, SUFFIX)(const float *src, ptrdiff_t src_stride, float *dst,
                                                       ptrdiff_t dst_stride) {
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * src_stride);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; i++) {
    _mm256_storeu_ps(dst + i * dst_stride, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * dst_stride, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
  }
}
#endif

static CK_TARGET void CK_CAT(box_rows, SUFFIX)(const float *restrict lines, ptrdiff_t line_stride, int32_t rows,
                                              int32_t kw, ptrdiff_t out_w, float weight, float *restrict out,
                                              ptrdiff_t out_stride, float *restrict scratch) {
  const ptrdiff_t n = out_w + kw - 1;
  float *restrict t = scratch, *restrict o = scratch + n * 8;
  ptrdiff_t x = 0;
#if BOX_AVX
  if (rows == 8)
    for (; x + 8 <= n; x += 8) CK_CAT(transpose8, SUFFIX)(lines + x, line_stride, t + x * 8, 8);
#endif
  for (int32_t r = 0; r < 8; r++) {
    const float *line = lines + (r < rows ? r : 0) * line_stride;
    for (ptrdiff_t c = x; c < n; c++) t[c * 8 + r] = line[c];
  }
  double s[8];
  for (int r = 0; r < 8; r++) s[r] = 0;
  for (int32_t j = 0; j < kw; j++)
    for (int r = 0; r < 8; r++) s[r] += (double)t[j * 8 + r];
  for (int r = 0; r < 8; r++) o[r] = (float)s[r] * weight;
  for (ptrdiff_t c = 1; c < out_w; c++) {
    const float *a = t + (c + kw - 1) * 8, *b = t + (c - 1) * 8;
    float *d = o + c * 8;
    for (int r = 0; r < 8; r++) {
      s[r] += (double)a[r] - (double)b[r];
      d[r] = (float)s[r] * weight;
    }
  }
  x = 0;
#if BOX_AVX
  if (rows == 8)
    for (; x + 8 <= out_w; x += 8) CK_CAT(transpose8, SUFFIX)(o + x * 8, 8, out + x, out_stride);
#endif
  for (int32_t r = 0; r < rows; r++) {
    float *dst = out + r * out_stride;
    for (ptrdiff_t c = x; c < out_w; c++) dst[c] = o[c * 8 + r];
  }
}
