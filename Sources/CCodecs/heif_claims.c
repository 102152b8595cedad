#include "heif_claims.h"

#include <string.h>

/* What heif_shim.c checks before libheif decodes: the sizes an HEIF file's codec data and derived images claim, read
 * from the boxes directly (libheif 1.15 has no limits of its own for them). */

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
uint64_t ccodecs_heif_largest_claim(const uint8_t *data, size_t size) {
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
    if ((!grid && !overlay) || !item_data(data, size, id, &start, &length, NULL) || length < 2 || start + 2 > size)
      continue;
    uint64_t skip = grid ? 4 : 2 + 8, wide = (data[start + 1] & 1) ? 4 : 2;
    if (length < skip + 2 * wide || start + skip + 2 * wide > size) continue;
    uint64_t pixels = be(data + start + skip, (int)wide) * be(data + start + skip + wide, (int)wide);
    if (pixels > largest) largest = pixels;
  }
  return largest;
}

