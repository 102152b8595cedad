/* libFuzzer target for the PNG loader: first bytes, header-only info, then a full decode (the row reader over all rows).
 *
 * Each input is decoded twice: as is, which exercises the CRC checks, and with every complete
 * chunk's CRC recomputed, so that mutated chunk contents reach libpng's decoding instead of
 * stopping at the first CRC error (libpng is not instrumented, so the fuzzer cannot learn the
 * CRC by itself). */
#include "fuzz_common.h"

#include <string.h>
#include <zlib.h>

static void decode(const uint8_t *data, size_t size) {
  fuzz_decode(data, size, ccodecs_png_info, fuzz_read_png);
  fuzz_metadata(data, size, fuzz_read_png);
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  decode(data, size);
  if (size < 8 + 12) return 0;
  uint8_t *fixed = malloc(size);
  memcpy(fixed, data, size);
  int changed = 0;
  for (size_t at = 8; at + 12 <= size;) {
    uint32_t length = be32(fixed + at);
    if (length > size - at - 12) break;
    uint32_t crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), fixed + at + 4, length + 4);
    uint8_t *stored = fixed + at + 8 + length;
    if (be32(stored) != crc) {
      stored[0] = crc >> 24, stored[1] = crc >> 16, stored[2] = crc >> 8, stored[3] = crc;
      changed = 1;
    }
    at += 12 + (size_t)length;
  }
  if (changed) decode(fixed, size);
  free(fixed);
  return 0;
}
