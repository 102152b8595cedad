// The image data of a PNG written on every core (png_idat.c): for the default compression, Paeth rows and Z_RLE.
#ifndef CCODECS_PNG_IDAT_H
#define CCODECS_PNG_IDAT_H

#include <stddef.h>
#include <stdio.h>

typedef struct ccodecs_idat ccodecs_idat;

/// An encoder writing IDAT chunks to `fp` after the header chunks (libpng's png_write_info); rows of `rowbytes`
/// bytes, `bytes_per_pixel` for the Paeth predictor, `swap16` to write native 16-bit samples big-endian.
/// NULL when out of memory.
ccodecs_idat *ccodecs_idat_create(FILE *fp, size_t rowbytes, int bytes_per_pixel, int swap16);
/// Adds rows in order; writes a group of them when it is full. 0, or -1 when a write or zlib failed.
int ccodecs_idat_rows(ccodecs_idat *s, const unsigned char *const *rows, size_t n);
/// Writes the last rows, ends the zlib stream and writes IEND. 0, or -1 (also when no row was given).
int ccodecs_idat_finish(ccodecs_idat *s);
void ccodecs_idat_free(ccodecs_idat *s);

#endif
