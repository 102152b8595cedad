// Matrix products for the layers the C kernels do not cover (grouped convolutions, general transposed
// convolutions, Gemm and MatMul): OpenBLAS's cblas_sgemm, opened on first use rather than linked. Linked, its
// constructor starts a thread per core in every process (about 6 ms of each start, and the idle threads spin on
// sched_yield for 0.1 s against the commands' own threads), although most commands never multiply matrices.
#include "ckernels.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// CBLAS's enums: row-major 101, no transpose 111, transpose 112.
typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                               float *, int);

static cblas_sgemm_fn ck_cblas_sgemm;
static const char *ck_cblas_name = "reference";
static pthread_once_t ck_cblas_once = PTHREAD_ONCE_INIT;

static void ck_cblas_open(void) {
  const char *choice = getenv("CONVOLVE_BLAS");
  if (choice && !strcmp(choice, "none")) return;
  // One thread: the layers that come here are small, and the callers run in parallel themselves.
  if (!getenv("OPENBLAS_NUM_THREADS") && !getenv("OMP_NUM_THREADS")) setenv("OPENBLAS_NUM_THREADS", "1", 0);
  static const char *const names[] = {"libopenblas.so.0", "libopenblas.so", "libcblas.so.3", "libblas.so.3"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    void *library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!library) continue;
    cblas_sgemm_fn f = (cblas_sgemm_fn)dlsym(library, "cblas_sgemm");
    if (f) {
      ck_cblas_sgemm = f;
      ck_cblas_name = names[i];
      return;
    }
    dlclose(library);
  }
}

const char *ck_sgemm_library(void) {
  pthread_once(&ck_cblas_once, ck_cblas_open);
  return ck_cblas_name;
}

void ck_sgemm_reference(int trans_a, int trans_b, int32_t m, int32_t n, int32_t k, float alpha, const float *a,
                        int32_t lda, const float *b, int32_t ldb, float beta, float *c, int32_t ldc) {
  for (int32_t i = 0; i < m; i++) {
    for (int32_t j = 0; j < n; j++) {
      float sum = 0;
      for (int32_t p = 0; p < k; p++) {
        const float x = trans_a ? a[(ptrdiff_t)p * lda + i] : a[(ptrdiff_t)i * lda + p];
        const float y = trans_b ? b[(ptrdiff_t)j * ldb + p] : b[(ptrdiff_t)p * ldb + j];
        sum += x * y;
      }
      float *out = c + (ptrdiff_t)i * ldc + j;
      // beta 0 ignores what C held (NaN included), as BLAS does.
      *out = alpha * sum + (beta == 0 ? 0 : beta * *out);
    }
  }
}

void ck_sgemm(int trans_a, int trans_b, int32_t m, int32_t n, int32_t k, float alpha, const float *a, int32_t lda,
              const float *b, int32_t ldb, float beta, float *c, int32_t ldc) {
  pthread_once(&ck_cblas_once, ck_cblas_open);
  if (ck_cblas_sgemm) {
    ck_cblas_sgemm(101, trans_a ? 112 : 111, trans_b ? 112 : 111, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    ck_sgemm_reference(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}
