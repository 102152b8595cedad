#define _POSIX_C_SOURCE 200809L /* fseeko */
#include "ccodecs_tiff.h"
#include "shim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <tiffio.h>

/* libtiff reads and writes through these procs: a FILE (a file, or fmemopen'd input), or for a memory output a
 * growing buffer. libtiff's errors come to on_error, which keeps the first one for msg; warnings are dropped. */
typedef struct {
  FILE *fp;
  uint8_t *buf;
  size_t size, cap, pos;
  char *msg;
  size_t msg_cap;
  int errors;
} tiff_io;

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
  (void)tif, (void)module;
  tiff_io *io = user;
  if (io->errors++ == 0 && io->msg && io->msg_cap) vsnprintf(io->msg, io->msg_cap, fmt, ap);
  return 1;
}

static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
  (void)tif, (void)user, (void)module, (void)fmt, (void)ap;
  return 1;
}

static tmsize_t io_read(thandle_t h, void *data, tmsize_t n) {
  tiff_io *io = h;
  if (n <= 0) return 0;
  if (io->fp) return (tmsize_t)fread(data, 1, (size_t)n, io->fp);
  size_t left = io->pos < io->size ? io->size - io->pos : 0, m = (size_t)n < left ? (size_t)n : left;
  memcpy(data, io->buf + io->pos, m);
  io->pos += m;
  return (tmsize_t)m;
}

static tmsize_t io_write(thandle_t h, void *data, tmsize_t n) {
  tiff_io *io = h;
  if (n <= 0) return 0;
  if (io->fp) return (tmsize_t)fwrite(data, 1, (size_t)n, io->fp);
  if ((size_t)n > SIZE_MAX - io->pos) return -1;
  size_t end = io->pos + (size_t)n;
  if (end > io->cap) {
    size_t cap = io->cap ? io->cap : 1 << 16;
    while (cap < end) cap = cap > SIZE_MAX / 2 ? end : cap * 2;
    uint8_t *bigger = realloc(io->buf, cap);
    if (!bigger) return -1;
    io->buf = bigger, io->cap = cap;
  }
  if (io->pos > io->size) memset(io->buf + io->size, 0, io->pos - io->size);
  memcpy(io->buf + io->pos, data, (size_t)n);
  io->pos = end;
  if (end > io->size) io->size = end;
  return n;
}

static toff_t io_seek(thandle_t h, toff_t off, int whence) {
  tiff_io *io = h;
  if (io->fp) {
    if (off > (toff_t)INT64_MAX || fseeko(io->fp, (off_t)off, whence) != 0) return (toff_t)-1;
    return (toff_t)ftello(io->fp);
  }
  uint64_t base = whence == SEEK_CUR ? io->pos : whence == SEEK_END ? io->size : 0;
  if (off > SIZE_MAX - base) return (toff_t)-1;
  io->pos = (size_t)(base + off);
  return io->pos;
}

static int io_close(thandle_t h) {
  (void)h;
  return 0;
}

static toff_t io_size(thandle_t h) {
  tiff_io *io = h;
  if (!io->fp) return io->size;
  off_t here = ftello(io->fp);
  if (fseeko(io->fp, 0, SEEK_END) != 0) return 0;
  off_t end = ftello(io->fp);
  fseeko(io->fp, here, SEEK_SET);
  return end < 0 ? 0 : (toff_t)end;
}

static int no_map(thandle_t h, void **base, toff_t *size) {
  (void)h, (void)base, (void)size;
  return 0;
}

static void no_unmap(thandle_t h, void *base, toff_t size) { (void)h, (void)base, (void)size; }

