// The three SIMD levels of the convolution kernels (see include/ckernels.h) and the start-up choice among them.
#include "ckernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CK_X86 1
#endif

float ck_sigmoid1(float x);

/// The filters of the next panel (and register tile) when `left` remain: `mrmax`, except that 13-16 left go as
/// 8 and 8 rather than 12 and a thin 1-4; the last panel is rounded up to a multiple of 4 (zero rows).
static inline int32_t ck_panel_rows(int32_t mrmax, int32_t left) {
  if (mrmax > 8 && left > mrmax && left <= mrmax + 4) return 8;
  if (left >= mrmax) return mrmax;
  return (left + 3) / 4 * 4;
}

static inline float ck_floor1(float x) { return floorf(x); }
static inline float ck_pow2_1(float n) {
  if (n != n) return n;  // NaN: the result is NaN anyway, and converting it to an integer is undefined
  union { int32_t i; float f; } u;
  u.i = ((int32_t)n + 127) << 23;
  return u.f;
}

// ---- portable C: plain scalar code the compiler may vectorise for the baseline target -------------------------
#define CK_TARGET
#define VEC float
#define VW 1
#define VLOAD(p) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VSTORE_PART(p, v, n) (*(p) = (v))
#define VSET1(x) (x)
#define VZERO 0.0f
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VADD(a, b) ((a) + (b))
#define VSUB(a, b) ((a) - (b))
#define VMUL(a, b) ((a) * (b))
#define VDIV(a, b) ((a) / (b))
#define VMAX(a, b) ((a) > (b) ? (a) : (b))
#define VMIN(a, b) ((a) < (b) ? (a) : (b))
#define VSELECT_POSITIVE(x, y) ((x) > 0 ? (x) : (y))
#define VSELECT_NONNEGATIVE(x, a, b) ((x) >= 0 ? (a) : (b))
#define VNEGABS(x) (-fabsf(x))
#define VFLOOR(x) ck_floor1(x)
#define VPOW2(n) ck_pow2_1(n)
#define VEVENS(a, b) (a)
#define VMASK int
#define VMASK_FOR(n) ((n) > 0)
#define VLOAD_MASKED(p, m) ((m) ? *(p) : 0.0f)
#define SUFFIX portable
#define RW 4
#define MRMAX 4
#define NV 8
#define DWNV 8
#define BOX_AVX 0
#include "level.h"
#include "level_end.h"

#ifdef CK_X86
// ---- AVX2 + FMA: 8 lanes, 4 filters x 3 vectors per tile ----------------------------------------------------------
static const int32_t ck_avx2_masks[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
#define CK_TARGET __attribute__((target("avx2,fma")))
#define VEC __m256
#define VW 8
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps(p, v)
#define VSTORE_PART(p, v, n) _mm256_maskstore_ps(p, _mm256_loadu_si256((const __m256i *)(ck_avx2_masks + 8 - (n))), v)
#define VSET1(x) _mm256_set1_ps(x)
#define VZERO _mm256_setzero_ps()
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VADD(a, b) _mm256_add_ps(a, b)
#define VSUB(a, b) _mm256_sub_ps(a, b)
#define VMUL(a, b) _mm256_mul_ps(a, b)
#define VDIV(a, b) _mm256_div_ps(a, b)
#define VMAX(a, b) _mm256_max_ps(a, b)
#define VMIN(a, b) _mm256_min_ps(a, b)
#define VSELECT_POSITIVE(x, y) _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ))
#define VEVENS(a, b) \
  _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8))
#define VSELECT_NONNEGATIVE(x, a, b) _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ))
#define VNEGABS(x) _mm256_or_ps(x, _mm256_set1_ps(-0.0f))
#define VFLOOR(x) _mm256_floor_ps(x)
#define VPOW2(n) \
  _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23))
#define VMASK __m256i
#define VMASK_FOR(n) _mm256_loadu_si256((const __m256i *)(ck_avx2_masks + 8 - ((n) < 0 ? 0 : (n) > 8 ? 8 : (n))))
#define VLOAD_MASKED(p, m) _mm256_maskload_ps(p, m)
#define SUFFIX avx2
#define RW 8
#define MRMAX 4
#define NV 3
#define DWNV 2
#define BOX_AVX 1
#include "level.h"
#include "level_end.h"

