#include "ccodecs_png.h"
#include "shim.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "png_idat.h"

typedef struct {
  jmp_buf jb;
  FILE *fp;
  char *msg;
  size_t msg_cap;
  char warning[128];
} png_ctx;

/* Chunk errors come as "IHDR: CRC error"; report them as "CRC error in IHDR chunk". */
static void on_error(png_structp png, png_const_charp text) {
  png_ctx *ctx = png_get_error_ptr(png);
  size_t n = strlen(text);
  int chunk_prefix = n > 6 && text[4] == ':' && text[5] == ' ';
  for (int i = 0; chunk_prefix && i < 4; i++) {
    char c = text[i];
    chunk_prefix = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  }
  int over_limit = strcmp(text, "Invalid IHDR data") == 0 && strstr(ctx->warning, "user limit") != NULL;
  if (strcmp(text, "Invalid IHDR data") == 0 && ctx->warning[0])
    ccodecs_set_msg(ctx->msg, ctx->msg_cap, "Invalid IHDR data: %s", ctx->warning);
  else if (strcmp(text, "PNG unsigned integer out of range") == 0) /* png_get_uint_31 */
    ccodecs_set_msg(ctx->msg, ctx->msg_cap, "width, height or chunk length over 2^31-1 (corrupt PNG)");
  else if (chunk_prefix && strcmp(text + 6, "out of place") == 0)
    ccodecs_set_msg(ctx->msg, ctx->msg_cap, "%.4s chunk out of place", text);
  else if (chunk_prefix && strcmp(text + 6, "invalid") == 0)
    ccodecs_set_msg(ctx->msg, ctx->msg_cap, "invalid %.4s chunk", text);
  else if (chunk_prefix) ccodecs_set_msg(ctx->msg, ctx->msg_cap, "%s in %.4s chunk", text + 6, text);
  else ccodecs_set_msg(ctx->msg, ctx->msg_cap, "%s", text);
  longjmp(ctx->jb, over_limit ? CCODECS_OVER_LIMIT : CCODECS_FAILED);
}

/* Warnings are not fatal; the first one explains a following "Invalid IHDR data" error. */
static void on_warning(png_structp png, png_const_charp text) {
  png_ctx *ctx = png_get_error_ptr(png);
  if (!ctx->warning[0]) snprintf(ctx->warning, sizeof ctx->warning, "%s", text);
}

static void read_data(png_structp png, png_bytep data, size_t length) {
  png_ctx *ctx = png_get_io_ptr(png);
  if (fread(data, 1, length, ctx->fp) == length) return;
  if (ferror(ctx->fp)) png_error(png, strerror(errno));
  png_error(png, "truncated PNG data (unexpected end of file)");
}