/* Opens io (its fp or buffer set) with libtiff; NULL with the reason in io->msg. */
static TIFF *open_tiff(tiff_io *io, const char *mode) {
  TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
  if (!options) {
    ccodecs_set_msg(io->msg, io->msg_cap, "out of memory");
    return NULL;
  }
  TIFFOpenOptionsSetErrorHandlerExtR(options, on_error, io);
  TIFFOpenOptionsSetWarningHandlerExtR(options, on_warning, io);
  /* No single allocation (a strip, a tile, a table) over 2 GB, whatever the header claims. */
  TIFFOpenOptionsSetMaxSingleMemAlloc(options, (tmsize_t)1 << 31);
  TIFF *tif = TIFFClientOpenExt("file", mode, io, io_read, io_write, io_seek, io_close, io_size, no_map, no_unmap,
                                options);
  TIFFOpenOptionsFree(options);
  if (!tif && !io->errors) ccodecs_set_msg(io->msg, io->msg_cap, "not a readable TIFF");
  else if (!tif && mode[0] == 'r' && io->msg && io->msg_cap) {
    char why[256];
    snprintf(why, sizeof why, "%s", io->msg);
    ccodecs_set_msg(io->msg, io->msg_cap, "corrupt or truncated TIFF (%s)", why);
  }
  return tif;
}

/* How the rows are read: scanlines of contiguous samples, rows of tiles, strips of separate planes interleaved, or
 * the whole image through the RGBA interface. */
enum { DIRECT_STRIPS, DIRECT_TILES, DIRECT_PLANES, WHOLE_RGBA };

/* A directory's layout: how it is read and what the rows hold. */
typedef struct {
  uint32_t width, height;
  uint16_t bits, spp, photometric, sample_format, planar, orientation;
  int mode, invert, channels, bit_depth;
} layout;

/* Whether the samples can be read directly: 1-4 of them, gray or RGB, unsigned 1/2/4/8/16 bits or 32-bit float. */
static int direct_layout(const layout *l) {
  int gray = l->photometric == PHOTOMETRIC_MINISBLACK || l->photometric == PHOTOMETRIC_MINISWHITE;
  int rgb = l->photometric == PHOTOMETRIC_RGB;
  if (!(gray && (l->spp == 1 || l->spp == 2)) && !(rgb && (l->spp == 3 || l->spp == 4))) return 0;
  if (l->spp > 1 && l->planar == PLANARCONFIG_SEPARATE && l->bits < 8) return 0;
  if (l->sample_format == SAMPLEFORMAT_IEEEFP) return l->bits == 32 && l->photometric != PHOTOMETRIC_MINISWHITE;
  if (l->sample_format != SAMPLEFORMAT_UINT) return 0;
  if (l->bits == 8 || l->bits == 16) return 1;
  return l->spp == 1 && (l->bits == 1 || l->bits == 2 || l->bits == 4);
}

/* Reads the current directory's layout and header into *l and out, refusing more than max_pixels pixels and
 * layouts neither read directly nor through the RGBA interface. JPEG-compressed YCbCr is asked for as RGB. */
static int read_layout(TIFF *tif, tiff_io *io, int64_t max_pixels, layout *l, ccodecs_info *out) {
  memset(l, 0, sizeof *l);
  uint16_t compression = COMPRESSION_NONE;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &l->width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &l->height);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &l->bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &l->spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &l->sample_format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &l->planar);
  TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
  if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &l->photometric))
    l->photometric = l->spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
  if (!TIFFGetField(tif, TIFFTAG_ORIENTATION, &l->orientation) || l->orientation < 1 || l->orientation > 8)
    l->orientation = 1;
  if (l->width == 0 || l->height == 0) {
    ccodecs_set_msg(io->msg, io->msg_cap, "TIFF has no pixels (%ux%u)", l->width, l->height);
    return CCODECS_FAILED;
  }
  if ((uint64_t)l->width * l->height > (uint64_t)max_pixels) {
    ccodecs_set_msg(io->msg, io->msg_cap, "TIFF claims %ux%u pixels, more than the limit of %lld", l->width, l->height,
                    (long long)max_pixels);
    return CCODECS_OVER_LIMIT;
  }
  if (l->width > INT32_MAX || l->height > INT32_MAX) {
    ccodecs_set_msg(io->msg, io->msg_cap, "TIFF of %ux%u pixels is too large", l->width, l->height);
    return CCODECS_FAILED;
  }
  if (compression == COMPRESSION_JPEG && l->photometric == PHOTOMETRIC_YCBCR && l->planar == PLANARCONFIG_CONTIG &&
      TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB))
    l->photometric = PHOTOMETRIC_RGB;
  if (direct_layout(l)) {
    int separate = l->spp > 1 && l->planar == PLANARCONFIG_SEPARATE;
    l->mode = TIFFIsTiled(tif) ? DIRECT_TILES : separate ? DIRECT_PLANES : DIRECT_STRIPS;
    l->channels = l->spp;
    l->invert = l->photometric == PHOTOMETRIC_MINISWHITE;
    l->bit_depth = l->sample_format == SAMPLEFORMAT_IEEEFP ? 32 : l->bits == 16 ? 16 : 8;
  } else {
    char why[1024] = "";
    if (!TIFFRGBAImageOK(tif, why)) {
      ccodecs_set_msg(io->msg, io->msg_cap, "unsupported TIFF layout (%u samples of %u bits, photometric %u): %s",
                      l->spp, l->bits, l->photometric, why);
      return CCODECS_FAILED;
    }
    int gray = l->photometric == PHOTOMETRIC_MINISBLACK || l->photometric == PHOTOMETRIC_MINISWHITE;
    uint16_t extra = 0, *types = NULL;
    TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &extra, &types);
    l->mode = WHOLE_RGBA;
    l->channels = (gray ? 1 : 3) + (extra > 0);
    l->bit_depth = 8;
  }
  out->width = (int32_t)l->width;
  out->height = (int32_t)l->height;
  out->channels = l->channels;
  out->bit_depth = l->bit_depth;
  out->orientation = l->orientation;
  return 0;
}

