#ifndef CCODECS_PNG_H
#define CCODECS_PNG_H

#include "ccodecs.h"

/* PNG through libpng (png_shim.c): every colour type and depth read (palette and tRNS expanded, 16 bits kept),
 * 1-4 channels written at 8 or 16 bits, iCCP and eXIf chunks. The calls are the ones ccodecs.h describes. */
typedef struct ccodecs_png_reader ccodecs_png_reader;
typedef struct ccodecs_png_writer ccodecs_png_writer;

int ccodecs_png_info(const ccodecs_input *in, ccodecs_info *info, ccodecs_metadata *meta, char *msg, size_t msg_cap);

/* Opens the file and reads the chunks before the image data (refusing more than max_pixels pixels, 1000
 * ancillary chunks or 8 MB in one, and CRC errors anywhere). With strips not NULL, *strips also says whether an
 * eXIf chunk follows the image data (the chunk headers are walked). The input must stay valid until close. */
int ccodecs_png_reader_open(const ccodecs_input *in, int64_t max_pixels, ccodecs_png_reader **reader,
                            ccodecs_info *info, ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap);
/* The next `rows` rows into info->channels planes `plane` floats apart, starting at dst. */
int ccodecs_png_reader_read(ccodecs_png_reader *reader, float *dst, size_t plane, int32_t rows, char *msg,
                            size_t msg_cap);
/* After the last row: reads the chunks after the image data and checks them; with late not NULL, fills it with
 * the iCCP and eXIf that the file holds (an eXIf may come after the image data). */
int ccodecs_png_reader_finish(ccodecs_png_reader *reader, ccodecs_metadata *late, char *msg, size_t msg_cap);
void ccodecs_png_reader_close(ccodecs_png_reader *reader);

/* compression -1: the fast default (Paeth filter, zlib Z_RLE, the image data deflated on every core; see
 * png_shim.c for the numbers); 0...9: libpng's adaptive filter choice with that zlib level (0 stores,
 * unfiltered). A profile libpng finds unfit for the image (e.g. RGB on gray) is left out. */
int ccodecs_png_writer_open(ccodecs_output *out, int32_t width, int32_t height, int32_t channels,
                            const ccodecs_write_options *options, const ccodecs_metadata *meta,
                            ccodecs_png_writer **writer, char *msg, size_t msg_cap);
/* The next `rows` rows from the first `channels` planes, `plane` floats apart (clamped to [0, 1], NaN as 0,
 * rounded). */
int ccodecs_png_writer_write(ccodecs_png_writer *writer, const float *planes, size_t plane, int32_t rows, char *msg,
                             size_t msg_cap);
/* After the last row: completes and closes the file (a memory output's bytes are then in out->data / size) and
 * releases the writer, also on failure. */
int ccodecs_png_writer_finish(ccodecs_png_writer *writer, char *msg, size_t msg_cap);
/* Abandons an unfinished writer: closes the file (the caller removes it) or frees the memory output. */
void ccodecs_png_writer_discard(ccodecs_png_writer *writer);

#endif
