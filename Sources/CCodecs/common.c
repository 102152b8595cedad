#define _POSIX_C_SOURCE 200809L /* fmemopen, open_memstream */
#include "ccodecs.h"
#include "shim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ccodecs_set_msg(char *msg, size_t msg_cap, const char *fmt, ...) {
  if (!msg || msg_cap == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, msg_cap, fmt, ap);
  va_end(ap);
}

FILE *ccodecs_open(const char *path, const char *mode, char *msg, size_t msg_cap) {
  FILE *fp = fopen(path, mode);
  if (!fp) ccodecs_set_msg(msg, msg_cap, "%s: %s", mode[0] == 'r' ? "cannot open" : "cannot create", strerror(errno));
  return fp;
}

int ccodecs_close_written(FILE *fp, char *msg, size_t msg_cap) {
  int failed = fflush(fp) != 0 || ferror(fp);
  int saved_errno = errno;
  if (fclose(fp) != 0 && !failed) {
    failed = 1;
    saved_errno = errno;
  }
  if (!failed) return 0;
  ccodecs_set_msg(msg, msg_cap, "write failed: %s", strerror(saved_errno));
  return -1;
}

FILE *ccodecs_open_input(const ccodecs_input *in, char *msg, size_t msg_cap) {
  if (in->path) return ccodecs_open(in->path, "rb", msg, msg_cap);
  if (!in->data || in->size == 0) {
    ccodecs_set_msg(msg, msg_cap, "no data (the input is empty)");
    return NULL;
  }
  FILE *fp = fmemopen((void *)in->data, in->size, "rb");
  if (!fp) ccodecs_set_msg(msg, msg_cap, "cannot read the data in memory: %s", strerror(errno));
  return fp;
}

FILE *ccodecs_open_output(ccodecs_output *out, char *msg, size_t msg_cap) {
  if (out->path) return ccodecs_open(out->path, "wb", msg, msg_cap);
  out->data = NULL;
  out->size = 0;
  FILE *fp = open_memstream((char **)&out->data, &out->size);
  if (!fp) ccodecs_set_msg(msg, msg_cap, "cannot make a buffer in memory: %s", strerror(errno));
  return fp;
}

void ccodecs_discard_output(ccodecs_output *out, FILE *fp) {
  if (fp) fclose(fp);
  if (!out->path) {
    free(out->data);
    out->data = NULL;
    out->size = 0;
  }
}

void ccodecs_metadata_free(ccodecs_metadata *meta) {
  if (!meta) return;
  free(meta->icc);
  free(meta->exif);
  memset(meta, 0, sizeof *meta);
}

void ccodecs_free(void *p) { free(p); }

int ccodecs_read_head(const ccodecs_input *in, uint8_t *head, size_t cap, size_t *n, char *msg, size_t msg_cap) {
  *n = 0;
  if (!in->path) {
    if (in->data) *n = in->size < cap ? in->size : cap;
    if (*n) memcpy(head, in->data, *n);
    return 0;
  }
  FILE *fp = ccodecs_open(in->path, "rb", msg, msg_cap);
  if (!fp) return -1;
  *n = fread(head, 1, cap, fp);
  int failed = ferror(fp), read_errno = errno;
  fclose(fp);
  if (failed) {
    ccodecs_set_msg(msg, msg_cap, "cannot read: %s", strerror(read_errno));
    return -1;
  }
  return 0;
}

int ccodecs_read_input(const ccodecs_input *in, size_t max, const uint8_t **data, size_t *size, uint8_t **owned,
                       char *msg, size_t msg_cap) {
  *owned = NULL;
  if (!in->path) {
    if (!in->data || in->size == 0) {
      ccodecs_set_msg(msg, msg_cap, "no data (the input is empty)");
      return CCODECS_FAILED;
    }
    *data = in->data;
    *size = in->size;
    return 0;
  }
  FILE *fp = ccodecs_open(in->path, "rb", msg, msg_cap);
  if (!fp) return CCODECS_FAILED;
  uint8_t *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n == cap) {
      size_t grown = cap ? cap * 2 : 1 << 16;
      if (grown > max + 1) grown = max + 1;
      if (grown == cap) {
        ccodecs_set_msg(msg, msg_cap, "file larger than %zu bytes", max);
        goto fail;
      }
      uint8_t *bigger = realloc(buf, grown);
      if (!bigger) {
        ccodecs_set_msg(msg, msg_cap, "out of memory for %zu bytes of file", grown);
        goto fail;
      }
      buf = bigger, cap = grown;
    }
    size_t got = fread(buf + n, 1, cap - n, fp);
    n += got;
    if (got == 0) break;
  }
  if (ferror(fp)) {
    ccodecs_set_msg(msg, msg_cap, "cannot read: %s", strerror(errno));
    goto fail;
  }
  fclose(fp);
  *data = *owned = buf;
  *size = n;
  return 0;
