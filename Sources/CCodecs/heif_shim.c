#include "ccodecs_heif.h"
#include "ccodecs_color.h"
#include "shim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libheif/heif.h>

#include "heif_claims.h"

/* No HEIF file is read past this many bytes. */
#define MAX_HEIF_BYTES ((size_t)1 << 32)

static int heif_failed(struct heif_error error, const char *what, char *msg, size_t msg_cap) {
  if (error.code == heif_error_Ok) return 0;
  ccodecs_set_msg(msg, msg_cap, "%s: %s", what, error.message ? error.message : "libheif error");
  return 1;
}

/* The EXIF block's TIFF bytes: after the block's 4-byte offset to the TIFF header (and any "Exif\0\0" it skips). */
static int copy_exif(const struct heif_image_handle *handle, ccodecs_metadata *meta, char *msg, size_t msg_cap) {
  heif_item_id id;
  if (heif_image_handle_get_list_of_metadata_block_IDs(handle, "Exif", &id, 1) < 1) return 0;
  size_t size = heif_image_handle_get_metadata_size(handle, id);
  if (size < 4 + 8) return 0;
  uint8_t *block = malloc(size);
  if (!block) {
    ccodecs_set_msg(msg, msg_cap, "out of memory for %zu bytes of EXIF", size);
    return CCODECS_FAILED;
  }
  if (heif_failed(heif_image_handle_get_metadata(handle, id, block), "cannot read the EXIF", msg, msg_cap)) {
    free(block);
    return CCODECS_FAILED;
  }
  uint32_t offset = (uint32_t)block[0] << 24 | (uint32_t)block[1] << 16 | (uint32_t)block[2] << 8 | block[3];
  if (offset <= size - 4 - 8) {
    size_t start = 4 + (size_t)offset;
    meta->exif = malloc(size - start);
    if (meta->exif) {
      memcpy(meta->exif, block + start, size - start);
      meta->exif_size = size - start;
      /* The image comes out turned as its irot / imir boxes say; the tag must not turn it again. */
      ccodecs_exif_set_orientation(meta->exif, meta->exif_size, 1);
    }
  }
  free(block);
  return 0;
}

/* An nclx colour description other than sRGB's, as an equivalent ICC profile (none when it is sRGB, unspecified,
 * or has a curve an ICC profile cannot hold here). */
static void icc_from_nclx(const struct heif_image_handle *handle, ccodecs_metadata *meta) {
  struct heif_color_profile_nclx *nclx = NULL;
  if (heif_image_handle_get_nclx_color_profile(handle, &nclx).code != heif_error_Ok || !nclx) return;
  int primaries = nclx->color_primaries, transfer = nclx->transfer_characteristics;
  int srgb = (primaries == 1 || primaries == 2) && (transfer == 13 || transfer == 2);
  if (!srgb && primaries != 2 && transfer != 2) {
    const float xy[8] = {nclx->color_primary_red_x,   nclx->color_primary_red_y,  nclx->color_primary_green_x,
                         nclx->color_primary_green_y, nclx->color_primary_blue_x, nclx->color_primary_blue_y,
                         nclx->color_primary_white_x, nclx->color_primary_white_y};
    if (ccodecs_icc_from_primaries(xy, transfer, &meta->icc, &meta->icc_size) != 0) meta->icc_size = 0;
  }
  heif_nclx_color_profile_free(nclx);
}

static int copy_icc(const struct heif_image_handle *handle, ccodecs_metadata *meta, char *msg, size_t msg_cap) {
  enum heif_color_profile_type type = heif_image_handle_get_color_profile_type(handle);
  if (type == heif_color_profile_type_nclx) icc_from_nclx(handle, meta);
  if (type != heif_color_profile_type_prof && type != heif_color_profile_type_rICC) return 0;
  size_t size = heif_image_handle_get_raw_color_profile_size(handle);
  if (size == 0) return 0;
  meta->icc = malloc(size);
  if (!meta->icc) {
    ccodecs_set_msg(msg, msg_cap, "out of memory for a %zu-byte ICC profile", size);
    return CCODECS_FAILED;
  }
  meta->icc_size = size;
  if (heif_failed(heif_image_handle_get_raw_color_profile(handle, meta->icc), "cannot read the ICC profile", msg, msg_cap))
    return CCODECS_FAILED;
  return 0;
}

