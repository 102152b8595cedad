#include "ccodecs_webp.h"
#include "shim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>

/* A RIFF size is 32 bits: no WebP is larger than this. */
#define MAX_WEBP_BYTES ((size_t)0xffffffffu + 8)

static int copy_bytes(uint8_t **dst, size_t *dst_size, const uint8_t *src, size_t size, char *msg, size_t msg_cap) {
  *dst = malloc(size);
  if (!*dst) {
    ccodecs_set_msg(msg, msg_cap, "out of memory for a %zu-byte chunk", size);
    return CCODECS_FAILED;
  }
  memcpy(*dst, src, size);
  *dst_size = size;
  return 0;
}

/* The header, orientation and (meta not NULL) the ICCP and EXIF chunks of the file in data, checked by the demuxer;
 * refuses animations and more than max_pixels pixels. An EXIF chunk some writers start with "Exif\0\0" is kept
 * without it. */
static int read_header(const uint8_t *data, size_t size, int64_t max_pixels, ccodecs_info *out, ccodecs_metadata *meta,
                       char *msg, size_t msg_cap) {
  WebPBitstreamFeatures features;
  VP8StatusCode status = WebPGetFeatures(data, size, &features);
  if (status != VP8_STATUS_OK) {
    ccodecs_set_msg(msg, msg_cap, status == VP8_STATUS_NOT_ENOUGH_DATA ? "truncated WebP header" : "invalid WebP header");
    return CCODECS_FAILED;
  }
  if (features.has_animation) {
    ccodecs_set_msg(msg, msg_cap, "animated WebP is not supported (convert a frame to a still image first)");
    return CCODECS_FAILED;
  }
  WebPData whole = {data, size};
  WebPDemuxer *demux = WebPDemux(&whole);
  if (!demux) {
    ccodecs_set_msg(msg, msg_cap, "invalid or truncated WebP file (its chunks do not add up)");
    return CCODECS_FAILED;
  }
  if ((uint64_t)features.width * (uint64_t)features.height > (uint64_t)max_pixels) {
    ccodecs_set_msg(msg, msg_cap, "WebP claims %dx%d pixels, more than the limit of %lld", features.width,
                    features.height, (long long)max_pixels);
    WebPDemuxDelete(demux);
    return CCODECS_OVER_LIMIT;
  }
  out->width = features.width;
  out->height = features.height;
  out->channels = features.has_alpha ? 4 : 3;
  out->bit_depth = 8;
  out->orientation = 1;
  int failed = 0;
  WebPChunkIterator chunk;
  if (WebPDemuxGetChunk(demux, "EXIF", 1, &chunk)) {
    const uint8_t *exif = chunk.chunk.bytes;
    size_t exif_size = chunk.chunk.size;
    if (exif_size >= 6 && memcmp(exif, "Exif\0\0", 6) == 0) exif += 6, exif_size -= 6;
    int orientation = ccodecs_exif_orientation(exif, exif_size);
    if (orientation) out->orientation = orientation;
    if (meta && exif_size) failed = copy_bytes(&meta->exif, &meta->exif_size, exif, exif_size, msg, msg_cap);
    WebPDemuxReleaseChunkIterator(&chunk);
  }
  if (meta && !failed && WebPDemuxGetChunk(demux, "ICCP", 1, &chunk)) {
    if (chunk.chunk.size)
      failed = copy_bytes(&meta->icc, &meta->icc_size, chunk.chunk.bytes, chunk.chunk.size, msg, msg_cap);
    WebPDemuxReleaseChunkIterator(&chunk);
  }
  WebPDemuxDelete(demux);
  if (failed) ccodecs_metadata_free(meta);
  return failed;
}

int ccodecs_webp_info(const ccodecs_input *in, ccodecs_info *out, ccodecs_metadata *meta, char *msg, size_t msg_cap) {
  if (meta) memset(meta, 0, sizeof *meta);
  const uint8_t *data;
  size_t size;
  uint8_t *owned;
  if (ccodecs_read_input(in, MAX_WEBP_BYTES, &data, &size, &owned, msg, msg_cap) != 0) return CCODECS_FAILED;
  int status = read_header(data, size, INT64_MAX, out, meta, msg, msg_cap);
  free(owned);
  return status;
}