static int collect_icc(TIFF *tif, tiff_io *io, ccodecs_metadata *meta) {
  uint32_t size = 0;
  void *data = NULL;
  if (!TIFFGetField(tif, TIFFTAG_ICCPROFILE, &size, &data) || !data || size == 0) return 0;
  meta->icc = malloc(size);
  if (!meta->icc) {
    ccodecs_set_msg(io->msg, io->msg_cap, "out of memory for a %u-byte ICC profile", size);
    return CCODECS_FAILED;
  }
  memcpy(meta->icc, data, size);
  meta->icc_size = size;
  return 0;
}

/* Opens the input and goes to image `page`. */
static TIFF *open_page(const ccodecs_input *in, int32_t page, tiff_io *io) {
  io->fp = ccodecs_open_input(in, io->msg, io->msg_cap);
  if (!io->fp) return NULL;
  TIFF *tif = open_tiff(io, "rm");
  if (tif && page > 0 && !TIFFSetDirectory(tif, (tdir_t)page)) {
    int pages = TIFFNumberOfDirectories(tif);
    TIFFClose(tif);
    tif = NULL;
    ccodecs_set_msg(io->msg, io->msg_cap, "TIFF has %d image%s; there is no page %d (pages count from 0)", pages,
                    pages == 1 ? "" : "s", page);
  }
  if (!tif) {
    fclose(io->fp);
    io->fp = NULL;
  }
  return tif;
}

int ccodecs_tiff_info_page(const ccodecs_input *in, int32_t page, ccodecs_info *out, ccodecs_metadata *meta,
                           char *msg, size_t msg_cap) {
  if (meta) memset(meta, 0, sizeof *meta);
  tiff_io io = {.msg = msg, .msg_cap = msg_cap};
  TIFF *tif = open_page(in, page, &io);
  if (!tif) return CCODECS_FAILED;
  layout l;
  int status = read_layout(tif, &io, INT64_MAX, &l, out);
  if (status == 0 && meta) status = collect_icc(tif, &io, meta);
  TIFFClose(tif);
  fclose(io.fp);
  return status;
}

int ccodecs_tiff_info(const ccodecs_input *in, ccodecs_info *out, ccodecs_metadata *meta, char *msg, size_t msg_cap) {
  return ccodecs_tiff_info_page(in, 0, out, meta, msg, msg_cap);
}

struct ccodecs_tiff_reader {
  tiff_io io;
  TIFF *tif;
  layout l;
  /* Bytes of one row as stored; a band of rows (a row of tiles, one strip row, or the whole RGBA image). */
  size_t row_bytes;
  uint8_t *band, *tile, *expanded;
  uint32_t band_first, band_rows, tile_width, tile_height, rows_per_strip;
  /* Samples stored one plane after another (spp planes of bits / 8 bytes a sample). */
  int separate;
  int32_t next;
  int failed;
};

