// Convolution kernels for ConvolveCNN's layers and ConvolveCore's filter rows, compiled for AVX-512, AVX2+FMA and
// portable C, one chosen at start-up from the CPU's features (`ck_level`). No allocation and no threads of their own: the caller splits work.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// SIMD levels: 0 portable C, 1 AVX2 + FMA, 2 AVX-512F.
int32_t ck_level(void);
/// The best level this CPU runs.
int32_t ck_best_level(void);
/// Chooses a level (clamped to what the CPU runs) for the kernels planned from now on; tests use it to cover
/// every path. Returns the level set.
int32_t ck_set_level(int32_t level);
/// "avx512", "avx2" or "portable".
const char *ck_level_name(int32_t level);

/// One element-wise map applied to each output value after the bias, as ConvolveCNN's ElementwiseStage
/// (the same arithmetic in the same order, so fused results equal unfused ones).
enum {
  CK_ADD = 1, CK_SUB, CK_RSUB, CK_MUL, CK_DIV, CK_RDIV, CK_RELU, CK_LEAKY_RELU, CK_HARD_SIGMOID, CK_HARD_SWISH,
  CK_CLIP, CK_SIGMOID
};
typedef struct ck_stage {
  int32_t kind;
  float a, b;
} ck_stage;

/// Output pixels per tile and filters per full panel at a level.
int32_t ck_tile_pixels(int32_t level);
int32_t ck_panel_filters(int32_t level);
/// Floats of packed weights for `m` filters of `k` values each.
size_t ck_packed_count(int32_t level, int32_t m, int32_t k);
/// Packs `w` (`m` rows of `k`, row-major) into panels for `ck_gemm_run`.
void ck_pack_weights(int32_t level, const float *w, int32_t m, int32_t k, float *packed);

/// A convolution as an implicit matrix product: output pixel p of filter f is
/// `stages(bias[f] + Σ_k W[f][k] · src[koff[k] + p])`, written to `dst[f · dst_stride + p]`.
typedef struct ck_gemm {
  const float *packed;
  const int32_t *koff;
  const float *bias;  // NULL: none
  const ck_stage *stages;
  int32_t m, k, nstages, level;
  ptrdiff_t dst_stride;
  /// NULL, or `ck_gemm_scratch_bytes(level, k, scratch_tiles)`: the taps of `scratch_tiles` tiles are first
  /// copied there side by side (contiguous), then each filter panel runs over those tiles while its weights
  /// stay in L1.
  float *scratch;
  int32_t scratch_tiles;
} ck_gemm;

/// This thread's reusable buffer number `slot` (0-3) of at least `bytes`, 64-byte aligned: grown when too small,
/// kept for the thread's life, so that the kernels' per-task buffers touch no fresh pages after the first call.
/// NULL when the allocation fails or `slot` is out of range.
void *ck_thread_buffer(int32_t slot, size_t bytes);

/// Bytes of `ck_gemm.scratch` for `k` taps and `tiles` tiles.
size_t ck_gemm_scratch_bytes(int32_t level, int32_t k, int32_t tiles);

/// Computes pixels `0 ..< n` from `src`. With `tail_readable` the last tile may read up to a whole tile past
/// pixel n - 1 (garbage there is computed but never stored); otherwise it reads only up to pixel n - 1
/// (masked loads).
void ck_gemm_run(const ck_gemm *g, const float *src, int32_t n, int32_t tail_readable, float *dst);

/// Depthwise convolution of one channel, stride and dilation any: `phases` holds the zero-padded input plane
/// split by column phase (`sx` planes of `rows × wq`, plane q holding padded columns q, q + sx, ...), with at
/// least 4·sy + kh·dy rows and one tile of columns of slack readable past the last output.
void ck_depthwise(int32_t level, const float *phases, int32_t rows, int32_t wq, const float *w, int32_t kh, int32_t kw,
                  int32_t sy, int32_t sx, int32_t dy, int32_t dx, float bias, const ck_stage *stages, int32_t nstages,
                  int32_t out_h, int32_t out_w, float *dst);

/// Copies `channels` planes of `h × w` into `dst` zero-padded (`pad_top` rows above, `pad_left` columns to the
/// left, zeros to `rows` rows and the width) and split into `phases` column phases of `rows × wq` each: phase q
/// column u holds padded column u·phases + q.
void ck_fill_phases(int32_t level, const float *src, int32_t channels, int32_t h, int32_t w, int32_t pad_top,
                    int32_t pad_left, int32_t rows, int32_t wq, int32_t phases, float *dst);

/// `out[x·k + j] = in[j][x]` for `x < n`, `j < k`.
void ck_interleave(int32_t level, const float *const *in, int32_t k, int32_t n, float *out);