struct ccodecs_heif_reader {
  const uint8_t *data;
  size_t size;
  uint8_t *owned;
  struct heif_context *ctx;
  struct heif_image_handle *handle;
  struct heif_image *image;
  ccodecs_info out;
  int bits, next, failed;
};

void ccodecs_heif_reader_close(ccodecs_heif_reader *r) {
  if (!r) return;
  if (r->image) heif_image_release(r->image);
  if (r->handle) heif_image_handle_release(r->handle);
  if (r->ctx) heif_context_free(r->ctx);
  free(r->owned);
  free(r);
}

int ccodecs_heif_reader_open(const ccodecs_input *in, int64_t max_pixels, ccodecs_heif_reader **reader,
                             ccodecs_info *out, ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap) {
  *reader = NULL;
  if (strips) *strips = CCODECS_STRIPS_OK;
  if (meta) memset(meta, 0, sizeof *meta);
  ccodecs_heif_reader *r = ccodecs_new_state(sizeof *r, msg, msg_cap);
  if (!r) return CCODECS_FAILED;
  int status = CCODECS_FAILED;
  if (ccodecs_read_input(in, MAX_HEIF_BYTES, &r->data, &r->size, &r->owned, msg, msg_cap) != 0) goto fail;
  r->ctx = heif_context_alloc();
  if (!r->ctx) {
    ccodecs_set_msg(msg, msg_cap, "out of memory");
    goto fail;
  }
  if (heif_failed(heif_context_read_from_memory_without_copy(r->ctx, r->data, r->size, NULL), "not a readable HEIF file",
                  msg, msg_cap) ||
      heif_failed(heif_context_get_primary_image_handle(r->ctx, &r->handle), "no primary image", msg, msg_cap))
    goto fail;
  int width = heif_image_handle_get_width(r->handle), height = heif_image_handle_get_height(r->handle);
  int raw_width = heif_image_handle_get_ispe_width(r->handle), raw_height = heif_image_handle_get_ispe_height(r->handle);
  if (width < 1 || height < 1) {
    ccodecs_set_msg(msg, msg_cap, "HEIF image has no pixels (%dx%d)", width, height);
    goto fail;
  }
  if ((uint64_t)width * (uint64_t)height > (uint64_t)max_pixels ||
      (raw_width > 0 && raw_height > 0 && (uint64_t)raw_width * (uint64_t)raw_height > (uint64_t)max_pixels)) {
    ccodecs_set_msg(msg, msg_cap, "HEIF image claims %dx%d pixels, more than the limit of %lld", width, height,
                    (long long)max_pixels);
    status = CCODECS_OVER_LIMIT;
    goto fail;
  }
  uint64_t coded = ccodecs_heif_largest_claim(r->data, r->size);
  if (coded > (uint64_t)max_pixels) {
    ccodecs_set_msg(msg, msg_cap, "HEIF file's coded or composed image claims %llu pixels, more than the limit of %lld",
                    (unsigned long long)coded, (long long)max_pixels);
    status = CCODECS_OVER_LIMIT;
    goto fail;
  }
  r->bits = heif_image_handle_get_luma_bits_per_pixel(r->handle);
  if (r->bits < 1 || r->bits > 16) r->bits = 8;
  out->width = width;
  out->height = height;
  out->channels = heif_image_handle_has_alpha_channel(r->handle) ? 4 : 3;
  out->bit_depth = r->bits > 8 ? 16 : 8;
  out->orientation = 1;
  if (meta && (copy_icc(r->handle, meta, msg, msg_cap) != 0 || copy_exif(r->handle, meta, msg, msg_cap) != 0)) {
    ccodecs_metadata_free(meta);
    goto fail;
  }
  r->out = *out;
  *reader = r;
  return 0;
fail:
  ccodecs_heif_reader_close(r);
  return status;
}

