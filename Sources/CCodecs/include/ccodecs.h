#ifndef CCODECS_H
#define CCODECS_H

#include <stddef.h>
#include <stdint.h>

/* A thin shim over libpng and libjpeg. Every function returns 0 on success or -1 on failure,
 * with a one-line message copied into msg (capacity msg_cap). No longjmp leaves these functions. */

enum { CCODECS_UNKNOWN = 0, CCODECS_PNG = 1, CCODECS_JPEG = 2 };

typedef struct {
  int32_t width;
  int32_t height;
  /* Channels delivered by the read functions: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  int32_t channels;
  /* 16 for 16-bit PNGs, else 8. */
  int32_t bit_depth;
  /* EXIF orientation 1...8 (JPEG only); 1 when absent or invalid. */
  int32_t orientation;
} ccodecs_info;

/* Sets *format to CCODECS_PNG, CCODECS_JPEG or CCODECS_UNKNOWN from the leading bytes;
 * fails only when the file cannot be opened or read. */
int ccodecs_sniff(const char *path, int *format, char *msg, size_t msg_cap);

/* Header-only information. */
int ccodecs_png_info(const char *path, ccodecs_info *info, char *msg, size_t msg_cap);
int ccodecs_jpeg_info(const char *path, ccodecs_info *info, char *msg, size_t msg_cap);

/* Decode to an interleaved buffer, row-major, info->channels samples per pixel, 8-bit or
 * host-order 16-bit samples. Fails before allocating when width * height > max_pixels.
 * On success *pixels must be released with ccodecs_free. */
int ccodecs_png_read(const char *path, int64_t max_pixels, ccodecs_info *info, void **pixels,
                     char *msg, size_t msg_cap);
/* As ccodecs_png_read, for 8-bit JPEG: gray gives 1 channel, YCbCr / RGB / CMYK / YCCK give RGB.
 * Truncated or corrupt entropy-coded data is an error, not a warning. */
int ccodecs_jpeg_read(const char *path, int64_t max_pixels, ccodecs_info *info, void **pixels,
                      char *msg, size_t msg_cap);

void ccodecs_free(void *pixels);

/* Write an interleaved image: 1-4 channels, bit_depth 8 or 16 (host-order uint16 samples). */
int ccodecs_png_write(const char *path, const void *pixels, int32_t width, int32_t height,
                      int32_t channels, int32_t bit_depth, char *msg, size_t msg_cap);
/* Write an interleaved 8-bit image with 1 (gray) or 3 (RGB) channels, quality 1...100. */
int ccodecs_jpeg_write(const char *path, const uint8_t *pixels, int32_t width, int32_t height,
                       int32_t channels, int32_t quality, char *msg, size_t msg_cap);

#endif