static int is_little_endian(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

/* Channels after palette expansion and tRNS-to-alpha. */
static int expanded_channels(png_structp png, png_infop info) {
  int trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  switch (png_get_color_type(png, info)) {
  case PNG_COLOR_TYPE_GRAY: return 1 + trns;
  case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
  case PNG_COLOR_TYPE_RGB:
  case PNG_COLOR_TYPE_PALETTE: return 3 + trns;
  case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
  default: return 0;
  }
}

/* n pixels of interleaved 8- or 16-bit samples into planar floats, starting at pixel `first`. */
static void to_planar(const unsigned char *src, size_t first, size_t n, const ccodecs_info *info, float *dst,
                      size_t plane) {
  if (info->bit_depth == 16) ccodecs_u16_to_planar((const uint16_t *)src, n, info->channels, dst + first, plane);
  else ccodecs_u8_to_planar(src, n, info->channels, dst + first, plane);
}

/* Copies `size` bytes into a new buffer at *dst; longjmps on allocation failure. */
static void copy_chunk(png_structp png, png_ctx *ctx, uint8_t **dst, size_t *dst_size, const void *src, size_t size) {
  *dst = malloc(size);
  if (!*dst) {
    ccodecs_set_msg(ctx->msg, ctx->msg_cap, "out of memory for a %zu-byte chunk", size);
    longjmp(ctx->jb, 1);
  }
  memcpy(*dst, src, size);
  *dst_size = size;
  (void)png;
}

/* The iCCP profile and eXIf data that `info` holds and *meta does not have yet. */
static void collect_metadata(png_structp png, png_infop info, png_ctx *ctx, ccodecs_metadata *meta) {
  png_charp name;
  int compression;
  png_bytep profile;
  png_uint_32 profile_size;
  if (!meta->icc && png_get_iCCP(png, info, &name, &compression, &profile, &profile_size) && profile_size)
    copy_chunk(png, ctx, &meta->icc, &meta->icc_size, profile, profile_size);
  png_bytep exif;
  png_uint_32 exif_size;
  if (!meta->exif && png_get_eXIf_1(png, info, &exif_size, &exif) && exif_size)
    copy_chunk(png, ctx, &meta->exif, &meta->exif_size, exif, exif_size);
}

/* Ancillary chunks convolve never uses, skipped unread. libpng 1.6.39 allocates and zeroes the declared length
 * of the text, palette-suggestion and calibration chunks before reading them, past png_set_chunk_malloc_max:
 * 1.8 GB and seconds for a 130-byte file whose tEXt or sPLT claims that much. */
static void skip_unused_chunks(png_structp png) {
  static const png_byte chunks[] = "bKGD\0hIST\0iTXt\0oFFs\0pCAL\0pHYs\0sBIT\0sCAL\0sPLT\0sTER\0tEXt\0tIME\0zTXt";
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, chunks, (int)(sizeof chunks / 5));
}

/* What every read allows: sides up to the pixel limit, 1000 ancillary chunks of at most 8 MB, no unused chunk,
 * and no CRC error in any chunk, ancillary ones included (libpng only warns for those). */
static void limit_reader(png_structp png, int64_t max_pixels) {
  png_uint_32 side = max_pixels < 1 ? 1 : max_pixels > 0x7fffffff ? 0x7fffffff : (png_uint_32)max_pixels;
  png_set_user_limits(png, side, side);
  png_set_chunk_cache_max(png, 1000);
  png_set_chunk_malloc_max(png, 8000000);
  skip_unused_chunks(png);
  png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
}

/* Reads the chunks before the image data with the read limits, refuses more pixels than max_pixels, and fills
 * out with the size and the channels and depth the image is decoded to. */
static void read_header(png_structp png, png_infop info, png_ctx *ctx, int64_t max_pixels, ccodecs_info *out) {
  png_set_read_fn(png, ctx, read_data);
  limit_reader(png, max_pixels);
  png_read_info(png, info);
  png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
  if ((uint64_t)width * height > (uint64_t)max_pixels) {
    ccodecs_set_msg(ctx->msg, ctx->msg_cap, "PNG claims %ux%u pixels, more than the limit of %lld", width, height,
                    (long long)max_pixels);
    longjmp(ctx->jb, CCODECS_OVER_LIMIT);
  }
  out->width = (int32_t)width;
  out->height = (int32_t)height;
  out->channels = expanded_channels(png, info);
  out->bit_depth = png_get_bit_depth(png, info) == 16 ? 16 : 8;
  out->orientation = 1;
}

/* Expands palettes, low-bit gray and tRNS so rows hold out's channels at 8 or 16 bits (native byte order);
 * returns the interlace passes and the row size, checked against the width. */
static int expand_samples(png_structp png, png_infop info, png_ctx *ctx, const ccodecs_info *out, size_t *rowbytes) {
  int color_type = png_get_color_type(png, info), bit_depth = png_get_bit_depth(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  if (bit_depth == 16 && is_little_endian()) png_set_swap(png);
  int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_channels(png, info) != out->channels || png_get_bit_depth(png, info) != out->bit_depth) {
    ccodecs_set_msg(ctx->msg, ctx->msg_cap, "unexpected PNG layout after expansion (%d channels, %d bits)",
                    png_get_channels(png, info), png_get_bit_depth(png, info));
    longjmp(ctx->jb, 1);
  }
  *rowbytes = png_get_rowbytes(png, info);
  if (*rowbytes != (size_t)out->width * out->channels * (out->bit_depth / 8)) {
    ccodecs_set_msg(ctx->msg, ctx->msg_cap, "PNG too large for memory");
    longjmp(ctx->jb, 1);
  }
  return passes;
}

