#ifndef CCODECS_H
#define CCODECS_H

#include <stddef.h>
#include <stdint.h>

/* A thin shim over libpng and libjpeg: what every format shares. Every function returns 0 on success or -1 on failure,
 * with a one-line message copied into msg (capacity msg_cap). No longjmp leaves these functions. */

/* What the read and write calls return: 0 on success, else one of these, with the reason in msg.
 * The caller words the advice (which option raises the limit). */
enum { CCODECS_FAILED = -1, CCODECS_OVER_LIMIT = -2 };

typedef struct {
  int32_t width;
  int32_t height;
  /* Channels delivered by the read functions: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  int32_t channels;
  /* 16 for 16-bit samples, 32 for 32-bit float (TIFF: the values as stored, not scaled), else 8. */
  int32_t bit_depth;
  /* EXIF orientation 1...8 (JPEG, WebP; TIFF's Orientation tag); 1 when absent or invalid. */
  int32_t orientation;
} ccodecs_info;

/* Where a read takes its bytes from: the file `path`, or when path is NULL the `size` bytes at `data`
 * (standard input read by the caller). */
typedef struct {
  const char *path;
  const uint8_t *data;
  size_t size;
} ccodecs_input;

/* Where a write puts its bytes: the file `path`, or when path is NULL a buffer the write allocates and
 * returns in data / size (release it with ccodecs_free). */
typedef struct {
  const char *path;
  uint8_t *data;
  size_t size;
} ccodecs_output;

/* An image's ICC profile and EXIF, as stored. icc: the profile (PNG iCCP decompressed, or the JPEG APP2
 * "ICC_PROFILE" segments joined). exif: the TIFF structure ("II*\0..." or "MM\0*..."): a PNG eXIf chunk, or
 * the first JPEG APP1 "Exif" segment without its 6-byte "Exif\0\0" header. The read functions allocate
 * them (NULL and 0 when absent); ccodecs_metadata_free releases them. The write functions only read them. */
typedef struct {
  uint8_t *icc;
  size_t icc_size;
  uint8_t *exif;
  size_t exif_size;
} ccodecs_metadata;

void ccodecs_metadata_free(ccodecs_metadata *meta);
void ccodecs_free(void *p);

/* The EXIF orientation (tag 0x0112 of IFD0) in TIFF bytes: 1...8, or 0 when absent or out of range. */
int ccodecs_exif_orientation(const uint8_t *tiff, size_t size);
/* Rewrites that tag in place (a SHORT, or a LONG as some writers use); 1 when done, 0 when there is none. */
int ccodecs_exif_set_orientation(uint8_t *tiff, size_t size, int orientation);

/* Every format has one C file and one header (ccodecs_png.h, ccodecs_jpeg.h) with the same set of calls, FMT
 * standing for the format:
 *
 *   ccodecs_FMT_info: the header only (size, channels, depth, orientation), no pixel limit; with meta not
 *     NULL, also the ICC profile and EXIF found before the image data.
 *   ccodecs_FMT_reader_open / _read / _finish / _close: the rows, top to bottom, a strip at a time, as planar
 *     Float32 v / 255 (v / 65535 for 16 bits). Whole-image decoding is this reader run over all rows.
 *   ccodecs_FMT_writer_open / _write / _finish / _discard: the file written a strip of rows at a time.
 *
 * Every call keeps longjmp inside the shim and returns 0, CCODECS_FAILED or CCODECS_OVER_LIMIT with the reason
 * in msg; after a failure only close / discard may follow. */

/* Whether a streamed filter can take a reader's rows a strip at a time (*strips), or why not: an interlaced
 * image (its first read decodes it whole), metadata after the image data (too late for the output's header). */
enum { CCODECS_STRIPS_OK = 0, CCODECS_STRIPS_INTERLACED = 1, CCODECS_STRIPS_LATE_EXIF = 2 };

/* What a writer is asked for: bit_depth 8, 16 or 32 (float; formats with one depth ignore it), compression -1
 * for the format's fast default or 0...9, quality 1...100 (lossy formats), lossless 1 for WebP's lossless mode. */
typedef struct {
  int32_t bit_depth;
  int32_t compression;
  int32_t quality;
  int32_t lossless;
} ccodecs_write_options;

/* Up to cap leading bytes of the input into head, *n of them (fewer for a short file): what the formats'
 * signatures are matched against. Fails only when the file cannot be opened or read. */
int ccodecs_read_head(const ccodecs_input *in, uint8_t *head, size_t cap, size_t *n, char *msg, size_t msg_cap);

#endif