fail:
  free(buf);
  fclose(fp);
  return CCODECS_FAILED;
}

static uint32_t read_u16(const uint8_t *p, int little) {
  return little ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : (uint32_t)p[0] << 8 | (uint32_t)p[1];
}

static uint32_t read_u32(const uint8_t *p, int little) {
  return little ? read_u16(p, 1) | read_u16(p + 2, 1) << 16 : read_u16(p, 0) << 16 | read_u16(p + 2, 0);
}

/* The offset of IFD0's Orientation entry (12 bytes, all inside `size`), or 0 when there is none. */
static size_t orientation_entry(const uint8_t *tiff, size_t size, int *little) {
  if (!tiff || size < 8) return 0;
  if (tiff[0] == 'I' && tiff[1] == 'I') *little = 1;
  else if (tiff[0] == 'M' && tiff[1] == 'M') *little = 0;
  else return 0;
  if (read_u16(tiff + 2, *little) != 42) return 0;
  uint64_t ifd = read_u32(tiff + 4, *little);
  if (ifd < 8 || ifd + 2 > size) return 0;
  uint32_t count = read_u16(tiff + ifd, *little);
  for (uint32_t i = 0; i < count; i++) {
    uint64_t entry = ifd + 2 + 12 * (uint64_t)i;
    if (entry + 12 > size) break;
    if (read_u16(tiff + entry, *little) == 0x0112) return (size_t)entry;
  }
  return 0;
}

int ccodecs_exif_orientation(const uint8_t *tiff, size_t size) {
  int little;
  size_t entry = orientation_entry(tiff, size, &little);
  if (!entry) return 0;
  uint32_t type = read_u16(tiff + entry + 2, little);
  uint32_t value = type == 3 ? read_u16(tiff + entry + 8, little) : type == 4 ? read_u32(tiff + entry + 8, little) : 0;
  return value >= 1 && value <= 8 ? (int)value : 0;
}

int ccodecs_exif_set_orientation(uint8_t *tiff, size_t size, int orientation) {
  int little;
  size_t entry = orientation_entry(tiff, size, &little);
  if (!entry) return 0;
  /* Rewritten as a SHORT with count 1, the form the EXIF standard gives the tag. */
  uint8_t *e = tiff + entry, *v = e + 8;
  e[2] = little ? 3 : 0, e[3] = little ? 0 : 3;
  e[4] = little ? 1 : 0, e[5] = 0, e[6] = 0, e[7] = little ? 0 : 1;
  memset(v, 0, 4);
  v[little ? 0 : 1] = (uint8_t)orientation;
  return 1;
}

void *ccodecs_new_state(size_t size, char *msg, size_t msg_cap) {
  void *p = calloc(1, size);
  if (!p) ccodecs_set_msg(msg, msg_cap, "out of memory");
  return p;
}

int ccodecs_rows_done(int failed, int32_t next, int32_t height, const char *format, char *msg, size_t msg_cap) {
  if (!failed && next == height) return 0;
  ccodecs_set_msg(msg, msg_cap, failed ? "%s reader used after a failure" : "%s rows left unread", format);
  return CCODECS_FAILED;
}

int ccodecs_finish_output(ccodecs_output *out, FILE *fp, char *msg, size_t msg_cap) {
  if (ccodecs_close_written(fp, msg, msg_cap) == 0) return 0;
  ccodecs_discard_output(out, NULL);
  return CCODECS_FAILED;
}
