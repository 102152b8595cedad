#include "shim.h"

#include <math.h>

/* Conversions between interleaved samples and planar Float32, one strip of pixels at a time.
 * Values must match the Swift definitions exactly: decode is v / 255 or v / 65535 (a true division;
 * multiplying by the reciprocal differs for 126 of the 256 byte values), encode clamps to [0, 1]
 * (NaN to 0), scales, adds 0.5 and truncates. Contraction into a fused multiply-add would change
 * roundings at .5 boundaries, so it is off. The loops are written per channel count so that the
 * compiler sees constant strides and vectorises them, and each function is compiled for AVX2 too, chosen at
 * load time (target_clones). 8-bit samples are decoded through a table of the 256 quotients (the same values,
 * no division). */
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef CLONES
#define CLONES
#endif

/* v / 255 for every byte value, exactly as the division gives it. */
static float u8_quotients[256];
__attribute__((constructor)) static void fill_u8_quotients(void) {
  for (int v = 0; v < 256; v++) u8_quotients[v] = (float)v / 255.0f;
}

#define DEINTERLEAVE(T, CH, SCALE) /* 16-bit samples: the division itself */                                                                            \
  for (size_t i = 0; i < n; i++)                                                                              \
    for (int c = 0; c < CH; c++) planes[(size_t)c * plane + i] = (float)src[i * CH + c] / SCALE;

#define DEINTERLEAVE_U8(CH)                                                                                   \
  for (size_t i = 0; i < n; i++)                                                                              \
    for (int c = 0; c < CH; c++) planes[(size_t)c * plane + i] = u8_quotients[src[i * CH + c]];

CLONES void ccodecs_u8_to_planar(const uint8_t *restrict src, size_t n, int channels, float *restrict planes,
                                 size_t plane) {
  switch (channels) {
  case 1: DEINTERLEAVE_U8(1) break;
  case 2: DEINTERLEAVE_U8(2) break;
  case 3: DEINTERLEAVE_U8(3) break;
  default: DEINTERLEAVE_U8(4) break;
  }
}

CLONES void ccodecs_u16_to_planar(const uint16_t *restrict src, size_t n, int channels, float *restrict planes,
                           size_t plane) {
  switch (channels) {
  case 1: DEINTERLEAVE(uint16_t, 1, 65535.0f) break;
  case 2: DEINTERLEAVE(uint16_t, 2, 65535.0f) break;
  case 3: DEINTERLEAVE(uint16_t, 3, 65535.0f) break;
  default: DEINTERLEAVE(uint16_t, 4, 65535.0f) break;
  }
}

static inline float clamp01(float v) {
  /* NaN compares false and becomes 0, as in the Swift quantize. */
  float lo = v > 0.0f ? v : 0.0f;
  return lo < 1.0f ? lo : 1.0f;
}

#define INTERLEAVE(T, CH, SCALE)                                                                              \
  for (size_t i = 0; i < n; i++)                                                                              \
    for (int c = 0; c < CH; c++) {                                                                            \
      float scaled = clamp01(planes[(size_t)c * plane + i]) * SCALE;                                          \
      float shifted = scaled + 0.5f;                                                                          \
      dst[i * CH + c] = (T)(int32_t)shifted;                                                                  \
    }

CLONES void ccodecs_planar_to_u8(const float *restrict planes, size_t plane, size_t n, int channels, uint8_t *restrict dst) {
  switch (channels) {
  case 1: INTERLEAVE(uint8_t, 1, 255.0f) break;
  case 2: INTERLEAVE(uint8_t, 2, 255.0f) break;
  case 3: INTERLEAVE(uint8_t, 3, 255.0f) break;
  default: INTERLEAVE(uint8_t, 4, 255.0f) break;
  }
}

CLONES void ccodecs_planar_to_u16(const float *restrict planes, size_t plane, size_t n, int channels,
                           uint16_t *restrict dst) {
  switch (channels) {
  case 1: INTERLEAVE(uint16_t, 1, 65535.0f) break;
  case 2: INTERLEAVE(uint16_t, 2, 65535.0f) break;
  case 3: INTERLEAVE(uint16_t, 3, 65535.0f) break;
  default: INTERLEAVE(uint16_t, 4, 65535.0f) break;
  }
}