int ccodecs_heif_info(const ccodecs_input *in, ccodecs_info *out, ccodecs_metadata *meta, char *msg, size_t msg_cap) {
  ccodecs_heif_reader *r;
  int status = ccodecs_heif_reader_open(in, INT64_MAX, &r, out, meta, NULL, msg, msg_cap);
  ccodecs_heif_reader_close(r);
  return status;
}

int ccodecs_heif_reader_read(ccodecs_heif_reader *r, float *dst, size_t plane, int32_t rows, char *msg,
                             size_t msg_cap) {
  if (r->failed || rows < 0 || rows > r->out.height - r->next) {
    ccodecs_set_msg(msg, msg_cap, r->failed ? "HEIF reader used after a failure" : "HEIF image has only %d rows",
                    r->out.height);
    r->failed = 1;
    return CCODECS_FAILED;
  }
  int channels = r->out.channels, deep = r->out.bit_depth == 16;
  if (!r->image) {
    enum heif_chroma chroma = deep ? (channels == 4 ? heif_chroma_interleaved_RRGGBBAA_LE : heif_chroma_interleaved_RRGGBB_LE)
                                   : (channels == 4 ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB);
    if (heif_failed(heif_decode_image(r->handle, &r->image, heif_colorspace_RGB, chroma, NULL),
                    "corrupt or truncated HEIF image data", msg, msg_cap)) {
      r->failed = 1;
      return CCODECS_FAILED;
    }
    if (heif_image_get_width(r->image, heif_channel_interleaved) != r->out.width ||
        heif_image_get_height(r->image, heif_channel_interleaved) != r->out.height) {
      ccodecs_set_msg(msg, msg_cap, "HEIF image decoded to another size than its header's");
      r->failed = 1;
      return CCODECS_FAILED;
    }
  }
  int stride;
  const uint8_t *pixels = heif_image_get_plane_readonly(r->image, heif_channel_interleaved, &stride);
  if (!pixels || stride < 1) {
    ccodecs_set_msg(msg, msg_cap, "HEIF image has no interleaved plane");
    r->failed = 1;
    return CCODECS_FAILED;
  }
  size_t width = (size_t)r->out.width;
  float scale = (float)((1u << r->bits) - 1);
  for (int32_t y = 0; y < rows; y++) {
    const uint8_t *row = pixels + (size_t)(r->next + y) * (size_t)stride;
    float *d = dst + (size_t)y * width;
    if (!deep) {
      ccodecs_u8_to_planar(row, width, channels, d, plane);
      continue;
    }
    const uint16_t *s = (const uint16_t *)row;
    for (size_t x = 0; x < width; x++)
      for (int c = 0; c < channels; c++) d[(size_t)c * plane + x] = (float)s[x * channels + c] / scale;
  }
  r->next += rows;
  return 0;
}

int ccodecs_heif_reader_finish(ccodecs_heif_reader *r, ccodecs_metadata *late, char *msg, size_t msg_cap) {
  if (late) memset(late, 0, sizeof *late);
  return ccodecs_rows_done(r->failed, r->next, r->out.height, "HEIF", msg, msg_cap);
}

struct ccodecs_heif_writer {
  ccodecs_output *out;
  struct heif_image *image;
  uint8_t *pixels;
  int stride;
  int32_t width, height, channels, quality, lossless, next;
  uint8_t *exif;
  size_t exif_size;
  int failed;
};

void ccodecs_heif_writer_discard(ccodecs_heif_writer *w) {
  if (!w) return;
  if (w->image) heif_image_release(w->image);
  free(w->exif);
  free(w);
}