void ccodecs_tiff_reader_close(ccodecs_tiff_reader *r) {
  if (!r) return;
  if (r->tif) TIFFClose(r->tif);
  if (r->io.fp) fclose(r->io.fp);
  free(r->band);
  free(r->tile);
  free(r->expanded);
  free(r);
}

static int fail(ccodecs_tiff_reader *r, int status) {
  r->failed = 1;
  return status;
}

/* The buffers for the layout: a band of tiles, or one row (and the 8-bit row of expanded 1/2/4-bit samples). */
static int alloc_buffers(ccodecs_tiff_reader *r) {
  layout *l = &r->l;
  if (l->mode == WHOLE_RGBA) return 0;
  r->separate = l->spp > 1 && l->planar == PLANARCONFIG_SEPARATE;
  uint64_t row_bytes = ((uint64_t)l->width * l->spp * l->bits + 7) / 8;
  if (TIFFScanlineSize64(r->tif) != (r->separate ? row_bytes / l->spp : row_bytes)) {
    if (!r->io.errors) ccodecs_set_msg(r->io.msg, r->io.msg_cap, "unexpected TIFF row size");
    return CCODECS_FAILED;
  }
  r->row_bytes = (size_t)row_bytes;
  uint64_t band_rows = 1;
  if (l->mode == DIRECT_PLANES) {
    TIFFGetFieldDefaulted(r->tif, TIFFTAG_ROWSPERSTRIP, &r->rows_per_strip);
    if (r->rows_per_strip == 0 || r->rows_per_strip > l->height) r->rows_per_strip = l->height;
    band_rows = r->rows_per_strip;
    uint64_t strip_bytes = band_rows * (row_bytes / l->spp);
    r->tile = strip_bytes <= ((uint64_t)1 << 33) ? malloc((size_t)strip_bytes) : NULL;
    if (!r->tile) goto oom;
  } else if (l->mode == DIRECT_TILES) {
    TIFFGetField(r->tif, TIFFTAG_TILEWIDTH, &r->tile_width);
    TIFFGetField(r->tif, TIFFTAG_TILELENGTH, &r->tile_height);
    uint64_t tile_bytes = TIFFTileSize64(r->tif);
    if (r->tile_width == 0 || r->tile_height == 0 || tile_bytes == 0 ||
        (uint64_t)r->tile_width * r->tile_height > (1u << 28) || (r->tile_width * (uint64_t)l->bits) % 8 != 0) {
      ccodecs_set_msg(r->io.msg, r->io.msg_cap, "unsupported TIFF tiles of %ux%u pixels", r->tile_width,
                      r->tile_height);
      return CCODECS_FAILED;
    }
    band_rows = r->tile_height;
    r->tile = malloc((size_t)tile_bytes);
    if (!r->tile) goto oom;
  }
  if (band_rows > SIZE_MAX / r->row_bytes || band_rows * r->row_bytes > ((uint64_t)1 << 33)) goto oom;
  r->band = malloc((size_t)(band_rows * r->row_bytes));
  if (!r->band) goto oom;
  if (l->bits < 8) {
    r->expanded = malloc((size_t)l->width * (size_t)band_rows);
    if (!r->expanded) goto oom;
  }
  r->band_rows = 0;
  return 0;
oom:
  ccodecs_set_msg(r->io.msg, r->io.msg_cap, "out of memory for rows of %u TIFF pixels", l->width);
  return CCODECS_FAILED;
}

