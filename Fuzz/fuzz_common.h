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

#include "ccodecs_heif.h"
#include "ccodecs_jpeg.h"
#include "ccodecs_png.h"
#include "ccodecs_tiff.h"
#include "ccodecs_webp.h"

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

/* The whole-image read and write the Swift loader and saver do, for one format FMT (png, jpeg): the row reader
 * over all rows (dst NULL: only open it, which checks the header and the pixel limit), and the row writer over all
 * rows. A failure leaves nothing allocated. */
#define FUZZ_CODEC(FMT) FUZZ_READER(FMT) FUZZ_WRITER(FMT)
#define FUZZ_READER(FMT)                                                                                          \
  static int fuzz_read_##FMT(const ccodecs_input *in, int64_t max_pixels, ccodecs_info *info, float *dst,         \
                             size_t count, ccodecs_metadata *meta, char *msg, size_t cap) {                       \
    ccodecs_##FMT##_reader *r;                                                                                    \
    int status = ccodecs_##FMT##_reader_open(in, max_pixels, &r, info, meta, NULL, msg, cap);                     \
    if (status == 0 && dst) {                                                                                     \
      if (count != (size_t)info->width * info->height * info->channels) abort();                                  \
      ccodecs_metadata late;                                                                                      \
      status = ccodecs_##FMT##_reader_read(r, dst, (size_t)info->width * info->height, info->height, msg, cap);  \
      if (status == 0) status = ccodecs_##FMT##_reader_finish(r, meta ? &late : NULL, msg, cap);                 \
      if (status == 0 && meta) {                                                                                  \
        if (!meta->exif) meta->exif = late.exif, meta->exif_size = late.exif_size, late.exif = NULL;              \
        ccodecs_metadata_free(&late);                                                                             \
      }                                                                                                           \
      if (status != 0) ccodecs_metadata_free(meta);                                                               \
    }                                                                                                             \
    ccodecs_##FMT##_reader_close(r);                                                                              \
    return status;                                                                                                \
  }