int ccodecs_png_info(const ccodecs_input *in, ccodecs_info *out, ccodecs_metadata *meta, char *msg, size_t msg_cap) {
  if (meta) memset(meta, 0, sizeof *meta);
  png_ctx ctx;
  ctx.warning[0] = 0;
  ctx.msg = msg;
  ctx.msg_cap = msg_cap;
  ctx.fp = ccodecs_open_input(in, msg, msg_cap);
  if (!ctx.fp) return CCODECS_FAILED;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!info) {
    png_destroy_read_struct(&png, NULL, NULL);
    fclose(ctx.fp);
    ccodecs_set_msg(msg, msg_cap, "out of memory");
    return CCODECS_FAILED;
  }
  int status = setjmp(ctx.jb);
  if (status) {
    png_destroy_read_struct(&png, &info, NULL);
    ccodecs_metadata_free(meta);
    fclose(ctx.fp);
    return status == CCODECS_OVER_LIMIT ? CCODECS_OVER_LIMIT : CCODECS_FAILED;
  }
  read_header(png, info, &ctx, INT64_MAX, out);
  if (meta) collect_metadata(png, info, &ctx, meta);
  png_destroy_read_struct(&png, &info, NULL);
  fclose(ctx.fp);
  return 0;
}

/* Row filter and zlib settings when no compression level is asked for. Timed with libpng 1.6.39 and
 * zlib 1.2.13 on one core (AMD EPYC), 8-bit RGB 4000x3000, writing a sharpened 8x-upscaled
 * SampleImages/astronaut.png (smooth, photo-like) and a sharpened noisy synthetic image:
 *
 *   filter, zlib                      astronaut          noisy
 *   adaptive (libpng default), L6     2701 ms 13.58 MB   1154 ms 33.94 MB   (the previous default)
 *   none, L6 (libvips pngsave)         699 ms 26.41 MB    978 ms 33.41 MB
 *   up, L1                             315 ms 15.94 MB    642 ms 35.84 MB
 *   adaptive, L3                       860 ms 15.42 MB   1062 ms 34.60 MB
 *   up, Z_RLE                          246 ms 14.12 MB    259 ms 35.77 MB
 *   paeth, Z_RLE                       364 ms 13.33 MB    413 ms 35.83 MB   <- default
 *   none, L0 (stored)                   54 ms 36.06 MB     74 ms 36.06 MB
 *
 * (Pillow writes level 6 with its own per-row filter choice, much like libpng's adaptive default.)
 * Paeth prediction leaves small residuals on photographs and Z_RLE only codes runs of them, with no
 * match search: 7x faster than the old default and no bigger on the smooth image, 6% bigger on
 * noise. Images with long repeats far apart (screenshots, tiled montages) compress worse than with
 * a match search; --png-compression 1...9 brings back libpng's adaptive filters with that level. */
/* A failed write of the image data (ccodecs_idat): as libpng's own write errors end. */
static void write_failed(png_ctx *ctx) {
  ccodecs_set_msg(ctx->msg, ctx->msg_cap, "cannot write: %s", errno ? strerror(errno) : "out of memory");
  longjmp(ctx->jb, 1);
}

static void set_compression(png_structp png, int compression) {
  if (compression < 0) {
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_PAETH);
    png_set_compression_strategy(png, Z_RLE);
  } else {
    if (compression == 0) png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_compression_level(png, compression > 9 ? 9 : compression);
  }
}

/* The reader and writer. Each call sets its own setjmp (CCODECS_PRELUDE); libpng's errors come back to it
 * through ctx.jb. */

