/* libFuzzer target for the WebP loader: first bytes, header-only info, then a full decode (the row reader over all
 * rows), and the metadata round trip. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_decode(data, size, ccodecs_webp_info, fuzz_read_webp);
  fuzz_metadata(data, size, fuzz_read_webp);
  return 0;
}