// ---- AVX-512F: 16 lanes, 12 (or 8, 4) filters x 2 vectors per tile ------------------------------------------------
#define CK_TARGET __attribute__((target("avx512f")))
#define VEC __m512
#define VW 16
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps(p, v)
#define VSTORE_PART(p, v, n) _mm512_mask_storeu_ps(p, (__mmask16)((1u << (n)) - 1u), v)
#define VSET1(x) _mm512_set1_ps(x)
#define VZERO _mm512_setzero_ps()
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VADD(a, b) _mm512_add_ps(a, b)
#define VSUB(a, b) _mm512_sub_ps(a, b)
#define VMUL(a, b) _mm512_mul_ps(a, b)
#define VDIV(a, b) _mm512_div_ps(a, b)
#define VMAX(a, b) _mm512_max_ps(a, b)
#define VMIN(a, b) _mm512_min_ps(a, b)
#define VSELECT_POSITIVE(x, y) \
  _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), y, x)
#define VEVENS(a, b) \
  _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b)
#define VSELECT_NONNEGATIVE(x, a, b) _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), b, a)
#define VNEGABS(x) \
  _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int32_t)0x80000000)))
#define VFLOOR(x) _mm512_roundscale_ps(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)
#define VPOW2(n) \
  _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(n), _mm512_set1_epi32(127)), 23))
#define VMASK __mmask16
#define VMASK_FOR(n) ((__mmask16)((n) <= 0 ? 0u : (n) >= 16 ? 0xffffu : (1u << (n)) - 1u))
#define VLOAD_MASKED(p, m) _mm512_maskz_loadu_ps(m, p)
#define SUFFIX avx512
#define RW 4
#define MRMAX 12
#define NV 2
#define DWNV 2
#define BOX_AVX 1
#include "level.h"
#endif

// ---- the choice --------------------------------------------------------------------------------------------------
static int32_t ck_best = -1;
static int32_t ck_current = -1;

static int32_t detect(void) {
#ifdef CK_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
  return 0;
}

int32_t ck_best_level(void) {
  if (ck_best < 0) ck_best = detect();
  return ck_best;
}

int32_t ck_level(void) {
  if (ck_current < 0) {
    int32_t level = ck_best_level();
    // CONVOLVE_SIMD=portable|avx2|avx512 chooses a lower level (never one the CPU lacks).
    const char *env = getenv("CONVOLVE_SIMD");
    if (env) {
      if (!strcmp(env, "portable") || !strcmp(env, "none")) level = 0;
      else if (!strcmp(env, "avx2") && level > 1) level = 1;
    }
    ck_current = level;
  }
  return ck_current;
}

int32_t ck_set_level(int32_t level) {
  int32_t best = ck_best_level();
  ck_current = level < 0 ? 0 : level > best ? best : level;
  return ck_current;
}

const char *ck_level_name(int32_t level) {
  switch (level) {
  case 2: return "avx512";
  case 1: return "avx2";
  default: return "portable";
  }
}

int32_t ck_tile_pixels(int32_t level) { return level == 2 ? 32 : level == 1 ? 24 : 8; }
int32_t ck_panel_filters(int32_t level) { return level == 2 ? 12 : 4; }

void *ck_thread_buffer(int32_t slot, size_t bytes) {
  static __thread struct { void *p; size_t n; } buffers[4];
  if (slot < 0 || slot >= 4 || bytes > ((size_t)1 << 40)) return NULL;
  if (buffers[slot].n < bytes || !buffers[slot].p) {
    free(buffers[slot].p);
    const size_t n = (bytes + 63) / 64 * 64;
    buffers[slot].p = aligned_alloc(64, n ? n : 64);
    buffers[slot].n = buffers[slot].p ? n : 0;
  }
  return buffers[slot].p;
}

size_t ck_gemm_scratch_bytes(int32_t level, int32_t k, int32_t tiles) {
  return (size_t)k * ((size_t)ck_tile_pixels(level) * (size_t)tiles * sizeof(float) + sizeof(int32_t));
}

size_t ck_packed_count(int32_t level, int32_t m, int32_t k) {
  (void)level;
  return (size_t)((m + 3) / 4 * 4) * (size_t)k;
}

