// A PNG's image data (IDAT) filtered and deflated on every core, for the default compression (Paeth rows,
// Z_RLE): rows are gathered into a group of about 8 MB, the group is cut into blocks of about 1 MB, and the cores
// Paeth-filter the blocks (the row above each block is kept) and deflate each as raw deflate ending on a byte
// boundary (Z_SYNC_FLUSH; Z_FINISH for the image's last block). The blocks, in order, behind one zlib header and
// followed by the Adler-32 of all the filtered bytes (adler32_combine), are one valid zlib stream, as pigz
// makes. Z_RLE only matches the previous byte, so the blocks' independent starts cost a few bytes each.
#include "png_idat.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* Blocks of about 1 MB of filtered rows, cut from the image's size alone, so the file's bytes are the same
 * whatever the number of cores. */
enum { MAX_WORKERS = 8, GROUP_BYTES = 8 << 20, BLOCK_BYTES = 1 << 20, MAX_BLOCKS = GROUP_BYTES / BLOCK_BYTES + 2 };

struct ccodecs_idat {
  FILE *fp;
  size_t rowbytes, bpp;
  int swap16;
  /// The raw rows of the current group, after the last row of the previous group (zeros before the first).
  unsigned char *raw;
  size_t capacity, rows;
  uLong adler;
  int started;
};

typedef struct {
  const unsigned char *above, *raw;  // the row above the block, the block's raw rows
  size_t rows, rowbytes, bpp;
  int last;
  unsigned char *filtered, *out;
  size_t out_size, out_cap;
  uLong adler;
  int failed;
} block;

static unsigned char paeth(int a, int b, int c) {
  int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
  return (unsigned char)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

static void filter_row(const unsigned char *above, const unsigned char *row, size_t n, size_t bpp, unsigned char *dst) {
  dst[0] = 4;  // Paeth
  dst++;
  for (size_t i = 0; i < bpp && i < n; i++) dst[i] = (unsigned char)(row[i] - paeth(0, above[i], 0));
  for (size_t i = bpp; i < n; i++) dst[i] = (unsigned char)(row[i] - paeth(row[i - bpp], above[i], above[i - bpp]));
}

static void *run_block(void *arg) {
  block *b = arg;
  const size_t line = b->rowbytes + 1, n = b->rows * line;
  for (size_t y = 0; y < b->rows; y++)
    filter_row(y ? b->raw + (y - 1) * b->rowbytes : b->above, b->raw + y * b->rowbytes, b->rowbytes, b->bpp,
               b->filtered + y * line);
  b->adler = adler32(1L, b->filtered, (uInt)n);
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_RLE) != Z_OK) {
    b->failed = 1;
    return NULL;
  }
  z.next_in = b->filtered;
  z.avail_in = (uInt)n;
  z.next_out = b->out + 2;
  z.avail_out = (uInt)b->out_cap;
  int status = deflate(&z, b->last ? Z_FINISH : Z_SYNC_FLUSH);
  if (status == Z_STREAM_ERROR || z.avail_in != 0 || z.avail_out == 0 || (b->last && status != Z_STREAM_END))
    b->failed = 1;
  b->out_size = b->out_cap - z.avail_out;
  deflateEnd(&z);
  return NULL;
}

/// One thread's share: blocks first, first + step, ...
typedef struct {
  block *blocks;
  size_t count, first, step;
} worker;

static void *run_blocks(void *arg) {
  worker *w = arg;
  for (size_t i = w->first; i < w->count; i += w->step) run_block(&w->blocks[i]);
  return NULL;
}

static int cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

/// One PNG chunk: length, type, data, CRC of type and data.
static int write_chunk(FILE *fp, const char *type, const unsigned char *data, size_t size) {
  if (size > 0x7fffffffu) return -1;
  unsigned char head[8] = {(unsigned char)(size >> 24), (unsigned char)(size >> 16), (unsigned char)(size >> 8),
                           (unsigned char)size, (unsigned char)type[0], (unsigned char)type[1],
                           (unsigned char)type[2], (unsigned char)type[3]};
  uLong crc = crc32(crc32(0L, Z_NULL, 0), head + 4, 4);
  if (size) crc = crc32(crc, data, (uInt)size);
  const unsigned char tail[4] = {(unsigned char)(crc >> 24), (unsigned char)(crc >> 16), (unsigned char)(crc >> 8),
                                 (unsigned char)crc};
  if (fwrite(head, 1, 8, fp) != 8 || (size && fwrite(data, 1, size, fp) != size) || fwrite(tail, 1, 4, fp) != 4)
    return -1;
  return 0;
}

