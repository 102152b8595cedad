#ifndef CCODECS_SHIM_H
#define CCODECS_SHIM_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

/* printf into the caller's message buffer, always NUL-terminated. */
void ccodecs_set_msg(char *msg, size_t msg_cap, const char *fmt, ...);

#include <stdio.h>

#include "ccodecs.h"

/* fopen that explains a failure in msg ("cannot open" for reading, "cannot create" for writing). */
FILE *ccodecs_open(const char *path, const char *mode, char *msg, size_t msg_cap);
/* The FILE a read takes its bytes from: the file, or the bytes in memory (fmemopen). */
FILE *ccodecs_open_input(const ccodecs_input *in, char *msg, size_t msg_cap);
/* The FILE a write goes to: the file, or a growing buffer in memory (open_memstream) that closing it makes final
 * in out->data / out->size. */
FILE *ccodecs_open_output(ccodecs_output *out, char *msg, size_t msg_cap);
/* After a failed write: closes fp (when not NULL) and releases a memory output's buffer. */
void ccodecs_discard_output(ccodecs_output *out, FILE *fp);
/* The whole input in memory: a file read into a new buffer (*owned, to free; refused past `max` bytes), or the
 * caller's bytes (*owned NULL). */
int ccodecs_read_input(const ccodecs_input *in, size_t max, const uint8_t **data, size_t *size, uint8_t **owned,
                       char *msg, size_t msg_cap);
/* Flushes and closes a file that was written; -1 with the reason in msg when any write failed. */
int ccodecs_close_written(FILE *fp, char *msg, size_t msg_cap);
/* ccodecs_close_written, then on failure releases a memory output's buffer too (CCODECS_FAILED). */
int ccodecs_finish_output(ccodecs_output *out, FILE *fp, char *msg, size_t msg_cap);
/* A zeroed reader or writer state; NULL with "out of memory" in msg. */
void *ccodecs_new_state(size_t size, char *msg, size_t msg_cap);

#include <stdint.h>

/* Strip conversions (planar.c). Planes are `plane` floats apart; n pixels are converted. */
void ccodecs_u8_to_planar(const uint8_t *src, size_t n, int channels, float *planes, size_t plane);
void ccodecs_u16_to_planar(const uint16_t *src, size_t n, int channels, float *planes, size_t plane);
void ccodecs_planar_to_u8(const float *planes, size_t plane, size_t n, int channels, uint8_t *dst);
void ccodecs_planar_to_u16(const float *planes, size_t plane, size_t n, int channels, uint16_t *dst);

/* The end of a row reader: 0 when it did not fail and read all `height` rows, else the reason in msg. */
int ccodecs_rows_done(int failed, int32_t next, int32_t height, const char *format, char *msg, size_t msg_cap);

/* Rows handed to libpng / libjpeg per call. */
enum { CCODECS_STRIP_ROWS = 16 };

/* The prelude of every call on an open reader or writer `state` (a struct with an int `failed`) whose error
 * handler `err` has jb, msg and msg_cap. A macro because setjmp must run in the frame that libpng or libjpeg
 * jumps back to: refuses a reader or writer that failed before ("<what> used after a failure"), points the
 * error messages at this call's msg, and on a longjmp marks it failed, runs `cleanup` and returns
 * CCODECS_FAILED. Expects the call's parameters to be named msg and msg_cap. */
#define CCODECS_PRELUDE(state, err, what, cleanup)                                                            \
  do {                                                                                                        \
    if ((state)->failed) {                                                                                    \
      ccodecs_set_msg(msg, msg_cap, "%s used after a failure", what);                                         \
      cleanup;                                                                                                \
      return CCODECS_FAILED;                                                                                  \
    }                                                                                                         \
    (err).msg = msg;                                                                                          \
    (err).msg_cap = msg_cap;                                                                                  \
    if (setjmp((err).jb)) {                                                                                   \
      (state)->failed = 1;                                                                                    \
      cleanup;                                                                                                \
      return CCODECS_FAILED;                                                                                  \
    }                                                                                                         \
  } while (0)

#endif