#define FUZZ_WRITER(FMT)                                                                                          \
  static int fuzz_write_##FMT(ccodecs_output *out, const float *planes, int32_t width, int32_t height,           \
                              int32_t channels, const ccodecs_write_options *options, const ccodecs_metadata *meta, \
                              char *msg, size_t cap) {                                                            \
    ccodecs_##FMT##_writer *w;                                                                                    \
    if (ccodecs_##FMT##_writer_open(out, width, height, channels, options, meta, &w, msg, cap) != 0) return -1;  \
    if (ccodecs_##FMT##_writer_write(w, planes, (size_t)width * height, height, msg, cap) != 0) {                 \
      ccodecs_##FMT##_writer_discard(w);                                                                          \
      return -1;                                                                                                  \
    }                                                                                                             \
    return ccodecs_##FMT##_writer_finish(w, msg, cap);                                                            \
  }

FUZZ_CODEC(png)
FUZZ_CODEC(jpeg)
FUZZ_CODEC(webp)
FUZZ_CODEC(tiff)
FUZZ_READER(heif)

typedef int (*fuzz_info_fn)(const ccodecs_input *, ccodecs_info *, ccodecs_metadata *, char *, size_t);
typedef int (*fuzz_read_fn)(const ccodecs_input *, int64_t, ccodecs_info *, float *, size_t, ccodecs_metadata *,
                            char *, size_t);

/* What `-` input and metadata keeping do: decode from memory collecting the ICC profile and EXIF, read and
 * rewrite the EXIF orientation, and encode the image back to memory (PNG and JPEG) with that metadata. */
static void fuzz_metadata(const uint8_t *data, size_t size, fuzz_read_fn read_fn) {
  ccodecs_input in = {.path = NULL, .data = data, .size = size};
  ccodecs_info info;
  char msg[512];
  msg[0] = 0;
  if (read_fn(&in, FUZZ_MAX_PIXELS, &info, NULL, 0, NULL, msg, sizeof msg) != 0) {
    if (msg[0] == 0) abort();
    return;
  }
  size_t count = (size_t)info.width * info.height * info.channels;
  float *dst = malloc(count * sizeof(float));
  if (!dst) abort();
  ccodecs_metadata meta;
  msg[0] = 0;
  if (read_fn(&in, FUZZ_MAX_PIXELS, &info, dst, count, &meta, msg, sizeof msg) != 0) {
    if (msg[0] == 0 || meta.icc || meta.exif) abort(); /* a failure leaves nothing allocated */
    free(dst);
    return;
  }
  if ((meta.icc == NULL) != (meta.icc_size == 0) || (meta.exif == NULL) != (meta.exif_size == 0)) abort();
  int orientation = ccodecs_exif_orientation(meta.exif, meta.exif_size);
  if (orientation < 0 || orientation > 8) abort();
  if (ccodecs_exif_set_orientation(meta.exif, meta.exif_size, 1) && ccodecs_exif_orientation(meta.exif, meta.exif_size) != 1)
    abort();
  ccodecs_output out = {.path = NULL};
  ccodecs_write_options png = {.bit_depth = 8, .compression = -1}, jpeg = {.quality = 90};
  if (fuzz_write_png(&out, dst, info.width, info.height, info.channels, &png, &meta, msg, sizeof msg) == 0) {
    if (!out.data || out.size < 8) abort();
  }
  ccodecs_free(out.data);
  out = (ccodecs_output){.path = NULL};
  int jpeg_channels = info.channels <= 2 ? 1 : 3;
  if (info.width <= 65500 && info.height <= 65500 &&
      fuzz_write_jpeg(&out, dst, info.width, info.height, jpeg_channels, &jpeg, &meta, msg, sizeof msg) == 0) {
    if (!out.data || out.size < 4) abort();
  }
  ccodecs_free(out.data);
  /* WebP (gray as RGB) and TIFF at the input's depth, 16-bit PNG too. */
  ccodecs_write_options webp = {.quality = 50, .lossless = info.width * info.height <= 4096},
                        tiff = {.bit_depth = info.bit_depth, .compression = -1}, png16 = {.bit_depth = 16, .compression = 1};
  out = (ccodecs_output){.path = NULL};
  if (info.width <= 16383 && info.height <= 16383 &&
      fuzz_write_webp(&out, dst, info.width, info.height, info.channels, &webp, &meta, msg, sizeof msg) == 0) {
    if (!out.data || out.size < 12) abort();
  }
  ccodecs_free(out.data);
  out = (ccodecs_output){.path = NULL};
  if (fuzz_write_tiff(&out, dst, info.width, info.height, info.channels, &tiff, &meta, msg, sizeof msg) == 0) {
    if (!out.data || out.size < 8) abort();
  }
  ccodecs_free(out.data);
  out = (ccodecs_output){.path = NULL};
  if (fuzz_write_png(&out, dst, info.width, info.height, info.channels, &png16, NULL, msg, sizeof msg) == 0) {
    if (!out.data) abort();
  }
  ccodecs_free(out.data);
  ccodecs_metadata_free(&meta);
  free(dst);
}

/* What the Swift loader does with one file: read its first bytes, header-only info, the limit check, then a full
 * planar decode into a buffer sized from the header. Every failure must explain itself, and a success must fill
 * exactly the promised floats (ASan catches a write past the end). */
static void fuzz_decode(const uint8_t *data, size_t size, fuzz_info_fn info_fn, fuzz_read_fn read_fn) {
  ccodecs_input in = {.path = fuzz_path(data, size)};
  char msg[512];
  uint8_t head[16];
  size_t head_size;
  if (ccodecs_read_head(&in, head, sizeof head, &head_size, msg, sizeof msg) != 0) abort();
  ccodecs_info info;
  memset(&info, 0, sizeof info);
  msg[0] = 0;
  if (info_fn(&in, &info, NULL, msg, sizeof msg) != 0 && msg[0] == 0) abort();
  memset(&info, 0, sizeof info);
  msg[0] = 0;
  if (read_fn(&in, FUZZ_MAX_PIXELS, &info, NULL, 0, NULL, msg, sizeof msg) != 0) {
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
  if (read_fn(&in, FUZZ_MAX_PIXELS, &info, dst, count, NULL, msg, sizeof msg) == 0) {
    for (size_t i = 0; i < count && info.bit_depth != 32; i += count - 1 ? count - 1 : 1)
      if (!(dst[i] >= 0 && dst[i] <= 1)) abort(); /* samples are v / 255 or v / 65535 (floats as stored) */
  } else if (msg[0] == 0) {
    abort();
  }
  free(dst);
}

#endif