struct ccodecs_webp_reader {
  const uint8_t *data;
  size_t size;
  uint8_t *owned;
  ccodecs_info out;
  /* The decoded image (8-bit RGB or RGBA), made at the first read. */
  uint8_t *pixels;
  int32_t next;
  int failed;
};

void ccodecs_webp_reader_close(ccodecs_webp_reader *r) {
  if (!r) return;
  free(r->owned);
  WebPFree(r->pixels);
  free(r);
}

int ccodecs_webp_reader_open(const ccodecs_input *in, int64_t max_pixels, ccodecs_webp_reader **reader,
                             ccodecs_info *out, ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap) {
  *reader = NULL;
  if (strips) *strips = CCODECS_STRIPS_OK;
  if (meta) memset(meta, 0, sizeof *meta);
  ccodecs_webp_reader *r = ccodecs_new_state(sizeof *r, msg, msg_cap);
  if (!r) return CCODECS_FAILED;
  if (ccodecs_read_input(in, MAX_WEBP_BYTES, &r->data, &r->size, &r->owned, msg, msg_cap) != 0) {
    free(r);
    return CCODECS_FAILED;
  }
  int status = read_header(r->data, r->size, max_pixels, out, meta, msg, msg_cap);
  if (status != 0) {
    ccodecs_webp_reader_close(r);
    return status;
  }
  r->out = *out;
  *reader = r;
  return 0;
}

int ccodecs_webp_reader_read(ccodecs_webp_reader *r, float *dst, size_t plane, int32_t rows, char *msg,
                             size_t msg_cap) {
  if (r->failed) {
    ccodecs_set_msg(msg, msg_cap, "WebP reader used after a failure");
    return CCODECS_FAILED;
  }
  if (rows < 0 || rows > r->out.height - r->next) {
    ccodecs_set_msg(msg, msg_cap, "WebP has only %d rows", r->out.height);
    r->failed = 1;
    return CCODECS_FAILED;
  }
  size_t width = (size_t)r->out.width, channels = (size_t)r->out.channels;
  if (!r->pixels) {
    /* The advanced API for its threaded lossy filtering; the buffer is libwebp's (freed with WebPFree). */
    WebPDecoderConfig config;
    int ok = WebPInitDecoderConfig(&config);
    if (ok) {
      config.options.use_threads = 1;
      config.output.colorspace = channels == 4 ? MODE_RGBA : MODE_RGB;
      ok = WebPDecode(r->data, r->size, &config) == VP8_STATUS_OK;
      if (ok) r->pixels = config.output.u.RGBA.rgba;
      ok = ok && config.output.width == r->out.width && config.output.height == r->out.height;
    }
    if (!ok) {
      ccodecs_set_msg(msg, msg_cap, "corrupt or truncated WebP image data");
      r->failed = 1;
      return CCODECS_FAILED;
    }
  }
  ccodecs_u8_to_planar(r->pixels + (size_t)r->next * width * channels, (size_t)rows * width, (int)channels, dst, plane);
  r->next += rows;
  return 0;
}

int ccodecs_webp_reader_finish(ccodecs_webp_reader *r, ccodecs_metadata *late, char *msg, size_t msg_cap) {
  if (late) memset(late, 0, sizeof *late);
  return ccodecs_rows_done(r->failed, r->next, r->out.height, "WebP", msg, msg_cap);
}

struct ccodecs_webp_writer {
  ccodecs_output *out;
  int32_t width, height, channels, quality, lossless, next;
  /* 8-bit RGB, or RGBA for 2 and 4 channels. */
  uint8_t *pixels;
  uint8_t *icc, *exif;
  size_t icc_size, exif_size;
  int failed;
};

void ccodecs_webp_writer_discard(ccodecs_webp_writer *w) {
  if (!w) return;
  free(w->pixels);
  free(w->icc);
  free(w->exif);
  free(w);
}