void ck_pack_weights(int32_t level, const float *w, int32_t m, int32_t k, float *packed) {
  const int32_t mrmax = ck_panel_filters(level);
  for (int32_t f0 = 0, mr; f0 < m; f0 += mr) {
    mr = ck_panel_rows(mrmax, m - f0);
    float *panel = packed + (ptrdiff_t)f0 * k;
    for (int32_t kk = 0; kk < k; kk++)
      for (int32_t r = 0; r < mr; r++)
        panel[(ptrdiff_t)kk * mr + r] = f0 + r < m ? w[(ptrdiff_t)(f0 + r) * k + kk] : 0.0f;
  }
}

void ck_gemm_run(const ck_gemm *g, const float *src, int32_t n, int32_t tail_readable, float *dst) {
  switch (g->level) {
#ifdef CK_X86
  case 2: gemm_run_avx512(g, src, n, tail_readable, dst); break;
  case 1: gemm_run_avx2(g, src, n, tail_readable, dst); break;
#endif
  default: gemm_run_portable(g, src, n, tail_readable, dst); break;
  }
}

void ck_fill_phases(int32_t level, const float *src, int32_t channels, int32_t h, int32_t w, int32_t pad_top,
                    int32_t pad_left, int32_t rows, int32_t wq, int32_t phases, float *dst) {
  switch (level) {
#ifdef CK_X86
  case 2: fill_phases_avx512(src, channels, h, w, pad_top, pad_left, rows, wq, phases, dst); break;
  case 1: fill_phases_avx2(src, channels, h, w, pad_top, pad_left, rows, wq, phases, dst); break;
#endif
  default: fill_phases_portable(src, channels, h, w, pad_top, pad_left, rows, wq, phases, dst); break;
  }
}

void ck_correlate_row(int32_t level, float *out, const float *base, const ptrdiff_t *off, const float *w, int32_t n,
                      ptrdiff_t count) {
  switch (level) {
#ifdef CK_X86
  case 2: correlate_row_avx512(out, base, off, w, n, count); break;
  case 1: correlate_row_avx2(out, base, off, w, n, count); break;
#endif
  default: correlate_row_portable(out, base, off, w, n, count); break;
  }
}

void ck_box_rows(int32_t level, const float *lines, ptrdiff_t line_stride, int32_t rows, int32_t kw, ptrdiff_t out_w,
                 float weight, float *out, ptrdiff_t out_stride, float *scratch) {
  switch (level) {
#ifdef CK_X86
  case 2: box_rows_avx512(lines, line_stride, rows, kw, out_w, weight, out, out_stride, scratch); break;
  case 1: box_rows_avx2(lines, line_stride, rows, kw, out_w, weight, out, out_stride, scratch); break;
#endif
  default: box_rows_portable(lines, line_stride, rows, kw, out_w, weight, out, out_stride, scratch); break;
  }
}

void ck_max_pool_row(int32_t level, float *out, const float *src, ptrdiff_t stride, int32_t kh, int32_t kw, int32_t sx,
                     ptrdiff_t count, ptrdiff_t readable) {
  switch (level) {
#ifdef CK_X86
  case 2: max_pool_row_avx512(out, src, stride, kh, kw, sx, count, readable); break;
  case 1: max_pool_row_avx2(out, src, stride, kh, kw, sx, count, readable); break;
#endif
  default: max_pool_row_portable(out, src, stride, kh, kw, sx, count, readable); break;
  }
}

float ck_sigmoid1(float x) { return sigmoid_vec_portable(x); }

void ck_sigmoid(int32_t level, float *p, ptrdiff_t n) {
  switch (level) {
#ifdef CK_X86
  case 2: sigmoid_run_avx512(p, n); break;
  case 1: sigmoid_run_avx2(p, n); break;
#endif
  default: sigmoid_run_portable(p, n); break;
  }
}

void ck_interleave(int32_t level, const float *const *in, int32_t k, int32_t n, float *out) {
  switch (level) {
#ifdef CK_X86
  case 2: interleave_avx512(in, k, n, out); break;
  case 1: interleave_avx2(in, k, n, out); break;
#endif
  default: interleave_portable(in, k, n, out); break;
  }
}

