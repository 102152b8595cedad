#ifndef CCODECS_SHIM_H
#define CCODECS_SHIM_H

#include <stdarg.h>
#include <stddef.h>

/* printf into the caller's message buffer, always NUL-terminated. */
void ccodecs_set_msg(char *msg, size_t msg_cap, const char *fmt, ...);

#include <stdio.h>

#include "ccodecs.h"

/* fopen that explains a failure in msg ("cannot open" for reading, "cannot create" for writing). */
FILE *ccodecs_open(const char *path, const char *mode, char *msg, size_t msg_cap);
/* The FILE a read takes its bytes from: the file, or the bytes in memory (fmemopen). */
FILE *ccodecs_open_input(const ccodecs_input *in, char *msg, size_t msg_cap);
/* The FILE a write goes to: the file, or a growing buffer in memory (open_memstream) that closing it makes final
 * in out->data / out->size. */
FILE *ccodecs_open_output(ccodecs_output *out, char *msg, size_t msg_cap);
/* After a failed write: closes fp (when not NULL) and releases a memory output's buffer. */
void ccodecs_discard_output(ccodecs_output *out, FILE *fp);
/* Flushes and closes a file that was written; -1 with the reason in msg when any write failed. */
int ccodecs_close_written(FILE *fp, char *msg, size_t msg_cap);

#include <stdint.h>

/* Strip conversions (planar.c). Planes are `plane` floats apart; n pixels are converted. */
void ccodecs_u8_to_planar(const uint8_t *src, size_t n, int channels, float *planes, size_t plane);
void ccodecs_u16_to_planar(const uint16_t *src, size_t n, int channels, float *planes, size_t plane);
void ccodecs_planar_to_u8(const float *planes, size_t plane, size_t n, int channels, uint8_t *dst);
void ccodecs_planar_to_u16(const float *planes, size_t plane, size_t n, int channels, uint16_t *dst);

/* Rows handed to libpng / libjpeg per call. */
enum { CCODECS_STRIP_ROWS = 16 };

/* The per-format halves of ccodecs_reader / ccodecs_writer (stream.c dispatches): opaque states. */
typedef struct png_reader png_reader;
typedef struct jpeg_reader jpeg_reader;
typedef struct png_writer png_writer;
typedef struct jpeg_writer jpeg_writer;
int ccodecs_png_reader_open(const ccodecs_input *in, int64_t max_pixels, png_reader **reader, ccodecs_info *info,
                            ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap);
int ccodecs_png_reader_read(png_reader *r, float *dst, size_t plane, int32_t rows, char *msg, size_t msg_cap);
int ccodecs_png_reader_finish(png_reader *r, char *msg, size_t msg_cap);
void ccodecs_png_reader_close(png_reader *r);
int ccodecs_jpeg_reader_open(const ccodecs_input *in, int64_t max_pixels, jpeg_reader **reader, ccodecs_info *info,
                             ccodecs_metadata *meta, char *msg, size_t msg_cap);
int ccodecs_jpeg_reader_read(jpeg_reader *r, float *dst, size_t plane, int32_t rows, char *msg, size_t msg_cap);
int ccodecs_jpeg_reader_finish(jpeg_reader *r, char *msg, size_t msg_cap);
void ccodecs_jpeg_reader_close(jpeg_reader *r);
int ccodecs_png_writer_open(ccodecs_output *out, int32_t width, int32_t height, int32_t channels, int32_t bit_depth,
                            int32_t compression, const ccodecs_metadata *meta, png_writer **writer, char *msg,
                            size_t msg_cap);
int ccodecs_png_writer_write(png_writer *w, const float *planes, size_t plane, int32_t rows, char *msg, size_t msg_cap);
int ccodecs_png_writer_finish(png_writer *w, char *msg, size_t msg_cap);
void ccodecs_png_writer_discard(png_writer *w);
int ccodecs_jpeg_writer_open(ccodecs_output *out, int32_t width, int32_t height, int32_t channels, int32_t quality,
                             const ccodecs_metadata *meta, jpeg_writer **writer, char *msg, size_t msg_cap);
int ccodecs_jpeg_writer_write(jpeg_writer *w, const float *planes, size_t plane, int32_t rows, char *msg,
                              size_t msg_cap);
int ccodecs_jpeg_writer_finish(jpeg_writer *w, char *msg, size_t msg_cap);
void ccodecs_jpeg_writer_discard(jpeg_writer *w);

#endif
