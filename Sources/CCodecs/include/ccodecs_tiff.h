#ifndef CCODECS_TIFF_H
#define CCODECS_TIFF_H

#include "ccodecs.h"

/* TIFF and BigTIFF through libtiff (tiff_shim.c). Read directly, a strip (or a band of tiles) at a time: gray,
 * gray + alpha, RGB and RGBA at 1, 2, 4, 8 or 16 bits (unsigned; min-is-white inverted) and 32-bit IEEE float
 * (values as stored, bit_depth 32), contiguous samples or one sample per pixel, JPEG-in-TIFF YCbCr as RGB. Any other
 * layout libtiff's RGBA interface takes (palette, CMYK, YCbCr, LogLuv, separate planes) is decoded whole to 8-bit
 * gray or RGB (+ alpha). info->orientation is the Orientation tag; meta gets the ICC profile (no EXIF). Every
 * compression the installed libtiff decodes. The first image of the file, or image `page` (0 based) through the
 * _page variants. Writes 1-4 channels at 8 or 16 bits or 32-bit float (bit_depth 32: the values as given, no
 * clamping), Deflate-compressed with a predictor (compression 0: uncompressed), with the ICC profile; BigTIFF
 * when the data may pass 4 GB. The calls are the ones ccodecs.h describes. */
typedef struct ccodecs_tiff_reader ccodecs_tiff_reader;
typedef struct ccodecs_tiff_writer ccodecs_tiff_writer;

/* *strips of a reader whose image is decoded whole at the first read. */
enum { CCODECS_TIFF_STRIPS_WHOLE = 3 };

int ccodecs_tiff_info(const ccodecs_input *in, ccodecs_info *info, ccodecs_metadata *meta, char *msg, size_t msg_cap);
int ccodecs_tiff_info_page(const ccodecs_input *in, int32_t page, ccodecs_info *info, ccodecs_metadata *meta,
                           char *msg, size_t msg_cap);

int ccodecs_tiff_reader_open(const ccodecs_input *in, int64_t max_pixels, ccodecs_tiff_reader **reader,
                             ccodecs_info *info, ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap);
int ccodecs_tiff_reader_open_page(const ccodecs_input *in, int32_t page, int64_t max_pixels,
                                  ccodecs_tiff_reader **reader, ccodecs_info *info, ccodecs_metadata *meta, int *strips,
                                  char *msg, size_t msg_cap);
int ccodecs_tiff_reader_read(ccodecs_tiff_reader *reader, float *dst, size_t plane, int32_t rows, char *msg,
                             size_t msg_cap);
int ccodecs_tiff_reader_finish(ccodecs_tiff_reader *reader, ccodecs_metadata *late, char *msg, size_t msg_cap);
void ccodecs_tiff_reader_close(ccodecs_tiff_reader *reader);

int ccodecs_tiff_writer_open(ccodecs_output *out, int32_t width, int32_t height, int32_t channels,
                             const ccodecs_write_options *options, const ccodecs_metadata *meta,
                             ccodecs_tiff_writer **writer, char *msg, size_t msg_cap);
int ccodecs_tiff_writer_write(ccodecs_tiff_writer *writer, const float *planes, size_t plane, int32_t rows, char *msg,
                              size_t msg_cap);
int ccodecs_tiff_writer_finish(ccodecs_tiff_writer *writer, char *msg, size_t msg_cap);
void ccodecs_tiff_writer_discard(ccodecs_tiff_writer *writer);

#endif