struct ccodecs_png_reader {
  png_ctx ctx;
  png_structp png;
  png_infop info;
  ccodecs_info out;
  size_t rowbytes;
  /* 1, or 7 for an interlaced (Adam7) image: then the first read decodes the whole image into buf. */
  int passes;
  /* Rows handed out so far. */
  int32_t next;
  /* A strip of CCODECS_STRIP_ROWS rows, or the whole interlaced image, and its row pointers. */
  unsigned char *buf;
  png_bytep *rows;
  int failed;
};

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Whether an eXIf chunk follows the image data (the reader's finish picks it up at the end, too late for a
 * writer that puts the EXIF before the image data): walks the chunk headers, skipping their data. */
static int has_late_exif(const ccodecs_input *in) {
  FILE *fp = ccodecs_open_input(in, NULL, 0);
  if (!fp) return 0;
  unsigned char h[8];
  int seen_idat = 0, found = 0;
  if (fread(h, 1, 8, fp) == 8) {
    while (fread(h, 1, 8, fp) == 8) {
      uint32_t length = be32(h);
      if (length > 0x7fffffffu || memcmp(h + 4, "IEND", 4) == 0) break;
      if (memcmp(h + 4, "IDAT", 4) == 0) seen_idat = 1;
      else if (seen_idat && memcmp(h + 4, "eXIf", 4) == 0) {
        found = 1;
        break;
      }
      if (fseeko(fp, (off_t)length + 4, SEEK_CUR) != 0) break;
    }
  }
  fclose(fp);
  return found;
}

void ccodecs_png_reader_close(ccodecs_png_reader *r) {
  if (!r) return;
  png_destroy_read_struct(&r->png, r->info ? &r->info : NULL, NULL);
  if (r->ctx.fp) fclose(r->ctx.fp);
  free(r->buf);
  free(r->rows);
  free(r);
}

/* buf and rows for `count` rows; longjmps when they do not fit in memory. */
static void alloc_rows(ccodecs_png_reader *r, size_t count) {
  if (count > SIZE_MAX / r->rowbytes || count > SIZE_MAX / sizeof(png_bytep)) {
    ccodecs_set_msg(r->ctx.msg, r->ctx.msg_cap, "PNG too large for memory");
    longjmp(r->ctx.jb, 1);
  }
  r->buf = malloc(r->rowbytes * count);
  r->rows = malloc(sizeof(png_bytep) * count);
  if (!r->buf || !r->rows) {
    ccodecs_set_msg(r->ctx.msg, r->ctx.msg_cap, "out of memory for %zu rows of %d pixels", count, r->out.width);
    longjmp(r->ctx.jb, 1);
  }
  for (size_t y = 0; y < count; y++) r->rows[y] = r->buf + y * r->rowbytes;
}

int ccodecs_png_reader_open(const ccodecs_input *in, int64_t max_pixels, ccodecs_png_reader **reader,
                            ccodecs_info *out, ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap) {
  *reader = NULL;
  if (meta) memset(meta, 0, sizeof *meta);
  ccodecs_png_reader *r = ccodecs_new_state(sizeof *r, msg, msg_cap);
  if (!r) return CCODECS_FAILED;
  r->ctx.msg = msg;
  r->ctx.msg_cap = msg_cap;
  r->ctx.fp = ccodecs_open_input(in, msg, msg_cap);
  if (!r->ctx.fp) {
    free(r);
    return CCODECS_FAILED;
  }
  r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r->ctx, on_error, on_warning);
  r->info = r->png ? png_create_info_struct(r->png) : NULL;
  if (!r->info) {
    ccodecs_png_reader_close(r);
    ccodecs_set_msg(msg, msg_cap, "out of memory");
    return CCODECS_FAILED;
  }
  int status = setjmp(r->ctx.jb);
  if (status) {
    ccodecs_png_reader_close(r);
    ccodecs_metadata_free(meta);
    return status == CCODECS_OVER_LIMIT ? CCODECS_OVER_LIMIT : CCODECS_FAILED;
  }
  png_structp png = r->png;
  png_infop info = r->info;
  read_header(png, info, &r->ctx, max_pixels, out);
  r->out = *out;
  if (meta) collect_metadata(png, info, &r->ctx, meta);
  r->passes = expand_samples(png, info, &r->ctx, out, &r->rowbytes);
  if (strips)
    *strips = r->passes != 1                           ? CCODECS_STRIPS_INTERLACED
              : meta && !meta->exif && has_late_exif(in) ? CCODECS_STRIPS_LATE_EXIF
                                                         : CCODECS_STRIPS_OK;
  if (r->passes == 1) alloc_rows(r, CCODECS_STRIP_ROWS);
  *reader = r;
  return 0;
}