int ccodecs_webp_writer_open(ccodecs_output *out, int32_t width, int32_t height, int32_t channels,
                             const ccodecs_write_options *options, const ccodecs_metadata *meta,
                             ccodecs_webp_writer **writer, char *msg, size_t msg_cap) {
  *writer = NULL;
  if (channels < 1 || channels > 4 || width < 1 || height < 1 || width > WEBP_MAX_DIMENSION ||
      height > WEBP_MAX_DIMENSION || options->quality < 1 || options->quality > 100) {
    ccodecs_set_msg(msg, msg_cap, "cannot write a %dx%d WebP with %d channels (at most %d pixels a side)", width,
                    height, channels, WEBP_MAX_DIMENSION);
    return CCODECS_FAILED;
  }
  ccodecs_webp_writer *w = ccodecs_new_state(sizeof *w, msg, msg_cap);
  if (!w) return CCODECS_FAILED;
  w->out = out;
  w->width = width, w->height = height, w->channels = channels;
  w->quality = options->quality, w->lossless = options->lossless;
  size_t stored = channels % 2 == 0 ? 4 : 3;
  w->pixels = malloc((size_t)width * (size_t)height * stored);
  int failed = !w->pixels;
  if (!failed && meta && meta->icc && meta->icc_size)
    failed = copy_bytes(&w->icc, &w->icc_size, meta->icc, meta->icc_size, msg, msg_cap) != 0;
  if (!failed && meta && meta->exif && meta->exif_size)
    failed = copy_bytes(&w->exif, &w->exif_size, meta->exif, meta->exif_size, msg, msg_cap) != 0;
  if (failed) {
    ccodecs_set_msg(msg, msg_cap, "out of memory for a %dx%d WebP", width, height);
    ccodecs_webp_writer_discard(w);
    return CCODECS_FAILED;
  }
  *writer = w;
  return 0;
}

int ccodecs_webp_writer_write(ccodecs_webp_writer *w, const float *planes, size_t plane, int32_t rows, char *msg,
                              size_t msg_cap) {
  if (w->failed || rows < 0 || rows > w->height - w->next) {
    ccodecs_set_msg(msg, msg_cap, w->failed ? "WebP writer used after a failure" : "more rows than the WebP's height");
    w->failed = 1;
    return CCODECS_FAILED;
  }
  size_t width = (size_t)w->width, stored = w->channels % 2 == 0 ? 4 : 3;
  uint8_t *dst = w->pixels + (size_t)w->next * width * stored;
  size_t n = (size_t)rows * width;
  if (w->channels >= 3) {
    ccodecs_planar_to_u8(planes, plane, n, w->channels, dst);
  } else {
    /* Gray (and alpha) spread over R, G and B. */
    uint8_t gray[2 * 256];
    for (size_t i = 0; i < n; i += 256) {
      size_t m = n - i < 256 ? n - i : 256;
      ccodecs_planar_to_u8(planes + i, plane, m, w->channels, gray);
      for (size_t k = 0; k < m; k++) {
        uint8_t *p = dst + (i + k) * stored;
        p[0] = p[1] = p[2] = gray[k * w->channels];
        if (stored == 4) p[3] = gray[k * 2 + 1];
      }
    }
  }
  w->next += rows;
  return 0;
}

static const char *encoding_error(WebPEncodingError error) {
  switch (error) {
  case VP8_ENC_ERROR_OUT_OF_MEMORY:
  case VP8_ENC_ERROR_BITSTREAM_OUT_OF_MEMORY: return "out of memory";
  case VP8_ENC_ERROR_BAD_DIMENSION: return "bad picture dimension";
  case VP8_ENC_ERROR_PARTITION0_OVERFLOW:
  case VP8_ENC_ERROR_PARTITION_OVERFLOW: return "partition too big (try a lower --quality)";
  case VP8_ENC_ERROR_FILE_TOO_BIG: return "file would be bigger than 4 GB";
  default: return "encoder failed";
  }
}

/* Encodes the kept rows, adds the ICCP and EXIF chunks (the mux writes the VP8X header they need) and writes the
 * bytes; *msg set on failure. */
