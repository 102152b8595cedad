#include "ccodecs_jpeg.h"
#include "shim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jb;
  char *msg;
  size_t msg_cap;
} jpeg_err;

static void describe(j_common_ptr c) {
  jpeg_err *e = (jpeg_err *)c->err;
  int code = c->err->msg_code;
  if (code == JERR_BAD_PRECISION) {
    ccodecs_set_msg(e->msg, e->msg_cap, "%d-bit JPEG is not supported", c->err->msg_parm.i[0]);
  } else if (code == JWRN_JPEG_EOF) {
    ccodecs_set_msg(e->msg, e->msg_cap, "truncated JPEG data");
  } else {
    char text[JMSG_LENGTH_MAX];
    (*c->err->format_message)(c, text);
    ccodecs_set_msg(e->msg, e->msg_cap, "%s", text);
  }
}

static void on_error_exit(j_common_ptr c) {
  describe(c);
  longjmp(((jpeg_err *)c->err)->jb, 1);
}

/* libjpeg only warns about truncated or corrupt entropy-coded data and fills the rest of the image
 * with grey; a silently damaged image is worse than none, so those warnings abort the decode.
 * Harmless warnings (unknown JFIF revision, unknown Adobe transform, unusual SOS parameters) pass. */
static void on_emit_message(j_common_ptr c, int level) {
  if (level >= 0) return;
  switch (c->err->msg_code) {
  case JWRN_JPEG_EOF:
  case JWRN_HIT_MARKER:
  case JWRN_EXTRANEOUS_DATA:
  case JWRN_HUFF_BAD_CODE:
  case JWRN_ARITH_BAD_CODE:
  case JWRN_MUST_RESYNC:
  case JWRN_BOGUS_PROGRESSION:
    on_error_exit(c);
    break;
  default:
    c->err->num_warnings++;
  }
}

static void init_err(jpeg_err *e, char *msg, size_t msg_cap) {
  memset(e, 0, sizeof *e);
  jpeg_std_error(&e->pub);
  e->pub.error_exit = on_error_exit;
  e->pub.emit_message = on_emit_message;
  e->msg = msg;
  e->msg_cap = msg_cap;
}

/* A progressive JPEG may hold about 2000 valid scans, each a pass over the whole coefficient
 * buffer: a file of a few kilobytes that decodes for about a minute at 100 MP. Like djpeg -maxscans,
 * refuse more than this many (real files have about 10). libjpeg calls the monitor as it absorbs
 * each scan. */
enum { MAX_SCANS = 500 };

static void limit_scans(j_common_ptr c) {
  if (!c->is_decompressor || ((j_decompress_ptr)c)->input_scan_number <= MAX_SCANS) return;
  jpeg_err *e = (jpeg_err *)c->err;
  ccodecs_set_msg(e->msg, e->msg_cap, "JPEG has more than %d scans", MAX_SCANS);
  longjmp(e->jb, 1);
}

/* The TIFF bytes of the first APP1 "Exif" segment (after its 6-byte header), or NULL. */
static const unsigned char *exif_segment(j_decompress_ptr d, size_t *size) {
  for (jpeg_saved_marker_ptr m = d->marker_list; m; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 14 || memcmp(m->data, "Exif\0\0", 6) != 0) continue;
    *size = m->data_length - 6;
    return m->data + 6;
  }
  return NULL;
}

/* The EXIF orientation; 1 when absent or out of range. */
static int exif_orientation(j_decompress_ptr d) {
  size_t size = 0;
  const unsigned char *tiff = exif_segment(d, &size);
  int orientation = tiff ? ccodecs_exif_orientation(tiff, size) : 0;
  return orientation ? orientation : 1;
}

/* Copies the ICC profile and EXIF into *meta (APP2 segments must have been saved). */
static void collect_metadata(j_decompress_ptr d, ccodecs_metadata *meta, jpeg_err *e) {
  JOCTET *icc = NULL;
  unsigned int icc_size = 0;
  if (jpeg_read_icc_profile(d, &icc, &icc_size) && icc && icc_size) {
    meta->icc = icc;
    meta->icc_size = icc_size;
  } else {
    free(icc);
  }
  size_t size = 0;
  const unsigned char *tiff = exif_segment(d, &size);
  if (tiff) {
    meta->exif = malloc(size);
    if (!meta->exif) {
      ccodecs_set_msg(e->msg, e->msg_cap, "out of memory for %zu bytes of EXIF", size);
      longjmp(e->jb, 1);
    }
    memcpy(meta->exif, tiff, size);
    meta->exif_size = size;
  }
}

