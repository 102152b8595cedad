/* libFuzzer target for the HEIC / AVIF loader (libheif): first bytes, header-only info, then a full decode (the row
 * reader over all rows), and the metadata round trip (re-encoded as PNG, JPEG, WebP and TIFF). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_decode(data, size, ccodecs_heif_info, fuzz_read_heif);
  fuzz_metadata(data, size, fuzz_read_heif);
  return 0;
}