int ccodecs_tiff_reader_open_page(const ccodecs_input *in, int32_t page, int64_t max_pixels,
                                  ccodecs_tiff_reader **reader, ccodecs_info *out, ccodecs_metadata *meta, int *strips,
                                  char *msg, size_t msg_cap) {
  *reader = NULL;
  if (meta) memset(meta, 0, sizeof *meta);
  ccodecs_tiff_reader *r = ccodecs_new_state(sizeof *r, msg, msg_cap);
  if (!r) return CCODECS_FAILED;
  r->io.msg = msg;
  r->io.msg_cap = msg_cap;
  r->tif = open_page(in, page, &r->io);
  int status = r->tif ? read_layout(r->tif, &r->io, max_pixels, &r->l, out) : CCODECS_FAILED;
  if (status == 0 && meta) status = collect_icc(r->tif, &r->io, meta);
  if (status == 0) status = alloc_buffers(r);
  if (status != 0) {
    ccodecs_metadata_free(meta);
    ccodecs_tiff_reader_close(r);
    return status;
  }
  if (strips) *strips = r->l.mode == WHOLE_RGBA ? CCODECS_TIFF_STRIPS_WHOLE : CCODECS_STRIPS_OK;
  *reader = r;
  return 0;
}

int ccodecs_tiff_reader_open(const ccodecs_input *in, int64_t max_pixels, ccodecs_tiff_reader **reader,
                             ccodecs_info *out, ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap) {
  return ccodecs_tiff_reader_open_page(in, 0, max_pixels, reader, out, meta, strips, msg, msg_cap);
}

/* Sample `s` of `cols` pixels of `rows` rows, `stride` bytes a row at src, into the band's interleaved rows from
 * pixel x. */
static void scatter_plane(ccodecs_tiff_reader *r, const uint8_t *src, size_t stride, uint32_t rows, uint32_t x,
                          uint32_t cols, int s) {
  size_t bytes = r->l.bits / 8, pixel = bytes * r->l.spp;
  for (uint32_t y = 0; y < rows; y++) {
    uint8_t *dst = r->band + y * r->row_bytes + x * pixel + (size_t)s * bytes;
    const uint8_t *from = src + y * stride;
    for (uint32_t i = 0; i < cols; i++) memcpy(dst + i * pixel, from + i * bytes, bytes);
  }
}

/* Fills the band with the strip row, strip of planes or row of tiles holding `row`. */
static int load_band(ccodecs_tiff_reader *r, uint32_t row) {
  layout *l = &r->l;
  if (l->mode == DIRECT_STRIPS) {
    if (TIFFReadScanline(r->tif, r->band, row, 0) < 0) return CCODECS_FAILED;
    r->band_first = row, r->band_rows = 1;
    return 0;
  }
  uint32_t height = l->mode == DIRECT_PLANES ? r->rows_per_strip : r->tile_height;
  uint32_t first = row - row % height;
  uint32_t rows = l->height - first < height ? l->height - first : height;
  if (l->mode == DIRECT_PLANES) {
    size_t plane_row = r->row_bytes / l->spp;
    for (int s = 0; s < l->spp; s++) {
      tmsize_t want = (tmsize_t)(rows * plane_row);
      if (TIFFReadEncodedStrip(r->tif, TIFFComputeStrip(r->tif, first, (uint16_t)s), r->tile, want) < want)
        return CCODECS_FAILED;
      scatter_plane(r, r->tile, plane_row, rows, 0, l->width, s);
    }
    r->band_first = first, r->band_rows = rows;
    return 0;
  }
  int planes = r->separate ? l->spp : 1, samples = r->separate ? 1 : l->spp;
  size_t tile_row_bytes = (size_t)r->tile_width * samples * l->bits / 8;
  for (uint32_t x = 0; x < l->width; x += r->tile_width) {
    uint32_t cols = l->width - x < r->tile_width ? l->width - x : r->tile_width;
    for (int s = 0; s < planes; s++) {
      if (TIFFReadTile(r->tif, r->tile, x, first, 0, (uint16_t)s) < 0) return CCODECS_FAILED;
      if (r->separate) {
        scatter_plane(r, r->tile, tile_row_bytes, rows, x, cols, s);
        continue;
      }
      size_t offset = (size_t)x * l->spp * l->bits / 8, bytes = ((size_t)cols * l->spp * l->bits + 7) / 8;
      for (uint32_t y = 0; y < rows; y++)
        memcpy(r->band + y * r->row_bytes + offset, r->tile + y * tile_row_bytes, bytes);
    }
  }
  r->band_first = first, r->band_rows = rows;
  return 0;
}