/// Winograd F(2x2, 3x3) for a 3x3 stride-1 convolution: 16 products of `m × c` transformed weights by the
/// transformed input tiles, then the inverse transform, bias and stages.
typedef struct ck_winograd {
  const float *packed;  // 16 packed matrices (ck_winograd_pack), packed_stride floats apart
  const int32_t *koff;  // c offsets: k · tiles_max
  const float *bias;    // NULL: none
  const ck_stage *stages;
  int32_t m, c, nstages, level;
  int32_t out_h, out_w, tiles_w, tiles_max;
  int32_t rows, wq;  // the padded input as 2 column phases per channel, each rows × wq
  ptrdiff_t packed_stride;
} ck_winograd;

/// Transforms `w` (`m × c × 3 × 3`) and packs the 16 matrices `packed_stride` (ck_packed_count(level, m, c))
/// floats apart.
void ck_winograd_pack(int32_t level, const float *w, int32_t m, int32_t c, float *packed);

/// Output tiles `t0 ..< t1` (row-major, `tiles_w` per row of 2 output rows; at most `tiles_max`) from `phases`
/// into `out` (`m × out_h × out_w`); `v` holds `16 · c · tiles_max` floats, `mbuf` `16 · m · tiles_max`, both
/// with a tile of slack.
void ck_winograd_band(const ck_winograd *p, const float *phases, int32_t t0, int32_t t1, float *v, float *mbuf,
                      float *out);

/// The logistic function 1 / (1 + e^-x), the library's one implementation: the same bits from every level,
/// from the scalar and the array form, fused or not (within 2 ulp of the exact value).
/// One output row of a 2-D correlation at horizontal stride 1: `out[x] = Σ_t w[t] · base[off[t] + x]` for
/// `x < count`, taps in order, no fused multiply-add: the same bits at every level.
void ck_correlate_row(int32_t level, float *out, const float *base, const ptrdiff_t *off, const float *w, int32_t n,
                      ptrdiff_t count);

/// The row pass of a box filter for `rows` (1-8) padded rows `line_stride` floats apart:
/// `out[r · out_stride + x] = weight · Σ_{j < kw} lines[r · line_stride + x + j]` for `x < out_w`, summed in double
/// as a running sum (the scalar loop's bits on every level). `scratch` holds `(2 · out_w + kw - 1) · 8` floats.
void ck_box_rows(int32_t level, const float *lines, ptrdiff_t line_stride, int32_t rows, int32_t kw, ptrdiff_t out_w,
                 float weight, float *out, ptrdiff_t out_stride, float *scratch);

/// One row of max pooling with every window inside the input: `out[x]` is the largest of `src[r · stride + x · sx + j]`
/// for `r < kh`, `j < kw` (NaN samples skipped), `x < count`; no read at or past `readable` floats into a row.
void ck_max_pool_row(int32_t level, float *out, const float *src, ptrdiff_t stride, int32_t kh, int32_t kw, int32_t sx,
                     ptrdiff_t count, ptrdiff_t readable);

float ck_sigmoid1(float x);
/// Replaces each of `n` values by its logistic function.
void ck_sigmoid(int32_t level, float *p, ptrdiff_t n);

/// The mean of each of `channels` planes of `plane` values, summed in double (eight partial sums each).
void ck_channel_means(const float *x, int32_t channels, ptrdiff_t plane, float *out);

/// Asks glibc's malloc to keep freed blocks of every size in one heap for all threads (up to 1 GB free at its
/// top) instead of unmapping them, so that the next tensor reuses their pages: fresh pages are zeroed by the kernel first,
/// which cost a third to a half of a 3x3 filter on 12 MP and a quarter of the detector's first run. Also reserves
/// 60 MB of heap in transparent huge pages. `CONVOLVE_KEEP_MEMORY=0` leaves malloc alone. Once per process;
/// nothing on other C libraries.
void ck_tune_allocator(int huge_heap);

/// Row-major `C = alpha · op(A) · op(B) + beta · C` (op: transposed when `trans_a` / `trans_b`), `C` m × n and
/// `op(A)` m × k: OpenBLAS's cblas_sgemm, loaded on the first call (with one thread unless OPENBLAS_NUM_THREADS or
/// OMP_NUM_THREADS says otherwise), or `ck_sgemm_reference` where no CBLAS library is installed.
/// `CONVOLVE_BLAS=none` takes the reference.
void ck_sgemm(int trans_a, int trans_b, int32_t m, int32_t n, int32_t k, float alpha, const float *a, int32_t lda,
              const float *b, int32_t ldb, float beta, float *c, int32_t ldc);
/// The plain triple loop of `ck_sgemm` (sums in float, in k order), for tests and machines without CBLAS.
void ck_sgemm_reference(int trans_a, int trans_b, int32_t m, int32_t n, int32_t k, float alpha, const float *a,
                        int32_t lda, const float *b, int32_t ldb, float beta, float *c, int32_t ldc);
/// The library `ck_sgemm` runs: "openblas" (or the CBLAS file loaded), or "reference".
const char *ck_sgemm_library(void);

#endif