ccodecs_idat *ccodecs_idat_create(FILE *fp, size_t rowbytes, int bytes_per_pixel, int swap16) {
  if (rowbytes == 0 || rowbytes >= (size_t)1 << 30) return NULL;
  ccodecs_idat *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->fp = fp;
  s->rowbytes = rowbytes;
  s->bpp = (size_t)bytes_per_pixel;
  s->swap16 = swap16;
  s->capacity = GROUP_BYTES / rowbytes < 2 ? 2 : GROUP_BYTES / rowbytes;
  s->raw = calloc(s->capacity + 1, rowbytes);  // row 0: the row above the group
  s->adler = adler32(0L, Z_NULL, 0);
  if (!s->raw) {
    free(s);
    return NULL;
  }
  return s;
}

void ccodecs_idat_free(ccodecs_idat *s) {
  if (!s) return;
  free(s->raw);
  free(s);
}

/// Filters and deflates the group's rows on every core and writes them as IDAT chunks, in order; the last
/// group also ends the stream.
static int flush_group(ccodecs_idat *s, int last) {
  const size_t line = s->rowbytes + 1;
  size_t count = (s->rows * line + BLOCK_BYTES - 1) / BLOCK_BYTES;
  if (count > s->rows) count = s->rows;
  if (count > MAX_BLOCKS) count = MAX_BLOCKS;
  if (count < 1) count = 1;
  size_t workers = (size_t)cores() < count ? (size_t)cores() : count;
  block blocks[MAX_BLOCKS];
  worker crew[MAX_WORKERS];
  pthread_t threads[MAX_WORKERS];
  int started[MAX_WORKERS] = {0};
  memset(blocks, 0, sizeof blocks);
  int failed = 0;
  size_t y = 0;
  for (size_t i = 0; i < count; i++) {
    block *b = &blocks[i];
    b->rows = s->rows / count + (i < s->rows % count);
    b->rowbytes = s->rowbytes;
    b->bpp = s->bpp;
    b->above = s->raw + y * s->rowbytes;
    b->raw = s->raw + (y + 1) * s->rowbytes;
    b->last = last && i == count - 1;
    b->out_cap = deflateBound(NULL, b->rows * line) + 16;
    b->filtered = malloc(b->rows * line + 1);
    b->out = malloc(b->out_cap + 6);  // room for the zlib header before and the Adler-32 after
    if (!b->filtered || !b->out) failed = 1;
    y += b->rows;
  }
  for (size_t i = 0; i < workers; i++) crew[i] = (worker){blocks, count, i, workers};
  if (!failed) {
    for (size_t i = 1; i < workers; i++) started[i] = pthread_create(&threads[i], NULL, run_blocks, &crew[i]) == 0;
    run_blocks(&crew[0]);
    for (size_t i = 1; i < workers; i++) {
      if (started[i]) pthread_join(threads[i], NULL);
      else run_blocks(&crew[i]);
    }
  }
  for (size_t i = 0; i < count && !failed; i++) {
    block *b = &blocks[i];
    if (b->failed) {
      failed = 1;
      break;
    }
    s->adler = adler32_combine(s->adler, b->adler, (z_off_t)(b->rows * line));
    unsigned char *data = b->out + 2;
    if (!s->started) {  // the zlib header: deflate, 32 KB window, default level, no dictionary
      data = b->out;
      data[0] = 0x78;
      data[1] = 0x9c;
      b->out_size += 2;
      s->started = 1;
    }
    if (b->last) {
      const uLong a = s->adler;
      unsigned char *t = data + b->out_size;
      t[0] = (unsigned char)(a >> 24);
      t[1] = (unsigned char)(a >> 16);
      t[2] = (unsigned char)(a >> 8);
      t[3] = (unsigned char)a;
      b->out_size += 4;
    }
    failed = write_chunk(s->fp, "IDAT", data, b->out_size) != 0;
  }
  for (size_t i = 0; i < count; i++) {
    free(blocks[i].filtered);
    free(blocks[i].out);
  }
  // The group's last row is the next group's row above.
  memmove(s->raw, s->raw + s->rows * s->rowbytes, s->rowbytes);
  s->rows = 0;
  return failed ? -1 : 0;
}

int ccodecs_idat_rows(ccodecs_idat *s, const unsigned char *const *rows, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s->rows == s->capacity && flush_group(s, 0) != 0) return -1;
    unsigned char *dst = s->raw + (s->rows + 1) * s->rowbytes;
    if (s->swap16) {
      for (size_t k = 0; k + 1 < s->rowbytes; k += 2) {
        dst[k] = rows[i][k + 1];
        dst[k + 1] = rows[i][k];
      }
    } else {
      memcpy(dst, rows[i], s->rowbytes);
    }
    s->rows++;
  }
  return 0;
}

int ccodecs_idat_finish(ccodecs_idat *s) {
  if (s->rows == 0 || flush_group(s, 1) != 0) return -1;
  return write_chunk(s->fp, "IEND", NULL, 0);
}
