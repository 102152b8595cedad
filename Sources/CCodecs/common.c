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

int ccodecs_sniff(const char *path, int *format, char *msg, size_t msg_cap) {
  static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  unsigned char head[8];
  *format = CCODECS_UNKNOWN;
  FILE *fp = ccodecs_open(path, "rb", msg, msg_cap);
  if (!fp) return -1;
  size_t n = fread(head, 1, sizeof head, fp);
  int failed = ferror(fp), read_errno = errno;
  fclose(fp);
  if (failed) {
    ccodecs_set_msg(msg, msg_cap, "cannot read: %s", strerror(read_errno));
    return -1;
  }
  /* A damaged signature tail (e.g. ASCII-mode transfer) is left to libpng to diagnose. */
  if (n >= 4 && memcmp(head, png_sig, 4) == 0) *format = CCODECS_PNG;
  else if (n >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff) *format = CCODECS_JPEG;
  return 0;
}
