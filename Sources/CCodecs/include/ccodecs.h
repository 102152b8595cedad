#ifndef CCODECS_H
#define CCODECS_H

#include <stddef.h>
#include <stdint.h>

/* A thin shim over libpng and libjpeg. Every function returns 0 on success or -1 on failure,
 * with a one-line message copied into msg (capacity msg_cap). No longjmp leaves these functions. */

enum { CCODECS_UNKNOWN = 0, CCODECS_PNG = 1, CCODECS_JPEG = 2 };

/* What the read and write calls return: 0 on success, else one of these, with the reason in msg.
 * The caller words the advice (which option raises the limit). */
enum { CCODECS_FAILED = -1, CCODECS_OVER_LIMIT = -2 };

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

/* ccodecs_sniff for either kind of input. */
int ccodecs_sniff_input(const ccodecs_input *in, int *format, char *msg, size_t msg_cap);

/* The read functions below, from a file or memory, also filling *meta when meta is not NULL (it is cleared
 * first; on failure nothing is left allocated). A PNG eXIf chunk after the image data is found by a full
 * read only. */
int ccodecs_png_read(const ccodecs_input *in, int64_t max_pixels, ccodecs_info *info, float *dst, size_t dst_count,
                     ccodecs_metadata *meta, char *msg, size_t msg_cap);
int ccodecs_jpeg_read(const ccodecs_input *in, int64_t max_pixels, ccodecs_info *info, float *dst, size_t dst_count,
                      ccodecs_metadata *meta, char *msg, size_t msg_cap);

/* The write functions below, to a file or memory, with the ICC profile and EXIF of *meta when meta is not
 * NULL. PNG: iCCP and eXIf chunks; a profile libpng finds unfit for the image (e.g. RGB on gray) is left out.
 * JPEG: APP1 "Exif" (left out when over the 65527 bytes a segment holds) and APP2 "ICC_PROFILE" segments. */
int ccodecs_png_write(ccodecs_output *out, const float *planes, int32_t width, int32_t height, int32_t channels,
                      int32_t bit_depth, int32_t compression, const ccodecs_metadata *meta, char *msg, size_t msg_cap);
int ccodecs_jpeg_write(ccodecs_output *out, const float *planes, int32_t width, int32_t height, int32_t channels,
                       int32_t quality, const ccodecs_metadata *meta, char *msg, size_t msg_cap);

/* The EXIF orientation (tag 0x0112 of IFD0) in TIFF bytes: 1...8, or 0 when absent or out of range. */
int ccodecs_exif_orientation(const uint8_t *tiff, size_t size);
/* Rewrites that tag in place (a SHORT, or a LONG as some writers use); 1 when done, 0 when there is none. */
int ccodecs_exif_set_orientation(uint8_t *tiff, size_t size, int orientation);

/* Header-only information. */
int ccodecs_png_info(const char *path, ccodecs_info *info, char *msg, size_t msg_cap);
int ccodecs_jpeg_info(const char *path, ccodecs_info *info, char *msg, size_t msg_cap);

/* Decode straight into planar Float32 (fails before allocating anything when width * height >
 * max_pixels): info->channels planes of width * height values v / 255
 * (v / 65535 for 16-bit PNGs), converted a strip of rows at a time. With dst NULL, only checks the
 * header and the pixel limit and fills *info (the same errors as a full read, nothing allocated);
 * otherwise dst_count must be channels * width * height of the file, else it fails.
 * PNG: every colour type and depth, palette and tRNS expanded, 16-bit kept. JPEG: 8-bit only; gray
 * gives 1 channel, YCbCr / RGB / CMYK / YCCK give RGB; truncated or corrupt entropy-coded data is an
 * error, not a warning. */
int ccodecs_png_read_planar(const char *path, int64_t max_pixels, ccodecs_info *info, float *dst, size_t dst_count,
                            char *msg, size_t msg_cap);
int ccodecs_jpeg_read_planar(const char *path, int64_t max_pixels, ccodecs_info *info, float *dst,
                             size_t dst_count, char *msg, size_t msg_cap);