int ccodecs_png_reader_read(ccodecs_png_reader *r, float *dst, size_t plane, int32_t rows, char *msg, size_t msg_cap) {
  CCODECS_PRELUDE(r, r->ctx, "PNG reader", (void)0);
  if (rows < 0 || rows > r->out.height - r->next) {
    ccodecs_set_msg(msg, msg_cap, "PNG has only %d rows", r->out.height);
    longjmp(r->ctx.jb, 1);
  }
  size_t width = (size_t)r->out.width;
  if (r->passes != 1) {
    /* Every pass covers the whole image: it is decoded whole at the first read. */
    if (!r->buf) {
      alloc_rows(r, (size_t)r->out.height);
      png_read_image(r->png, r->rows);
    }
    to_planar(r->rows[r->next], 0, (size_t)rows * width, &r->out, dst, plane);
  } else {
    for (int32_t y = 0; y < rows;) {
      int32_t n = rows - y < CCODECS_STRIP_ROWS ? rows - y : CCODECS_STRIP_ROWS;
      png_read_rows(r->png, r->rows, NULL, (png_uint_32)n);
      to_planar(r->buf, (size_t)y * width, (size_t)n * width, &r->out, dst, plane);
      y += n;
    }
  }
  r->next += rows;
  return 0;
}

int ccodecs_png_reader_finish(ccodecs_png_reader *r, ccodecs_metadata *late, char *msg, size_t msg_cap) {
  if (late) memset(late, 0, sizeof *late);
  CCODECS_PRELUDE(r, r->ctx, "PNG reader", ccodecs_metadata_free(late));
  /* Chunks after the image data go into `info` only when metadata is wanted (an eXIf may come there). */
  png_read_end(r->png, late ? r->info : NULL);
  if (late) collect_metadata(r->png, r->info, &r->ctx, late);
  return 0;
}

struct ccodecs_png_writer {
  png_ctx ctx;
  ccodecs_output *out;
  png_structp png;
  png_infop info;
  int32_t width, channels, bit_depth;
  unsigned char *strip;
  png_bytep rows[CCODECS_STRIP_ROWS];
  /* The default compression's image data, written on every core (png_idat.c); NULL: libpng writes it. */
  ccodecs_idat *idat;
  int failed;
};

void ccodecs_png_writer_discard(ccodecs_png_writer *w) {
  if (!w) return;
  png_destroy_write_struct(&w->png, w->info ? &w->info : NULL);
  ccodecs_discard_output(w->out, w->ctx.fp);
  ccodecs_idat_free(w->idat);
  free(w->strip);
  free(w);
}

