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

/* Checks what every successful read promises, so a wrong size shows up under ASan. */
static void fuzz_check_pixels(const ccodecs_info *info, void *pixels) {
  if (!pixels || info->width < 1 || info->height < 1 || info->channels < 1 || info->channels > 4 ||
      (int64_t)info->width * info->height > FUZZ_MAX_PIXELS)
    abort();
  size_t bytes = (size_t)info->width * info->height * info->channels * (info->bit_depth / 8);
  volatile uint8_t sink = 0;
  sink ^= ((uint8_t *)pixels)[0];
  sink ^= ((uint8_t *)pixels)[bytes - 1];
  (void)sink;
}

#endif
