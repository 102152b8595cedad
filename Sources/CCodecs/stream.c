#include "ccodecs.h"
#include "shim.h"

#include <stdlib.h>

/* ccodecs_reader / ccodecs_writer: a format tag and that format's state (png_shim.c, jpeg_shim.c). */
struct ccodecs_reader {
  int format;
  void *state;
};

struct ccodecs_writer {
  int format;
  void *state;
};

int ccodecs_reader_open(const ccodecs_input *in, int format, int64_t max_pixels, ccodecs_reader **reader,
                        ccodecs_info *info, ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap) {
  *reader = NULL;
  *strips = CCODECS_STRIPS_OK;
  if (format != CCODECS_PNG && format != CCODECS_JPEG) {
    ccodecs_set_msg(msg, msg_cap, "not a PNG or JPEG file");
    return CCODECS_FAILED;
  }
  ccodecs_reader *r = malloc(sizeof *r);
  if (!r) {
    ccodecs_set_msg(msg, msg_cap, "out of memory");
    return CCODECS_FAILED;
  }
  r->format = format;
  r->state = NULL;
  int status = format == CCODECS_PNG
                 ? ccodecs_png_reader_open(in, max_pixels, (png_reader **)&r->state, info, meta, strips, msg, msg_cap)
                 : ccodecs_jpeg_reader_open(in, max_pixels, (jpeg_reader **)&r->state, info, meta, msg, msg_cap);
  if (status != 0) {
    free(r);
    return status;
  }
  *reader = r;
  return 0;
}

int ccodecs_reader_read(ccodecs_reader *r, float *dst, size_t plane, int32_t rows, char *msg, size_t msg_cap) {
  return r->format == CCODECS_PNG ? ccodecs_png_reader_read(r->state, dst, plane, rows, msg, msg_cap)
                                  : ccodecs_jpeg_reader_read(r->state, dst, plane, rows, msg, msg_cap);
}

int ccodecs_reader_finish(ccodecs_reader *r, char *msg, size_t msg_cap) {
  return r->format == CCODECS_PNG ? ccodecs_png_reader_finish(r->state, msg, msg_cap)
                                  : ccodecs_jpeg_reader_finish(r->state, msg, msg_cap);
}

void ccodecs_reader_close(ccodecs_reader *r) {
  if (!r) return;
  if (r->format == CCODECS_PNG) ccodecs_png_reader_close(r->state);
  else ccodecs_jpeg_reader_close(r->state);
  free(r);
}

int ccodecs_writer_open(ccodecs_output *out, int format, int32_t width, int32_t height, int32_t channels,
                        int32_t bit_depth, int32_t compression, int32_t quality, const ccodecs_metadata *meta,
                        ccodecs_writer **writer, char *msg, size_t msg_cap) {
  *writer = NULL;
  ccodecs_writer *w = malloc(sizeof *w);
  if (!w) {
    ccodecs_set_msg(msg, msg_cap, "out of memory");
    return CCODECS_FAILED;
  }
  w->format = format;
  w->state = NULL;
  int status = format == CCODECS_PNG
                 ? ccodecs_png_writer_open(out, width, height, channels, bit_depth, compression, meta,
                                           (png_writer **)&w->state, msg, msg_cap)
                 : ccodecs_jpeg_writer_open(out, width, height, channels, quality, meta, (jpeg_writer **)&w->state,
                                            msg, msg_cap);
  if (status != 0) {
    free(w);
    return status;
  }
  *writer = w;
  return 0;
}

int ccodecs_writer_write(ccodecs_writer *w, const float *planes, size_t plane, int32_t rows, char *msg,
                         size_t msg_cap) {
  return w->format == CCODECS_PNG ? ccodecs_png_writer_write(w->state, planes, plane, rows, msg, msg_cap)
                                  : ccodecs_jpeg_writer_write(w->state, planes, plane, rows, msg, msg_cap);
}

int ccodecs_writer_finish(ccodecs_writer *w, char *msg, size_t msg_cap) {
  int status = w->format == CCODECS_PNG ? ccodecs_png_writer_finish(w->state, msg, msg_cap)
                                        : ccodecs_jpeg_writer_finish(w->state, msg, msg_cap);
  free(w);
  return status;
}

void ccodecs_writer_discard(ccodecs_writer *w) {
  if (!w) return;
  if (w->format == CCODECS_PNG) ccodecs_png_writer_discard(w->state);
  else ccodecs_jpeg_writer_discard(w->state);
  free(w);
}