/* Adobe (Photoshop, Pillow) CMYK JPEGs store inverted samples; others store plain CMYK. */
static void cmyk_to_rgb(const JSAMPLE *src, unsigned char *dst, JDIMENSION width, int inverted) {
  for (JDIMENSION x = 0; x < width; x++, src += 4, dst += 3) {
    unsigned k = inverted ? src[3] : 255u - src[3];
    for (int i = 0; i < 3; i++) {
      unsigned v = inverted ? src[i] : 255u - src[i];
      dst[i] = (unsigned char)((v * k + 127) / 255);
    }
  }
}

/* Reads the header (APP1 segments kept, APP2 too with meta), chooses the colour space the rows come in (*cmyk:
 * CMYK samples, turned into RGB per row), refuses more than max_pixels pixels and fills out and *meta. */
static void read_header(j_decompress_ptr d, jpeg_err *e, int64_t max_pixels, ccodecs_info *out, ccodecs_metadata *meta,
                        int *cmyk) {
  jpeg_save_markers(d, JPEG_APP0 + 1, 0xffff);
  if (meta) jpeg_save_markers(d, JPEG_APP0 + 2, 0xffff);
  jpeg_read_header(d, TRUE);
  if (d->data_precision != 8) {
    ccodecs_set_msg(e->msg, e->msg_cap, "%d-bit JPEG is not supported", d->data_precision);
    longjmp(e->jb, 1);
  }
  int channels;
  *cmyk = 0;
  switch (d->jpeg_color_space) {
  case JCS_GRAYSCALE:
    channels = 1;
    d->out_color_space = JCS_GRAYSCALE;
    break;
  case JCS_YCbCr:
  case JCS_RGB:
    channels = 3;
    d->out_color_space = JCS_RGB;
    break;
  case JCS_CMYK:
  case JCS_YCCK:
    channels = 3;
    *cmyk = 1;
    d->out_color_space = JCS_CMYK;
    break;
  default:
    ccodecs_set_msg(e->msg, e->msg_cap, "unsupported JPEG colour space with %d components", d->num_components);
    longjmp(e->jb, 1);
  }
  if ((uint64_t)d->image_width * d->image_height > (uint64_t)max_pixels) {
    ccodecs_set_msg(e->msg, e->msg_cap, "JPEG claims %ux%u pixels, more than the limit of %lld", d->image_width,
                    d->image_height, (long long)max_pixels);
    longjmp(e->jb, CCODECS_OVER_LIMIT);
  }
  out->width = (int32_t)d->image_width;
  out->height = (int32_t)d->image_height;
  out->channels = channels;
  out->bit_depth = 8;
  out->orientation = exif_orientation(d);
  if (meta) collect_metadata(d, meta, e);
}

int ccodecs_jpeg_info(const ccodecs_input *in, ccodecs_info *out, ccodecs_metadata *meta, char *msg, size_t msg_cap) {
  if (meta) memset(meta, 0, sizeof *meta);
  FILE *fp = ccodecs_open_input(in, msg, msg_cap);
  if (!fp) return CCODECS_FAILED;
  struct jpeg_decompress_struct d;
  struct jpeg_progress_mgr progress = {.progress_monitor = limit_scans};
  jpeg_err e;
  memset(&d, 0, sizeof d);
  init_err(&e, msg, msg_cap);
  d.err = &e.pub;
  int status = setjmp(e.jb);
  if (status) {
    jpeg_destroy_decompress(&d);
    ccodecs_metadata_free(meta);
    fclose(fp);
    return status == CCODECS_OVER_LIMIT ? CCODECS_OVER_LIMIT : CCODECS_FAILED;
  }
  jpeg_create_decompress(&d);
  d.progress = &progress;
  jpeg_stdio_src(&d, fp);
  int cmyk;
  read_header(&d, &e, INT64_MAX, out, meta, &cmyk);
  jpeg_destroy_decompress(&d);
  fclose(fp);
  return 0;
}

/* The largest APP1 payload: a segment length is 16 bits and counts its own 2 bytes. */
enum { MAX_SEGMENT_DATA = 65533 };

/* The reader and writer. Each call sets its own setjmp in the error manager (CCODECS_PRELUDE). */

struct ccodecs_jpeg_reader {
  struct jpeg_decompress_struct d;
  jpeg_err e;
  struct jpeg_progress_mgr progress;
  FILE *fp;
  int channels, cmyk, failed;
  unsigned char *buf;
  JSAMPLE *cmyk_row;
};

void ccodecs_jpeg_reader_close(ccodecs_jpeg_reader *r) {
  if (!r) return;
  jpeg_destroy_decompress(&r->d);
  if (r->fp) fclose(r->fp);
  free(r->buf);
  free(r->cmyk_row);
  free(r);
}

