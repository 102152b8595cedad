/* libFuzzer target for the JPEG loader: sniff, header-only info, then a full decode. */
#include "fuzz_common.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_path(data, size);
  char msg[512];
  int format;
  if (ccodecs_sniff(path, &format, msg, sizeof msg) != 0) abort();
  ccodecs_info info;
  memset(&info, 0, sizeof info);
  msg[0] = 0;
  if (ccodecs_jpeg_info(path, &info, msg, sizeof msg) != 0 && msg[0] == 0) abort(); /* failures explain */
  void *pixels = NULL;
  memset(&info, 0, sizeof info);
  msg[0] = 0;
  if (ccodecs_jpeg_read(path, FUZZ_MAX_PIXELS, &info, &pixels, msg, sizeof msg) == 0) {
    fuzz_check_pixels(&info, pixels);
  } else if (pixels || msg[0] == 0) {
    abort();
  }
  ccodecs_free(pixels);
  return 0;
}