int ccodecs_avif_writer_open(ccodecs_output *out, int32_t width, int32_t height, int32_t channels,
                             const ccodecs_write_options *options, const ccodecs_metadata *meta,
                             ccodecs_heif_writer **writer, char *msg, size_t msg_cap) {
  *writer = NULL;
  if (channels < 1 || channels > 4 || width < 1 || height < 1 || options->quality < 1 || options->quality > 100) {
    ccodecs_set_msg(msg, msg_cap, "cannot write a %dx%d AVIF with %d channels", width, height, channels);
    return CCODECS_FAILED;
  }
  if (!heif_have_encoder_for_format(heif_compression_AV1)) {
    ccodecs_set_msg(msg, msg_cap, "this libheif has no AV1 encoder (install libaom3)");
    return CCODECS_FAILED;
  }
  ccodecs_heif_writer *w = ccodecs_new_state(sizeof *w, msg, msg_cap);
  if (!w) return CCODECS_FAILED;
  w->out = out;
  w->width = width, w->height = height, w->channels = channels;
  w->quality = options->quality, w->lossless = options->lossless;
  int alpha = channels % 2 == 0;
  if (heif_failed(heif_image_create(width, height, heif_colorspace_RGB,
                                    alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, &w->image),
                  "cannot make the AVIF image", msg, msg_cap) ||
      heif_failed(heif_image_add_plane(w->image, heif_channel_interleaved, width, height, 8),
                  "cannot make the AVIF image", msg, msg_cap))
    goto fail;
  w->pixels = heif_image_get_plane(w->image, heif_channel_interleaved, &w->stride);
  if (!w->pixels) {
    ccodecs_set_msg(msg, msg_cap, "out of memory for a %dx%d AVIF", width, height);
    goto fail;
  }
  if (meta && meta->icc && meta->icc_size &&
      heif_failed(heif_image_set_raw_color_profile(w->image, "prof", meta->icc, meta->icc_size),
                  "cannot add the ICC profile", msg, msg_cap))
    goto fail;
  if (meta && meta->exif && meta->exif_size && meta->exif_size <= INT32_MAX) {
    w->exif = malloc(meta->exif_size);
    if (!w->exif) {
      ccodecs_set_msg(msg, msg_cap, "out of memory");
      goto fail;
    }
    memcpy(w->exif, meta->exif, meta->exif_size);
    w->exif_size = meta->exif_size;
  }
  *writer = w;
  return 0;
fail:
  ccodecs_heif_writer_discard(w);
  return CCODECS_FAILED;
}

int ccodecs_heif_writer_write(ccodecs_heif_writer *w, const float *planes, size_t plane, int32_t rows, char *msg,
                              size_t msg_cap) {
  if (w->failed || rows < 0 || rows > w->height - w->next) {
    ccodecs_set_msg(msg, msg_cap, w->failed ? "AVIF writer used after a failure" : "more rows than the AVIF's height");
    w->failed = 1;
    return CCODECS_FAILED;
  }
  size_t width = (size_t)w->width, stored = w->channels % 2 == 0 ? 4 : 3;
  for (int32_t y = 0; y < rows; y++) {
    uint8_t *dst = w->pixels + (size_t)(w->next + y) * (size_t)w->stride;
    const float *src = planes + (size_t)y * width;
    if (w->channels >= 3) {
      ccodecs_planar_to_u8(src, plane, width, w->channels, dst);
      continue;
    }
    /* Gray (and alpha) spread over R, G and B, converted in place from the row's end backwards. */
    ccodecs_planar_to_u8(src, plane, width, w->channels, dst);
    for (size_t x = width; x-- > 0;) {
      uint8_t v = dst[x * w->channels], a = w->channels == 2 ? dst[x * 2 + 1] : 255;
      uint8_t *p = dst + x * stored;
      p[0] = p[1] = p[2] = v;
      if (stored == 4) p[3] = a;
    }
  }
  w->next += rows;
  return 0;
}

typedef struct {
  uint8_t *data;
  size_t size;
  int failed;
} heif_bytes;

static struct heif_error collect(struct heif_context *ctx, const void *data, size_t size, void *user) {
  (void)ctx;
  heif_bytes *bytes = user;
  struct heif_error ok = {heif_error_Ok, heif_suberror_Unspecified, "ok"};
  uint8_t *bigger = size <= SIZE_MAX - bytes->size ? realloc(bytes->data, bytes->size + size) : NULL;
  if (!bigger) {
    bytes->failed = 1;
    struct heif_error error = {heif_error_Memory_allocation_error, heif_suberror_Unspecified, "out of memory"};
    return error;
  }
  memcpy(bigger + bytes->size, data, size);
  bytes->data = bigger;
  bytes->size += size;
  return ok;
}

