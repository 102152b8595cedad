/* libFuzzer target for the JPEG loader: sniff, header-only info, then a full decode. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_decode(data, size, ccodecs_jpeg_info, ccodecs_jpeg_read_planar);
  fuzz_metadata(data, size, ccodecs_jpeg_read);
  return 0;
}
