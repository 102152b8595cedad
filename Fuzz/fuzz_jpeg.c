/* libFuzzer target for the JPEG loader: first bytes, header-only info, then a full decode (the row reader over all rows). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_decode(data, size, ccodecs_jpeg_info, fuzz_read_jpeg);
  fuzz_metadata(data, size, fuzz_read_jpeg);
  return 0;
}
