#ifndef CCODECS_JPEG_H
#define CCODECS_JPEG_H

#include "ccodecs.h"

/* JPEG through libjpeg-turbo (jpeg_shim.c): 8-bit only; gray reads as 1 channel, YCbCr / RGB / CMYK / YCCK as
 * RGB; truncated or corrupt entropy-coded data is an error, not a warning; at most 500 progressive scans.
 * Writes 1 or 3 channels with APP1 "Exif" (left out when over the 65527 bytes a segment holds) and APP2
 * "ICC_PROFILE" segments. The calls are the ones ccodecs.h describes; *strips is always CCODECS_STRIPS_OK and
 * finish's late metadata always empty. */
typedef struct ccodecs_jpeg_reader ccodecs_jpeg_reader;
typedef struct ccodecs_jpeg_writer ccodecs_jpeg_writer;

int ccodecs_jpeg_info(const ccodecs_input *in, ccodecs_info *info, ccodecs_metadata *meta, char *msg, size_t msg_cap);

int ccodecs_jpeg_reader_open(const ccodecs_input *in, int64_t max_pixels, ccodecs_jpeg_reader **reader,
                             ccodecs_info *info, ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap);
int ccodecs_jpeg_reader_read(ccodecs_jpeg_reader *reader, float *dst, size_t plane, int32_t rows, char *msg,
                             size_t msg_cap);
int ccodecs_jpeg_reader_finish(ccodecs_jpeg_reader *reader, ccodecs_metadata *late, char *msg, size_t msg_cap);
void ccodecs_jpeg_reader_close(ccodecs_jpeg_reader *reader);

/* options->quality 1...100; bit_depth and compression are ignored. */
int ccodecs_jpeg_writer_open(ccodecs_output *out, int32_t width, int32_t height, int32_t channels,
                             const ccodecs_write_options *options, const ccodecs_metadata *meta,
                             ccodecs_jpeg_writer **writer, char *msg, size_t msg_cap);
int ccodecs_jpeg_writer_write(ccodecs_jpeg_writer *writer, const float *planes, size_t plane, int32_t rows, char *msg,
                              size_t msg_cap);
int ccodecs_jpeg_writer_finish(ccodecs_jpeg_writer *writer, char *msg, size_t msg_cap);
void ccodecs_jpeg_writer_discard(ccodecs_jpeg_writer *writer);

#endif