int ccodecs_jpeg_reader_open(const ccodecs_input *in, int64_t max_pixels, ccodecs_jpeg_reader **reader,
                             ccodecs_info *out, ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap) {
  *reader = NULL;
  if (strips) *strips = CCODECS_STRIPS_OK;
  if (meta) memset(meta, 0, sizeof *meta);
  ccodecs_jpeg_reader *r = ccodecs_new_state(sizeof *r, msg, msg_cap);
  if (!r) return CCODECS_FAILED;
  r->fp = ccodecs_open_input(in, msg, msg_cap);
  if (!r->fp) {
    free(r);
    return CCODECS_FAILED;
  }
  init_err(&r->e, msg, msg_cap);
  r->d.err = &r->e.pub;
  int status = setjmp(r->e.jb);
  if (status) {
    ccodecs_jpeg_reader_close(r);
    ccodecs_metadata_free(meta);
    return status == CCODECS_OVER_LIMIT ? CCODECS_OVER_LIMIT : CCODECS_FAILED;
  }
  j_decompress_ptr d = &r->d;
  jpeg_create_decompress(d);
  r->progress.progress_monitor = limit_scans;
  d->progress = &r->progress;
  jpeg_stdio_src(d, r->fp);
  read_header(d, &r->e, max_pixels, out, meta, &r->cmyk);
  r->channels = out->channels;
  jpeg_start_decompress(d);
  if (d->output_components != (r->cmyk ? 4 : r->channels) || d->output_width != d->image_width ||
      d->output_height != d->image_height) {
    ccodecs_set_msg(msg, msg_cap, "unexpected JPEG output layout (%d components)", d->output_components);
    longjmp(r->e.jb, 1);
  }
  r->buf = malloc((size_t)d->output_width * r->channels * CCODECS_STRIP_ROWS);
  if (r->cmyk) r->cmyk_row = malloc((size_t)d->output_width * 4 * CCODECS_STRIP_ROWS);
  if (!r->buf || (r->cmyk && !r->cmyk_row)) {
    ccodecs_set_msg(msg, msg_cap, "out of memory for a strip %u pixels wide", d->output_width);
    longjmp(r->e.jb, 1);
  }
  *reader = r;
  return 0;
}

int ccodecs_jpeg_reader_read(ccodecs_jpeg_reader *r, float *dst, size_t plane, int32_t rows, char *msg,
                             size_t msg_cap) {
  CCODECS_PRELUDE(r, r->e, "JPEG reader", (void)0);
  j_decompress_ptr d = &r->d;
  size_t width = d->output_width, stride = width * r->channels;
  for (int32_t y = 0; y < rows;) {
    size_t want = rows - y < CCODECS_STRIP_ROWS ? (size_t)(rows - y) : CCODECS_STRIP_ROWS;
    if (d->output_scanline + want > d->output_height) {
      ccodecs_set_msg(msg, msg_cap, "JPEG has only %u rows", d->output_height);
      longjmp(r->e.jb, 1);
    }
    JSAMPROW rowp[CCODECS_STRIP_ROWS];
    for (size_t i = 0; i < want; i++) rowp[i] = r->cmyk ? r->cmyk_row + i * width * 4 : r->buf + i * stride;
    size_t got = 0;
    while (got < want) {
      JDIMENSION n = jpeg_read_scanlines(d, rowp + got, (JDIMENSION)(want - got));
      if (n == 0) {
        ccodecs_set_msg(msg, msg_cap, "truncated JPEG data");
        longjmp(r->e.jb, 1);
      }
      got += n;
    }
    if (r->cmyk)
      for (size_t i = 0; i < want; i++)
        cmyk_to_rgb(r->cmyk_row + i * width * 4, r->buf + i * stride, d->output_width, d->saw_Adobe_marker);
    ccodecs_u8_to_planar(r->buf, want * width, r->channels, dst + (size_t)y * width, plane);
    y += (int32_t)want;
  }
  return 0;
}

int ccodecs_jpeg_reader_finish(ccodecs_jpeg_reader *r, ccodecs_metadata *late, char *msg, size_t msg_cap) {
  if (late) memset(late, 0, sizeof *late);
  CCODECS_PRELUDE(r, r->e, "JPEG reader", (void)0);
  jpeg_finish_decompress(&r->d);
  return 0;
}

struct ccodecs_jpeg_writer {
  struct jpeg_compress_struct c;
  jpeg_err e;
  ccodecs_output *out;
  FILE *fp;
  int32_t channels, failed;
  uint8_t *strip;
};

void ccodecs_jpeg_writer_discard(ccodecs_jpeg_writer *w) {
  if (!w) return;
  jpeg_destroy_compress(&w->c);
  ccodecs_discard_output(w->out, w->fp);
  free(w->strip);
  free(w);
}