/* Encodes the image (AV1 through libheif, speed 6) with the EXIF, into bytes written to the output. */
static int encode(ccodecs_heif_writer *w, char *msg, size_t msg_cap) {
  struct heif_context *ctx = heif_context_alloc();
  struct heif_encoder *encoder = NULL;
  struct heif_image_handle *handle = NULL;
  struct heif_encoding_options *options = heif_encoding_options_alloc();
  struct heif_color_profile_nclx *nclx = NULL;
  heif_bytes bytes = {NULL, 0, 0};
  struct heif_writer writer = {1, collect};
  int status = CCODECS_FAILED;
  if (!ctx || !options) {
    ccodecs_set_msg(msg, msg_cap, "out of memory");
    goto done;
  }
  if (heif_failed(heif_context_get_encoder_for_format(ctx, heif_compression_AV1, &encoder), "no AV1 encoder", msg,
                  msg_cap))
    goto done;
  heif_encoder_set_parameter_integer(encoder, "speed", 6);
  if (w->lossless) {
    /* Lossless needs the RGB samples themselves coded: 4:4:4 and the identity matrix (GBR), full range. */
    nclx = heif_nclx_color_profile_alloc();
    if (!nclx) {
      ccodecs_set_msg(msg, msg_cap, "out of memory");
      goto done;
    }
    nclx->matrix_coefficients = heif_matrix_coefficients_RGB_GBR;
    nclx->full_range_flag = 1;
    options->output_nclx_profile = nclx;
    heif_image_set_nclx_color_profile(w->image, nclx);
    heif_encoder_set_parameter_string(encoder, "chroma", "444");
    if (heif_failed(heif_encoder_set_lossless(encoder, 1), "cannot encode lossless", msg, msg_cap)) goto done;
  } else if (heif_failed(heif_encoder_set_lossy_quality(encoder, w->quality), "bad quality", msg, msg_cap)) {
    goto done;
  }
  if (heif_failed(heif_context_encode_image(ctx, w->image, encoder, options, &handle), "cannot encode the AVIF", msg,
                  msg_cap))
    goto done;
  if (w->exif && heif_failed(heif_context_add_exif_metadata(ctx, handle, w->exif, (int)w->exif_size),
                             "cannot add the EXIF", msg, msg_cap))
    goto done;
  if (heif_failed(heif_context_write(ctx, &writer, &bytes), "cannot write the AVIF", msg, msg_cap)) goto done;
  FILE *fp = ccodecs_open_output(w->out, msg, msg_cap);
  if (!fp) goto done;
  if (fwrite(bytes.data, 1, bytes.size, fp) != bytes.size) {
    ccodecs_set_msg(msg, msg_cap, "write failed: %s", strerror(errno));
    ccodecs_discard_output(w->out, fp);
    goto done;
  }
  if (ccodecs_close_written(fp, msg, msg_cap) != 0) {
    ccodecs_discard_output(w->out, NULL);
    goto done;
  }
  status = 0;
done:
  free(bytes.data);
  if (handle) heif_image_handle_release(handle);
  if (encoder) heif_encoder_release(encoder);
  if (options) options->output_nclx_profile = NULL;
  heif_encoding_options_free(options);
  heif_nclx_color_profile_free(nclx);
  if (ctx) heif_context_free(ctx);
  return status;
}

int ccodecs_heif_writer_finish(ccodecs_heif_writer *w, char *msg, size_t msg_cap) {
  int status;
  if (w->failed || w->next != w->height) {
    ccodecs_set_msg(msg, msg_cap, w->failed ? "AVIF writer used after a failure" : "AVIF rows missing at the end");
    status = CCODECS_FAILED;
  } else {
    status = encode(w, msg, msg_cap);
  }
  ccodecs_heif_writer_discard(w);
  return status;
}
