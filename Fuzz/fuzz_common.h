/* Shared by the codec fuzz targets: hands each input to the shim as a path.
 *
 * The shim reads from a path, so the input is written into one memfd per process and the shim is
 * given /proc/self/fd/N: the real fopen-based code path runs, with no disk I/O and no shim change. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ccodecs.h"

/* Small enough that a hostile header cannot make one input take seconds or gigabytes,
 * large enough to reach every decode path. */
#define FUZZ_MAX_PIXELS ((int64_t)1 << 22)

static const char *fuzz_path(const uint8_t *data, size_t size) {
  static int fd = -1;
  static char path[64];
  if (fd < 0) {
    fd = memfd_create("fuzz-input", 0);
    if (fd < 0) {
      perror("memfd_create");
      abort();
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
    perror("memfd write");
    abort();
  }
  return path;
}

typedef int (*fuzz_info_fn)(const char *, ccodecs_info *, char *, size_t);
typedef int (*fuzz_read_fn)(const char *, int64_t, ccodecs_info *, float *, size_t, char *, size_t);

/* What the Swift loader does with one file: sniff, header-only info, the limit check, then a full
 * planar decode into a buffer sized from the header. Every failure must explain itself, and a
 * success must fill exactly the promised floats (ASan catches a write past the end). */
static void fuzz_decode(const uint8_t *data, size_t size, fuzz_info_fn info_fn, fuzz_read_fn read_fn) {
  const char *path = fuzz_path(data, size);
  char msg[512];
  int format;
  if (ccodecs_sniff(path, &format, msg, sizeof msg) != 0) abort();
  ccodecs_info info;
  memset(&info, 0, sizeof info);
  msg[0] = 0;
  if (info_fn(path, &info, msg, sizeof msg) != 0 && msg[0] == 0) abort();
  memset(&info, 0, sizeof info);
  msg[0] = 0;
  if (read_fn(path, FUZZ_MAX_PIXELS, &info, NULL, 0, msg, sizeof msg) != 0) {
    if (msg[0] == 0) abort();
    return;
  }
  if (info.width < 1 || info.height < 1 || info.channels < 1 || info.channels > 4 ||
      (int64_t)info.width * info.height > FUZZ_MAX_PIXELS)
    abort();
  size_t count = (size_t)info.width * info.height * info.channels;
  float *dst = malloc(count * sizeof(float));
  if (!dst) abort();
  msg[0] = 0;
  if (read_fn(path, FUZZ_MAX_PIXELS, &info, dst, count, msg, sizeof msg) == 0) {
    for (size_t i = 0; i < count; i += count - 1 ? count - 1 : 1)
      if (!(dst[i] >= 0 && dst[i] <= 1)) abort(); /* samples are v / 255 or v / 65535 */
  } else if (msg[0] == 0) {
    abort();
  }
  free(dst);
}

#endif