int ccodecs_jpeg_writer_open(ccodecs_output *out, int32_t width, int32_t height, int32_t channels,
                             const ccodecs_write_options *options, const ccodecs_metadata *meta,
                             ccodecs_jpeg_writer **writer, char *msg, size_t msg_cap) {
  int32_t quality = options->quality;
  *writer = NULL;
  if ((channels != 1 && channels != 3) || quality < 1 || quality > 100 || width < 1 || height < 1 ||
      width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION) {
    ccodecs_set_msg(msg, msg_cap, "cannot write a %dx%d JPEG with %d channels at quality %d", width, height,
                    channels, quality);
    return CCODECS_FAILED;
  }
  ccodecs_jpeg_writer *w = ccodecs_new_state(sizeof *w, msg, msg_cap);
  if (!w) return CCODECS_FAILED;
  w->out = out;
  w->channels = channels;
  w->fp = ccodecs_open_output(out, msg, msg_cap);
  w->strip = malloc((size_t)width * channels * CCODECS_STRIP_ROWS);
  if (!w->fp || !w->strip) {
    if (w->fp) ccodecs_discard_output(out, w->fp);
    else ccodecs_set_msg(msg, msg_cap, "out of memory");
    free(w->strip);
    free(w);
    return CCODECS_FAILED;
  }
  init_err(&w->e, msg, msg_cap);
  w->c.err = &w->e.pub;
  unsigned char *volatile app1 = NULL;
  if (setjmp(w->e.jb)) {
    free(app1);
    ccodecs_jpeg_writer_discard(w);
    return CCODECS_FAILED;
  }
  j_compress_ptr c = &w->c;
  jpeg_create_compress(c);
  jpeg_stdio_dest(c, w->fp);
  c->image_width = (JDIMENSION)width;
  c->image_height = (JDIMENSION)height;
  c->input_components = channels;
  c->in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(c);
  jpeg_set_quality(c, quality, TRUE);
  jpeg_start_compress(c, TRUE);
  if (meta && meta->exif && meta->exif_size && meta->exif_size + 6 <= MAX_SEGMENT_DATA) {
    app1 = malloc(meta->exif_size + 6);
    if (!app1) {
      ccodecs_set_msg(msg, msg_cap, "out of memory");
      longjmp(w->e.jb, 1);
    }
    memcpy(app1, "Exif\0\0", 6);
    memcpy(app1 + 6, meta->exif, meta->exif_size);
    jpeg_write_marker(c, JPEG_APP0 + 1, app1, (unsigned int)(meta->exif_size + 6));
  }
  if (meta && meta->icc && meta->icc_size && meta->icc_size <= 0xffffffffu)
    jpeg_write_icc_profile(c, meta->icc, (unsigned int)meta->icc_size);
  free(app1);
  *writer = w;
  return 0;
}

int ccodecs_jpeg_writer_write(ccodecs_jpeg_writer *w, const float *planes, size_t plane, int32_t rows, char *msg,
                              size_t msg_cap) {
  CCODECS_PRELUDE(w, w->e, "JPEG writer", (void)0);
  j_compress_ptr c = &w->c;
  size_t width = c->image_width, stride = width * w->channels;
  for (int32_t y = 0; y < rows;) {
    size_t n = rows - y < CCODECS_STRIP_ROWS ? (size_t)(rows - y) : CCODECS_STRIP_ROWS;
    JSAMPROW rowp[CCODECS_STRIP_ROWS];
    ccodecs_planar_to_u8(planes + (size_t)y * width, plane, n * width, w->channels, w->strip);
    for (size_t i = 0; i < n; i++) rowp[i] = (JSAMPROW)(w->strip + i * stride);
    for (size_t done = 0; done < n;) {
      JDIMENSION written = jpeg_write_scanlines(c, rowp + done, (JDIMENSION)(n - done));
      if (written == 0) {
        ccodecs_set_msg(msg, msg_cap, "JPEG encoder accepted no rows");
        longjmp(w->e.jb, 1);
      }
      done += written;
    }
    y += (int32_t)n;
  }
  return 0;
}

int ccodecs_jpeg_writer_finish(ccodecs_jpeg_writer *w, char *msg, size_t msg_cap) {
  CCODECS_PRELUDE(w, w->e, "JPEG writer", ccodecs_jpeg_writer_discard(w));
  jpeg_finish_compress(&w->c);
  jpeg_destroy_compress(&w->c);
  FILE *fp = w->fp;
  ccodecs_output *out = w->out;
  free(w->strip);
  free(w);
  return ccodecs_finish_output(out, fp, msg, msg_cap);
}