/* Row `row` of the band into the planes at dst, as v / (2^bits - 1) or the float as stored. */
static void convert_row(ccodecs_tiff_reader *r, uint32_t row, float *dst, size_t plane) {
  layout *l = &r->l;
  uint8_t *src = r->band + (size_t)(row - r->band_first) * r->row_bytes;
  size_t width = l->width;
  if (l->bits < 8) {
    unsigned max = (1u << l->bits) - 1, per_byte = 8 / l->bits;
    for (size_t x = 0; x < width; x++) {
      unsigned v = (src[x / per_byte] >> (8 - l->bits * (1 + x % per_byte))) & max;
      if (r->l.invert) v = max - v;
      r->expanded[x] = (uint8_t)(v * 255 / max);
    }
    ccodecs_u8_to_planar(r->expanded, width, 1, dst, plane);
  } else if (l->bits == 8) {
    if (l->invert)
      for (size_t x = 0; x < width; x++) src[x * l->spp] = (uint8_t)(255 - src[x * l->spp]);
    ccodecs_u8_to_planar(src, width, l->channels, dst, plane);
  } else if (l->bit_depth == 16) {
    uint16_t *s = (uint16_t *)src;
    if (l->invert)
      for (size_t x = 0; x < width; x++) s[x * l->spp] = (uint16_t)(65535 - s[x * l->spp]);
    ccodecs_u16_to_planar(s, width, l->channels, dst, plane);
  } else {
    const float *s = (const float *)src;
    for (size_t x = 0; x < width; x++)
      for (int c = 0; c < l->channels; c++) dst[(size_t)c * plane + x] = s[x * (size_t)l->channels + c];
  }
}

/* The whole image through libtiff's RGBA interface, in stored order, into the planes. */
static int read_rgba(ccodecs_tiff_reader *r, float *dst, size_t plane) {
  layout *l = &r->l;
  size_t n = (size_t)l->width * l->height;
  char why[1024] = "";
  TIFFRGBAImage image;
  if (!TIFFRGBAImageBegin(&image, r->tif, 1, why)) {
    ccodecs_set_msg(r->io.msg, r->io.msg_cap, "cannot decode this TIFF: %s", why);
    return CCODECS_FAILED;
  }
  image.req_orientation = image.orientation; /* no flips: rows as stored, top first */
  uint32_t *raster = n <= SIZE_MAX / 4 ? malloc(n * 4) : NULL;
  uint8_t *bytes = n <= SIZE_MAX / 4 ? malloc(n * 4) : NULL;
  int ok = raster && bytes && TIFFRGBAImageGet(&image, raster, l->width, l->height);
  TIFFRGBAImageEnd(&image);
  if (ok) {
    int channels = l->channels, gray = channels <= 2, alpha = channels % 2 == 0;
    for (size_t i = 0; i < n; i++) {
      uint32_t p = raster[i];
      uint8_t *o = bytes + i * (size_t)channels;
      o[0] = (uint8_t)TIFFGetR(p);
      if (!gray) o[1] = (uint8_t)TIFFGetG(p), o[2] = (uint8_t)TIFFGetB(p);
      if (alpha) o[channels - 1] = (uint8_t)TIFFGetA(p);
    }
    ccodecs_u8_to_planar(bytes, n, channels, dst, plane);
  } else if (!r->io.errors) {
    ccodecs_set_msg(r->io.msg, r->io.msg_cap, raster && bytes ? "corrupt TIFF image data" : "out of memory");
  }
  free(raster);
  free(bytes);
  return ok ? 0 : CCODECS_FAILED;
}