static int encode(ccodecs_webp_writer *w, char *msg, size_t msg_cap) {
  WebPConfig config;
  WebPPicture picture;
  WebPMemoryWriter memory;
  if (!WebPConfigInit(&config) || !WebPPictureInit(&picture)) {
    ccodecs_set_msg(msg, msg_cap, "libwebp version mismatch");
    return CCODECS_FAILED;
  }
  config.quality = (float)w->quality;
  config.lossless = w->lossless ? 1 : 0;
  config.thread_level = 1; /* libwebp overlaps its analysis and coding passes on a second thread */
  if (w->lossless) config.exact = 1; /* RGB under transparent pixels kept */
  picture.use_argb = w->lossless ? 1 : 0;
  picture.width = w->width;
  picture.height = w->height;
  int stored = w->channels % 2 == 0 ? 4 : 3;
  int imported = stored == 4 ? WebPPictureImportRGBA(&picture, w->pixels, w->width * 4)
                             : WebPPictureImportRGB(&picture, w->pixels, w->width * 3);
  if (!imported) {
    ccodecs_set_msg(msg, msg_cap, "out of memory for the WebP picture");
    WebPPictureFree(&picture);
    return CCODECS_FAILED;
  }
  WebPMemoryWriterInit(&memory);
  picture.writer = WebPMemoryWrite;
  picture.custom_ptr = &memory;
  int encoded = WebPEncode(&config, &picture);
  WebPEncodingError error = picture.error_code;
  WebPPictureFree(&picture);
  if (!encoded) {
    ccodecs_set_msg(msg, msg_cap, "cannot encode the WebP: %s", encoding_error(error));
    WebPMemoryWriterClear(&memory);
    return CCODECS_FAILED;
  }
  WebPData assembled = {memory.mem, memory.size};
  WebPMux *mux = NULL;
  if (w->icc || w->exif) {
    mux = WebPMuxCreate(&assembled, 0);
    WebPData icc = {w->icc, w->icc_size}, exif = {w->exif, w->exif_size};
    WebPMuxError status = mux ? WEBP_MUX_OK : WEBP_MUX_MEMORY_ERROR;
    if (status == WEBP_MUX_OK && w->icc) status = WebPMuxSetChunk(mux, "ICCP", &icc, 0);
    if (status == WEBP_MUX_OK && w->exif) status = WebPMuxSetChunk(mux, "EXIF", &exif, 0);
    WebPData muxed = {NULL, 0};
    if (status == WEBP_MUX_OK) status = WebPMuxAssemble(mux, &muxed);
    WebPMuxDelete(mux);
    WebPMemoryWriterClear(&memory);
    if (status != WEBP_MUX_OK) {
      WebPDataClear(&muxed);
      ccodecs_set_msg(msg, msg_cap, "cannot add the ICC profile and EXIF to the WebP (mux error %d)", (int)status);
      return CCODECS_FAILED;
    }
    assembled = muxed;
  }
  FILE *fp = ccodecs_open_output(w->out, msg, msg_cap);
  int status = 0;
  if (!fp) status = CCODECS_FAILED;
  else if (fwrite(assembled.bytes, 1, assembled.size, fp) != assembled.size) {
    ccodecs_set_msg(msg, msg_cap, "write failed: %s", strerror(errno));
    ccodecs_discard_output(w->out, fp);
    status = CCODECS_FAILED;
  } else if (ccodecs_close_written(fp, msg, msg_cap) != 0) {
    ccodecs_discard_output(w->out, NULL);
    status = CCODECS_FAILED;
  }
  if (mux || (w->icc || w->exif)) WebPFree((void *)assembled.bytes);
  else WebPMemoryWriterClear(&memory);
  return status;
}

int ccodecs_webp_writer_finish(ccodecs_webp_writer *w, char *msg, size_t msg_cap) {
  int status;
  if (w->failed || w->next != w->height) {
    ccodecs_set_msg(msg, msg_cap, w->failed ? "WebP writer used after a failure" : "WebP rows missing at the end");
    status = CCODECS_FAILED;
  } else {
    status = encode(w, msg, msg_cap);
  }
  ccodecs_webp_writer_discard(w);
  return status;
}
