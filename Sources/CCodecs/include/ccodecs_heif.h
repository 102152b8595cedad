#ifndef CCODECS_HEIF_H
#define CCODECS_HEIF_H

#include "ccodecs.h"

/* HEIC / HEIF and AVIF through libheif (heif_shim.c; HEVC through libde265, AV1 through libaom or dav1d): the primary
 * image read as RGB or RGBA (monochrome as RGB), 8 bits, or 16 for 10- and 12-bit images (v / (2^bits - 1)),
 * decoded whole at the first read with its rotation and mirroring applied (info->orientation is 1 and the EXIF's
 * Orientation tag is set to 1); the ICC profile (none for an nclx colour description) and the EXIF. Writes AVIF
 * (ccodecs_avif_writer_*): 1-4 channels (gray as RGB) at 8 bits, lossy at options->quality or lossless, with the
 * ICC profile and EXIF. The calls are the ones ccodecs.h describes. */
typedef struct ccodecs_heif_reader ccodecs_heif_reader;
typedef struct ccodecs_heif_writer ccodecs_heif_writer;

int ccodecs_heif_info(const ccodecs_input *in, ccodecs_info *info, ccodecs_metadata *meta, char *msg, size_t msg_cap);

int ccodecs_heif_reader_open(const ccodecs_input *in, int64_t max_pixels, ccodecs_heif_reader **reader,
                             ccodecs_info *info, ccodecs_metadata *meta, int *strips, char *msg, size_t msg_cap);
int ccodecs_heif_reader_read(ccodecs_heif_reader *reader, float *dst, size_t plane, int32_t rows, char *msg,
                             size_t msg_cap);
int ccodecs_heif_reader_finish(ccodecs_heif_reader *reader, ccodecs_metadata *late, char *msg, size_t msg_cap);
void ccodecs_heif_reader_close(ccodecs_heif_reader *reader);

int ccodecs_avif_writer_open(ccodecs_output *out, int32_t width, int32_t height, int32_t channels,
                             const ccodecs_write_options *options, const ccodecs_metadata *meta,
                             ccodecs_heif_writer **writer, char *msg, size_t msg_cap);
int ccodecs_heif_writer_write(ccodecs_heif_writer *writer, const float *planes, size_t plane, int32_t rows, char *msg,
                              size_t msg_cap);
int ccodecs_heif_writer_finish(ccodecs_heif_writer *writer, char *msg, size_t msg_cap);
void ccodecs_heif_writer_discard(ccodecs_heif_writer *writer);

#endif
