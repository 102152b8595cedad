#include "ccodecs_heif.h"
#include "shim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libheif/heif.h>

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

static int copy_icc(const struct heif_image_handle *handle, ccodecs_metadata *meta, char *msg, size_t msg_cap) {
  enum heif_color_profile_type type = heif_image_handle_get_color_profile_type(handle);
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

/* Bits of an HEVC NAL unit's payload, emulation prevention bytes (00 00 03) removed on the way. */
typedef struct {
  const uint8_t *p;
  size_t size, byte, zeros;
  int bit;
  uint8_t current;
  int ok;
  /* An AV1 OBU: no emulation prevention bytes. */
  int raw;
} nal_bits;

static int next_byte(nal_bits *b) {
  while (b->byte < b->size) {
    uint8_t v = b->p[b->byte++];
    if (!b->raw && b->zeros >= 2 && v == 3) {
      b->zeros = 0;
      continue;
    }
    b->zeros = v == 0 ? b->zeros + 1 : 0;
    b->current = v;
    return 1;
  }
  b->ok = 0;
  return 0;
}

static uint64_t bits(nal_bits *b, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n && b->ok; i++) {
    if (b->bit == 0 && !next_byte(b)) return 0;
    v = v << 1 | ((b->current >> (7 - b->bit)) & 1);
    b->bit = (b->bit + 1) % 8;
  }
  return v;
}

static uint64_t ue(nal_bits *b) {
  int zeros = 0;
  while (b->ok && bits(b, 1) == 0)
    if (++zeros > 32) b->ok = 0;
  return b->ok ? ((uint64_t)1 << zeros) - 1 + bits(b, zeros) : 0;
}

/* The picture size an HEVC sequence parameter set (a NAL unit with its 2-byte header) gives libde265; 0 when
 * it cannot be read. */
static uint64_t sps_pixels(const uint8_t *nal, size_t size) {
  if (size < 3) return 0;
  nal_bits b = {nal + 2, size - 2, 0, 0, 0, 0, 1, 0};
  bits(&b, 4);
  int sub_layers = (int)bits(&b, 3);
  bits(&b, 1);
  bits(&b, 96); /* general profile, tier and level */
  int profile[8] = {0}, level[8] = {0};
  for (int i = 0; i < sub_layers; i++) profile[i] = (int)bits(&b, 1), level[i] = (int)bits(&b, 1);
  if (sub_layers > 0)
    for (int i = sub_layers; i < 8; i++) bits(&b, 2);
  for (int i = 0; i < sub_layers; i++) bits(&b, (profile[i] ? 88 : 0) + (level[i] ? 8 : 0));
  ue(&b);
  if (ue(&b) == 3) bits(&b, 1);
  uint64_t width = ue(&b), height = ue(&b);
  return b.ok ? width * height : 0;
}

/* The largest picture any HEVC parameter set of the file's hvcC boxes claims. */
static uint64_t largest_hevc_picture(const uint8_t *data, size_t size) {
  uint64_t largest = 0;
  for (size_t at = 0; at + 8 + 23 <= size; at++) {
    if (memcmp(data + at + 4, "hvcC", 4) != 0) continue;
    size_t box = (size_t)data[at] << 24 | (size_t)data[at + 1] << 16 | (size_t)data[at + 2] << 8 | data[at + 3];
    if (box < 8 + 23 || box > size - at) continue;
    const uint8_t *p = data + at + 8 + 22, *end = data + at + box;
    int arrays = *p++;
    for (int a = 0; a < arrays && p + 3 <= end; a++) {
      int type = p[0] & 0x3f, count = p[1] << 8 | p[2];
      p += 3;
      for (int n = 0; n < count && p + 2 <= end; n++) {
        size_t length = (size_t)p[0] << 8 | p[1];
        p += 2;
        if (length > (size_t)(end - p)) break;
        if (type == 33) {
          uint64_t pixels = sps_pixels(p, length);
          if (pixels > largest) largest = pixels;
        }
        p += length;
      }
    }
  }
  return largest;
}

static uint64_t be(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v = v << 8 | p[i];
  return v;
}

/* The largest frame an AV1 sequence header OBU's payload allows (max_frame_width x max_frame_height); 0 when it
 * cannot be read. */
