#ifndef CCODECS_WEBP_H
#define CCODECS_WEBP_H

#include "ccodecs.h"

/* WebP through libwebp (webp_shim.c): lossy, lossless and alpha read as RGB or RGBA at 8 bits (the file is read
 * and decoded whole at the first read), the ICCP and EXIF chunks through the demux API; animated files refused.
 * Writes 1-4 channels (gray written as RGB) lossy at options->quality or lossless (options->lossless), with the
 * ICCP and EXIF chunks through the mux API; at most 16383 pixels a side. The calls are the ones ccodecs.h
 * describes; *strips is always CCODECS_STRIPS_OK (the table marks WebP as decoded whole) and finish's late
 * metadata always empty. */
typedef struct ccodecs_webp_reader ccodecs_webp_reader;
typedef struct ccodecs_webp_writer ccodecs_webp_writer;

int ccodecs_webp_info(const ccodecs_input *in, ccodecs_info *info, ccodecs_metadata *meta, char *msg, size_t msg_cap);

int ccodecs_webp_reader_open(const ccodecs_input *in, int64_t max_pixels, ccodecs_webp_reader **reader,
                             ccodecs_info *info, ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap);
int ccodecs_webp_reader_read(ccodecs_webp_reader *reader, float *dst, size_t plane, int32_t rows, char *msg,
                             size_t msg_cap);
int ccodecs_webp_reader_finish(ccodecs_webp_reader *reader, ccodecs_metadata *late, char *msg, size_t msg_cap);
void ccodecs_webp_reader_close(ccodecs_webp_reader *reader);

int ccodecs_webp_writer_open(ccodecs_output *out, int32_t width, int32_t height, int32_t channels,
                             const ccodecs_write_options *options, const ccodecs_metadata *meta,
                             ccodecs_webp_writer **writer, char *msg, size_t msg_cap);
/* The rows are kept (as 8-bit RGB or RGBA) until finish encodes them. */
int ccodecs_webp_writer_write(ccodecs_webp_writer *writer, const float *planes, size_t plane, int32_t rows, char *msg,
                              size_t msg_cap);
int ccodecs_webp_writer_finish(ccodecs_webp_writer *writer, char *msg, size_t msg_cap);
void ccodecs_webp_writer_discard(ccodecs_webp_writer *writer);

#endif