void ck_winograd_pack(int32_t level, const float *w, int32_t m, int32_t c, float *packed) {
  // U = G g Gᵀ with G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], per filter and channel.
  const size_t stride = ck_packed_count(level, m, c);
  float *u = malloc(sizeof(float) * 16 * (size_t)m * (size_t)c);
  for (int32_t f = 0; f < m; f++) {
    for (int32_t ch = 0; ch < c; ch++) {
      const float *g = w + ((ptrdiff_t)f * c + ch) * 9;
      float t[4][3];
      for (int j = 0; j < 3; j++) {
        t[0][j] = g[0 * 3 + j];
        t[1][j] = 0.5f * (g[0 * 3 + j] + g[1 * 3 + j] + g[2 * 3 + j]);
        t[2][j] = 0.5f * (g[0 * 3 + j] - g[1 * 3 + j] + g[2 * 3 + j]);
        t[3][j] = g[2 * 3 + j];
      }
      for (int i = 0; i < 4; i++) {
        const float r[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]),
                            t[i][2]};
        for (int j = 0; j < 4; j++) u[((size_t)(i * 4 + j) * m + f) * c + ch] = r[j];
      }
    }
  }
  for (int xi = 0; xi < 16; xi++) ck_pack_weights(level, u + (size_t)xi * m * c, m, c, packed + xi * stride);
  free(u);
}

void ck_winograd_band(const ck_winograd *p, const float *phases, int32_t t0, int32_t t1, float *v, float *mbuf,
                      float *out) {
  switch (p->level) {
#ifdef CK_X86
  case 2: winograd_band_avx512(p, phases, t0, t1, v, mbuf, out); break;
  case 1: winograd_band_avx2(p, phases, t0, t1, v, mbuf, out); break;
#endif
  default: winograd_band_portable(p, phases, t0, t1, v, mbuf, out); break;
  }
}

void ck_depthwise(int32_t level, const float *phases, int32_t rows, int32_t wq, const float *w, int32_t kh, int32_t kw,
                  int32_t sy, int32_t sx, int32_t dy, int32_t dx, float bias, const ck_stage *stages, int32_t nstages,
                  int32_t out_h, int32_t out_w, float *dst) {
  switch (level) {
#ifdef CK_X86
  case 2:
    depthwise_avx512(phases, rows, wq, w, kh, kw, sy, sx, dy, dx, bias, stages, nstages, out_h, out_w, dst);
    break;
  case 1:
    depthwise_avx2(phases, rows, wq, w, kh, kw, sy, sx, dy, dx, bias, stages, nstages, out_h, out_w, dst);
    break;
#endif
  default:
    depthwise_portable(phases, rows, wq, w, kh, kw, sy, sx, dy, dx, bias, stages, nstages, out_h, out_w, dst);
    break;
  }
}

void ck_tune_allocator(int huge_heap) {
#ifdef __GLIBC__
  const char *keep = getenv("CONVOLVE_KEEP_MEMORY");  // "0": glibc's defaults (to compare, or to give memory back)
  if (keep && !strcmp(keep, "0")) return;
  // Every block from the heaps (none mapped and unmapped on its own), up to 1 GB free at a heap's top kept, and
  // one heap for all threads, so that a block one thread frees serves the next, whichever thread asks (with a
  // heap per thread, a 100-photo batch kept 100 MB more; the hot loops do not allocate).
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_ARENA_MAX, 1);
  // Grow the main heap by 64 MB of address space (nothing is touched, so nothing is resident) and ask for
  // transparent huge pages there: the first run of a graph then touches its tens of MB of fresh tensors in
  // 2 MB faults instead of 4 KB ones, as glibc.malloc.hugetlb=1 would. Freed, the block stays the heap's top.
  if (!huge_heap) return;
  void *a = malloc(30 << 20), *b = a ? malloc(30 << 20) : NULL;
  uintptr_t start = ((uintptr_t)a + 4095) & ~(uintptr_t)4095, end = (uintptr_t)sbrk(0);
  if (b && end > start && end - start < ((uintptr_t)1 << 30)) madvise((void *)start, end - start, MADV_HUGEPAGE);
  free(b);
  free(a);
#endif
}

void ck_channel_means(const float *x, int32_t channels, ptrdiff_t plane, float *out) {
  for (int32_t c = 0; c < channels; c++) {
    const float *p = x + (ptrdiff_t)c * plane;
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    ptrdiff_t i = 0;
    for (; i + 8 <= plane; i += 8)
      for (int j = 0; j < 8; j++) acc[j] += (double)p[i + j];
    double sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < plane; i++) sum += (double)p[i];
    out[c] = (float)(sum / (double)plane);
  }
}