static uint64_t av1_sequence_pixels(const uint8_t *payload, size_t size) {
  nal_bits b = {payload, size, 0, 0, 0, 0, 1, 1};
  bits(&b, 3);
  bits(&b, 1);
  if (bits(&b, 1)) {
    bits(&b, 5); /* reduced still picture header: the level only */
  } else {
    int decoder_model = 0, delay_length = 0, display_delay;
    if (bits(&b, 1)) { /* timing info */
      bits(&b, 32), bits(&b, 32);
      if (bits(&b, 1)) { /* equal picture interval: uvlc */
        int zeros = 0;
        while (b.ok && bits(&b, 1) == 0)
          if (++zeros >= 32) b.ok = 0;
        bits(&b, zeros);
      }
      decoder_model = (int)bits(&b, 1);
      if (decoder_model) delay_length = (int)bits(&b, 5) + 1, bits(&b, 32), bits(&b, 5), bits(&b, 5);
    }
    display_delay = (int)bits(&b, 1);
    int points = (int)bits(&b, 5) + 1;
    for (int i = 0; i < points && b.ok; i++) {
      bits(&b, 12);
      if (bits(&b, 5) > 7) bits(&b, 1);
      if (decoder_model && bits(&b, 1)) bits(&b, 2 * delay_length + 1);
      if (display_delay && bits(&b, 1)) bits(&b, 4);
    }
  }
  int width_bits = (int)bits(&b, 4) + 1, height_bits = (int)bits(&b, 4) + 1;
  uint64_t width = bits(&b, width_bits) + 1, height = bits(&b, height_bits) + 1;
  return b.ok ? width * height : 0;
}

/* The largest frame the sequence header OBUs of data[start, end) allow. */
static uint64_t largest_in_obus(const uint8_t *data, uint64_t start, uint64_t end) {
  uint64_t largest = 0;
  while (start < end) {
    uint8_t header = data[start++];
    int type = (header >> 3) & 15, extension = (header >> 2) & 1, sized = (header >> 1) & 1;
    if (header & 0x80) break;
    start += (uint64_t)extension;
    uint64_t size = end > start ? end - start : 0;
    if (sized) {
      size = 0;
      for (int i = 0; i < 8; i++) {
        if (start >= end) return largest;
        uint8_t byte = data[start++];
        size |= (uint64_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) break;
      }
    }
    if (start > end || size > end - start) break;
    if (type == 1) {
      uint64_t pixels = av1_sequence_pixels(data + start, (size_t)size);
      if (pixels > largest) largest = pixels;
    }
    start += size;
  }
  return largest;
}

/* The largest picture the sequence parameter sets among the 4-byte-length NAL units of data[start, end) claim. */
static uint64_t largest_in_nal_units(const uint8_t *data, uint64_t start, uint64_t end) {
  uint64_t largest = 0;
  while (start + 4 + 2 <= end) {
    uint64_t length = be(data + start, 4);
    start += 4;
    if (length < 2 || length > end - start) break;
    if (((data[start] >> 1) & 0x3f) == 33) {
      uint64_t pixels = sps_pixels(data + start, (size_t)length);
      if (pixels > largest) largest = pixels;
    }
    start += length;
  }
  return largest;
}

/* Where item `id`'s data starts in the file and how long it is (to the end of the file when unknown): its first
 * extent in the first iloc box (file offsets, or idat ones); 0 when not found. With id 0, every extent's NAL units
 * are walked instead and the largest parameter set's picture returned in *largest. */