int ccodecs_tiff_reader_read(ccodecs_tiff_reader *r, float *dst, size_t plane, int32_t rows, char *msg,
                             size_t msg_cap) {
  r->io.msg = msg, r->io.msg_cap = msg_cap, r->io.errors = 0;
  if (r->failed) {
    ccodecs_set_msg(msg, msg_cap, "TIFF reader used after a failure");
    return CCODECS_FAILED;
  }
  if (rows < 0 || rows > (int32_t)r->l.height - r->next) {
    ccodecs_set_msg(msg, msg_cap, "TIFF has only %u rows", r->l.height);
    return fail(r, CCODECS_FAILED);
  }
  if (r->l.mode == WHOLE_RGBA) {
    /* Decoded whole into the caller's planes: only a read of every row at once is possible. */
    if (r->next != 0 || rows != (int32_t)r->l.height) {
      ccodecs_set_msg(msg, msg_cap, "this TIFF is decoded whole; read all its rows at once");
      return fail(r, CCODECS_FAILED);
    }
    if (read_rgba(r, dst, plane) != 0) return fail(r, CCODECS_FAILED);
    r->next = rows;
    return 0;
  }
  size_t width = r->l.width;
  for (int32_t y = 0; y < rows; y++) {
    uint32_t row = (uint32_t)(r->next + y);
    if (r->band_rows == 0 || row >= r->band_first + r->band_rows) {
      if (load_band(r, row) != 0) {
        if (!r->io.errors) ccodecs_set_msg(msg, msg_cap, "corrupt or truncated TIFF image data at row %u", row);
        return fail(r, CCODECS_FAILED);
      }
    }
    convert_row(r, row, dst + (size_t)y * width, plane);
  }
  r->next += rows;
  return 0;
}

int ccodecs_tiff_reader_finish(ccodecs_tiff_reader *r, ccodecs_metadata *late, char *msg, size_t msg_cap) {
  if (late) memset(late, 0, sizeof *late);
  return ccodecs_rows_done(r->failed, r->next, (int32_t)r->l.height, "TIFF", msg, msg_cap);
}

struct ccodecs_tiff_writer {
  tiff_io io;
  ccodecs_output *out;
  TIFF *tif;
  int32_t width, height, channels, bit_depth, next;
  uint8_t *row;
  int failed;
};

void ccodecs_tiff_writer_discard(ccodecs_tiff_writer *w) {
  if (!w) return;
  if (w->tif) TIFFClose(w->tif);
  if (w->io.fp) ccodecs_discard_output(w->out, w->io.fp);
  free(w->io.buf);
  free(w->row);
  free(w);
}

int ccodecs_tiff_writer_open(ccodecs_output *out, int32_t width, int32_t height, int32_t channels,
                             const ccodecs_write_options *options, const ccodecs_metadata *meta,
                             ccodecs_tiff_writer **writer, char *msg, size_t msg_cap) {
  int32_t bits = options->bit_depth;
  *writer = NULL;
  if (channels < 1 || channels > 4 || (bits != 8 && bits != 16 && bits != 32) || width < 1 || height < 1) {
    ccodecs_set_msg(msg, msg_cap, "cannot write a %dx%d TIFF with %d channels at %d bits", width, height, channels,
                    bits);
    return CCODECS_FAILED;
  }
  ccodecs_tiff_writer *w = calloc(1, sizeof *w);
  size_t row_bytes = (size_t)width * channels * (bits / 8);
  if (w) w->row = malloc(row_bytes);
  if (!w || !w->row) {
    if (w) free(w);
    ccodecs_set_msg(msg, msg_cap, "out of memory");
    return CCODECS_FAILED;
  }
  w->io.msg = msg, w->io.msg_cap = msg_cap;
  w->out = out;
  w->width = width, w->height = height, w->channels = channels, w->bit_depth = bits;
  if (out->path) {
    w->io.fp = ccodecs_open(out->path, "w+b", msg, msg_cap);
    if (!w->io.fp) {
      ccodecs_tiff_writer_discard(w);
      return CCODECS_FAILED;
    }
  }
  /* BigTIFF when the samples alone come near the 4 GB of classic TIFF offsets. */
  int big = (uint64_t)row_bytes * (uint64_t)height > ((uint64_t)3 << 30);
  w->tif = open_tiff(&w->io, big ? "w8" : "w");
  if (!w->tif) {
    ccodecs_tiff_writer_discard(w);
    return CCODECS_FAILED;
  }
  TIFF *tif = w->tif;
  uint32_t rows_per_strip = (uint32_t)((256 * 1024) / row_bytes);
  if (rows_per_strip < 1) rows_per_strip = 1;
  int ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)width) &&
           TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)height) &&
           TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)bits) &&
           TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)channels) &&
           TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, bits == 32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT) &&
           TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, channels <= 2 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB) &&
           TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
           TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT) &&
           TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rows_per_strip);
  if (ok && channels % 2 == 0) {
    uint16_t extra = EXTRASAMPLE_UNASSALPHA;
    ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, &extra);
  }
  if (ok && options->compression != 0) {
    ok = TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE) &&
         TIFFSetField(tif, TIFFTAG_PREDICTOR, bits == 32 ? PREDICTOR_FLOATINGPOINT : PREDICTOR_HORIZONTAL) &&
         TIFFSetField(tif, TIFFTAG_ZIPQUALITY, options->compression > 0 ? options->compression : 1);
  }
  if (ok && meta && meta->icc && meta->icc_size && meta->icc_size <= UINT32_MAX)
    ok = TIFFSetField(tif, TIFFTAG_ICCPROFILE, (uint32_t)meta->icc_size, meta->icc);
  if (!ok) {
    if (!w->io.errors) ccodecs_set_msg(msg, msg_cap, "cannot set up the TIFF header");
    ccodecs_tiff_writer_discard(w);
    return CCODECS_FAILED;
  }
  *writer = w;
  return 0;
}

