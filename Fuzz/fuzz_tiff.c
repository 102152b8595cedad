/* libFuzzer target for the TIFF loader: first bytes, header-only info, then a full decode (the row reader over all
 * rows: strips, tiles, separate planes or the RGBA interface), and the metadata round trip. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_decode(data, size, ccodecs_tiff_info, fuzz_read_tiff);
  fuzz_metadata(data, size, fuzz_read_tiff);
  return 0;
}