static int item_data(const uint8_t *data, size_t size, uint64_t id, uint64_t *start, uint64_t *length,
                     uint64_t *largest) {
  const uint8_t *iloc = NULL, *idat = NULL;
  size_t iloc_size = 0;
  for (size_t at = 0; at + 8 <= size && (!iloc || !idat); at++) {
    size_t box = (size_t)be(data + at, 4);
    if (!iloc && memcmp(data + at + 4, "iloc", 4) == 0 && box >= 16 && box <= size - at) iloc = data + at, iloc_size = box;
    if (!idat && memcmp(data + at + 4, "idat", 4) == 0 && box >= 8 && box <= size - at) idat = data + at + 8;
  }
  if (!iloc) return 0;
  const uint8_t *p = iloc + 12, *end = iloc + iloc_size;
  int version = iloc[8];
  int offset_size = p[0] >> 4, length_size = p[0] & 15, base_size = p[1] >> 4, index_size = version ? p[1] & 15 : 0;
  p += 2;
  int id_size = version < 2 ? 2 : 4;
  if (end - p < id_size) return 0;
  uint64_t items = be(p, id_size);
  p += id_size;
  for (uint64_t i = 0; i < items; i++) {
    int method = 0;
    if (end - p < id_size) break;
    uint64_t item = be(p, id_size);
    p += id_size;
    if (version >= 1) {
      if (end - p < 2) break;
      method = p[1] & 15;
      p += 2;
    }
    if (end - p < 2 + base_size + 2) break;
    p += 2;
    uint64_t base = be(p, base_size);
    p += base_size;
    uint64_t extents = be(p, 2);
    p += 2;
    for (uint64_t e = 0; e < extents; e++) {
      if (end - p < index_size + offset_size + length_size) return 0;
      p += index_size;
      uint64_t offset = be(p, offset_size), bytes = be(p + offset_size, length_size);
      p += offset_size + length_size;
      uint64_t origin = method == 1 && idat ? (uint64_t)(idat - data) : 0;
      if (method > 1 || base > size || offset > size || origin + base + offset > size) continue;
      uint64_t from = origin + base + offset, stop = bytes == 0 || bytes > size - from ? size : from + bytes;
      if (id == 0) {
        uint64_t hevc = largest_in_nal_units(data, from, stop), av1 = largest_in_obus(data, from, stop);
        uint64_t pixels = hevc > av1 ? hevc : av1;
        if (pixels > *largest) *largest = pixels;
      } else if (item == id) {
        *start = from, *length = stop - from;
        return 1;
      }
    }
  }
  return 0;
}

/* The largest picture the file's codec data or derived images claim, before libheif 1.15 decodes anything: the
 * HEVC parameter sets and AV1 sequence headers of the hvcC / av1C boxes and of every item's data (libde265 and
 * dav1d allocate what they say), and the output
 * size of every grid and overlay item (libheif allocates the canvas they say; a fuzzed 1.4 KB file whose item
 * became an overlay took 1.7 GB and 26 s). */
static uint64_t largest_claim(const uint8_t *data, size_t size) {
  uint64_t largest = largest_hevc_picture(data, size);
  for (size_t at = 0; at + 12 <= size; at++) {
    if (memcmp(data + at + 4, "av1C", 4) != 0) continue;
    size_t box = (size_t)be(data + at, 4);
    if (box < 12 || box > size - at) continue;
    uint64_t pixels = largest_in_obus(data, at + 12, at + box);
    if (pixels > largest) largest = pixels;
  }
  item_data(data, size, 0, NULL, NULL, &largest);
  for (size_t at = 0; at + 21 <= size; at++) {
    if (memcmp(data + at + 4, "infe", 4) != 0) continue;
    size_t box = (size_t)be(data + at, 4);
    int version = data[at + 8];
    if (box < 21 || box > size - at || version < 2) continue;
    int id_size = version == 2 ? 2 : 4;
    if (box < (size_t)(12 + id_size + 2 + 4)) continue;
    uint64_t id = be(data + at + 12, id_size);
    const uint8_t *type = data + at + 12 + id_size + 2;
    int grid = memcmp(type, "grid", 4) == 0, overlay = memcmp(type, "iovl", 4) == 0;
    uint64_t start, length;
    if ((!grid && !overlay) || !item_data(data, size, id, &start, &length, NULL)) continue;
    uint64_t skip = grid ? 4 : 2 + 8, wide = (data[start + 1] & 1) ? 4 : 2;
    if (length < skip + 2 * wide || start + skip + 2 * wide > size) continue;
    uint64_t pixels = be(data + start + skip, (int)wide) * be(data + start + skip + wide, (int)wide);
    if (pixels > largest) largest = pixels;
  }
  return largest;
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
  ccodecs_heif_reader *r = calloc(1, sizeof *r);
  if (!r) {
    ccodecs_set_msg(msg, msg_cap, "out of memory");
    return CCODECS_FAILED;
  }
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
  uint64_t coded = largest_claim(r->data, r->size);
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
  if (r->failed || r->next != r->out.height) {
    ccodecs_set_msg(msg, msg_cap, r->failed ? "HEIF reader used after a failure" : "HEIF rows left unread");
    return CCODECS_FAILED;
  }
  return 0;
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
  ccodecs_heif_writer *w = calloc(1, sizeof *w);
  if (!w) {
    ccodecs_set_msg(msg, msg_cap, "out of memory");
    return CCODECS_FAILED;
  }
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