int ccodecs_png_writer_open(ccodecs_output *out, int32_t width, int32_t height, int32_t channels,
                            const ccodecs_write_options *options, const ccodecs_metadata *meta,
                            ccodecs_png_writer **writer, char *msg, size_t msg_cap) {
  int32_t bit_depth = options->bit_depth, compression = options->compression;
  static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                     PNG_COLOR_TYPE_RGB_ALPHA};
  *writer = NULL;
  if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16) || width < 1 || height < 1) {
    ccodecs_set_msg(msg, msg_cap, "cannot write a %dx%d PNG with %d channels at %d bits", width, height, channels,
                    bit_depth);
    return CCODECS_FAILED;
  }
  ccodecs_png_writer *w = ccodecs_new_state(sizeof *w, msg, msg_cap);
  if (!w) return CCODECS_FAILED;
  w->ctx.msg = msg;
  w->ctx.msg_cap = msg_cap;
  w->out = out;
  w->width = width;
  w->channels = channels;
  w->bit_depth = bit_depth;
  w->ctx.fp = ccodecs_open_output(out, msg, msg_cap);
  if (!w->ctx.fp) {
    free(w);
    return CCODECS_FAILED;
  }
  w->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w->ctx, on_error, on_warning);
  w->info = w->png ? png_create_info_struct(w->png) : NULL;
  size_t rowbytes = (size_t)width * channels * (bit_depth / 8);
  w->strip = malloc(rowbytes * CCODECS_STRIP_ROWS);
  if (!w->info || !w->strip) {
    ccodecs_png_writer_discard(w);
    ccodecs_set_msg(msg, msg_cap, "out of memory");
    return CCODECS_FAILED;
  }
  for (size_t y = 0; y < CCODECS_STRIP_ROWS; y++) w->rows[y] = w->strip + y * rowbytes;
  if (setjmp(w->ctx.jb)) {
    ccodecs_png_writer_discard(w);
    return CCODECS_FAILED;
  }
  png_structp png = w->png;
  png_init_io(png, w->ctx.fp);
  set_compression(png, compression);
  png_set_IHDR(png, w->info, (png_uint_32)width, (png_uint_32)height, bit_depth, color_types[channels],
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_benign_errors(png, 1);
  if (meta && meta->icc && meta->icc_size && meta->icc_size <= 0x7fffffffu)
    png_set_iCCP(png, w->info, "ICC profile", PNG_COMPRESSION_TYPE_BASE, meta->icc, (png_uint_32)meta->icc_size);
  if (meta && meta->exif && meta->exif_size && meta->exif_size <= 0x7fffffffu)
    png_set_eXIf_1(png, w->info, (png_uint_32)meta->exif_size, meta->exif);
  png_write_info(png, w->info);
  if (bit_depth == 16 && is_little_endian()) png_set_swap(png);
  if (compression < 0) {
    w->idat = ccodecs_idat_create(w->ctx.fp, rowbytes, channels * (bit_depth / 8), bit_depth == 16 && is_little_endian());
    if (!w->idat) {
      ccodecs_set_msg(msg, msg_cap, "out of memory");
      longjmp(w->ctx.jb, 1);
    }
  }
  *writer = w;
  return 0;
}

int ccodecs_png_writer_write(ccodecs_png_writer *w, const float *planes, size_t plane, int32_t rows, char *msg,
                             size_t msg_cap) {
  CCODECS_PRELUDE(w, w->ctx, "PNG writer", (void)0);
  size_t width = (size_t)w->width;
  for (int32_t y = 0; y < rows;) {
    int32_t n = rows - y < CCODECS_STRIP_ROWS ? rows - y : CCODECS_STRIP_ROWS;
    const float *src = planes + (size_t)y * width;
    if (w->bit_depth == 16) ccodecs_planar_to_u16(src, plane, (size_t)n * width, w->channels, (uint16_t *)w->strip);
    else ccodecs_planar_to_u8(src, plane, (size_t)n * width, w->channels, w->strip);
    if (!w->idat) png_write_rows(w->png, w->rows, (png_uint_32)n);
    else if (ccodecs_idat_rows(w->idat, (const unsigned char *const *)w->rows, (size_t)n) != 0) write_failed(&w->ctx);
    y += n;
  }
  return 0;
}

int ccodecs_png_writer_finish(ccodecs_png_writer *w, char *msg, size_t msg_cap) {
  CCODECS_PRELUDE(w, w->ctx, "PNG writer", ccodecs_png_writer_discard(w));
  /* NULL: nothing after the image data (libpng 1.6 would write the eXIf chunk a second time from info). */
  if (!w->idat) png_write_end(w->png, NULL);
  else if (ccodecs_idat_finish(w->idat) != 0) write_failed(&w->ctx);
  png_destroy_write_struct(&w->png, &w->info);
  FILE *fp = w->ctx.fp;
  ccodecs_output *out = w->out;
  ccodecs_idat_free(w->idat);
  free(w->strip);
  free(w);
  return ccodecs_finish_output(out, fp, msg, msg_cap);
}