int ccodecs_tiff_writer_write(ccodecs_tiff_writer *w, const float *planes, size_t plane, int32_t rows, char *msg,
                              size_t msg_cap) {
  w->io.msg = msg, w->io.msg_cap = msg_cap, w->io.errors = 0;
  if (w->failed || rows < 0 || rows > w->height - w->next) {
    ccodecs_set_msg(msg, msg_cap, w->failed ? "TIFF writer used after a failure" : "more rows than the TIFF's height");
    w->failed = 1;
    return CCODECS_FAILED;
  }
  size_t width = (size_t)w->width;
  for (int32_t y = 0; y < rows; y++) {
    const float *src = planes + (size_t)y * width;
    if (w->bit_depth == 8) ccodecs_planar_to_u8(src, plane, width, w->channels, w->row);
    else if (w->bit_depth == 16) ccodecs_planar_to_u16(src, plane, width, w->channels, (uint16_t *)w->row);
    else {
      float *d = (float *)w->row;
      for (size_t x = 0; x < width; x++)
        for (int c = 0; c < w->channels; c++) d[x * (size_t)w->channels + c] = src[(size_t)c * plane + x];
    }
    if (TIFFWriteScanline(w->tif, w->row, (uint32_t)(w->next + y), 0) < 0) {
      if (!w->io.errors) ccodecs_set_msg(msg, msg_cap, "cannot write: %s", errno ? strerror(errno) : "TIFF error");
      w->failed = 1;
      return CCODECS_FAILED;
    }
  }
  w->next += rows;
  return 0;
}

int ccodecs_tiff_writer_finish(ccodecs_tiff_writer *w, char *msg, size_t msg_cap) {
  w->io.msg = msg, w->io.msg_cap = msg_cap, w->io.errors = 0;
  if (w->failed || w->next != w->height) {
    ccodecs_set_msg(msg, msg_cap, w->failed ? "TIFF writer used after a failure" : "TIFF rows missing at the end");
    ccodecs_tiff_writer_discard(w);
    return CCODECS_FAILED;
  }
  int ok = TIFFWriteDirectory(w->tif);
  if (ok && w->io.fp && ferror(w->io.fp)) ok = 0;
  TIFFClose(w->tif);
  w->tif = NULL;
  if (!ok) {
    if (!w->io.errors) ccodecs_set_msg(msg, msg_cap, "cannot write the TIFF directory");
    ccodecs_tiff_writer_discard(w);
    return CCODECS_FAILED;
  }
  int status = 0;
  if (w->io.fp) {
    FILE *fp = w->io.fp;
    w->io.fp = NULL;
    if (ccodecs_close_written(fp, msg, msg_cap) != 0) status = CCODECS_FAILED;
  } else {
    w->out->data = w->io.buf;
    w->out->size = w->io.size;
    w->io.buf = NULL;
  }
  ccodecs_tiff_writer_discard(w);
  return status;
}
