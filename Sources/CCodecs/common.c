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

int ccodecs_sniff(const char *path, int *format, char *msg, size_t msg_cap) {
  static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  unsigned char head[8];
  *format = CCODECS_UNKNOWN;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    ccodecs_set_msg(msg, msg_cap, "cannot open: %s", strerror(errno));
    return -1;
  }
  size_t n = fread(head, 1, sizeof head, fp);
  int failed = ferror(fp);
  fclose(fp);
  if (failed) {
    ccodecs_set_msg(msg, msg_cap, "cannot read: %s", strerror(errno));
    return -1;
  }
  /* A damaged signature tail (e.g. ASCII-mode transfer) is left to libpng to diagnose. */
  if (n >= 4 && memcmp(head, png_sig, 4) == 0) *format = CCODECS_PNG;
  else if (n >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff) *format = CCODECS_JPEG;
  return 0;
}

void ccodecs_free(void *pixels) { free(pixels); }