/* Write the first `channels` planes (width * height floats each) of planar Float32 data, clamped to
 * [0, 1] (NaN as 0) and rounded to bit_depth bits, converting a strip of rows at a time.
 * compression -1 is the fast default (Paeth filter, zlib Z_RLE; see png_shim.c for the numbers);
 * 0...9 uses libpng's adaptive filter choice with that zlib level (0 stores, unfiltered). */
int ccodecs_png_write_planar(const char *path, const float *planes, int32_t width, int32_t height, int32_t channels,
                             int32_t bit_depth, int32_t compression, char *msg, size_t msg_cap);
/* Write an 8-bit JPEG, quality 1...100, from the first 1 (gray) or 3 (RGB) planes of planar Float32
 * data (clamped, rounded). */
int ccodecs_jpeg_write_planar(const char *path, const float *planes, int32_t width, int32_t height,
                              int32_t channels, int32_t quality, char *msg, size_t msg_cap);

/* Incremental reading and writing, a few rows at a time, so that an image larger than memory can be filtered
 * strip by strip. Rows come and go as planar Float32 exactly as the whole-image functions above give and take
 * them (the same values, the same bytes written). Every call keeps longjmp inside the shim and returns 0,
 * CCODECS_FAILED or CCODECS_OVER_LIMIT with the reason in msg; after a failure only close / discard may follow. */
typedef struct ccodecs_reader ccodecs_reader;
typedef struct ccodecs_writer ccodecs_writer;

/* Opens a PNG or JPEG (format CCODECS_PNG or CCODECS_JPEG) and reads its header: *info and, when meta is not
 * NULL, the ICC profile and EXIF as the whole-image read gives them (a PNG eXIf chunk after the image data is
 * looked for by walking the chunks first). *strips says whether rows can be read a strip at a time:
 * CCODECS_STRIPS_OK, or why not (then close it and read the whole image). The input must stay valid until close. */
enum { CCODECS_STRIPS_OK = 0, CCODECS_STRIPS_INTERLACED = 1, CCODECS_STRIPS_LATE_EXIF = 2 };
int ccodecs_reader_open(const ccodecs_input *in, int format, int64_t max_pixels, ccodecs_reader **reader,
                        ccodecs_info *info, ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap);
/* The next `rows` rows into info->channels planes `plane` floats apart, starting at dst. */
int ccodecs_reader_read(ccodecs_reader *reader, float *dst, size_t plane, int32_t rows, char *msg, size_t msg_cap);
/* After the last row: reads the end of the file and checks it as the whole-image read does. */
int ccodecs_reader_finish(ccodecs_reader *reader, char *msg, size_t msg_cap);
/* Releases the reader (finished or not); NULL is fine. */
void ccodecs_reader_close(ccodecs_reader *reader);

/* Starts a PNG (bit_depth 8 or 16, compression as ccodecs_png_write) or JPEG (quality; 1 or 3 channels) file
 * with the metadata of *meta, as ccodecs_png_write / ccodecs_jpeg_write would. *out must stay valid until
 * finish or discard. */
int ccodecs_writer_open(ccodecs_output *out, int format, int32_t width, int32_t height, int32_t channels,
                        int32_t bit_depth, int32_t compression, int32_t quality, const ccodecs_metadata *meta,
                        ccodecs_writer **writer, char *msg, size_t msg_cap);
/* The next `rows` rows from the first `channels` planes, `plane` floats apart (clamped and rounded). */
int ccodecs_writer_write(ccodecs_writer *writer, const float *planes, size_t plane, int32_t rows, char *msg,
                         size_t msg_cap);
/* After the last row: completes the file, closes it (a memory output's bytes are then in out->data / size) and
 * releases the writer, also on failure. */
int ccodecs_writer_finish(ccodecs_writer *writer, char *msg, size_t msg_cap);
/* Abandons an unfinished writer: closes the file (the caller removes it) or frees the memory output. */
void ccodecs_writer_discard(ccodecs_writer *writer);

#endif
