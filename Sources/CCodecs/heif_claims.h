#ifndef CCODECS_HEIF_CLAIMS_H
#define CCODECS_HEIF_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

/* The largest picture (width x height) an HEIF file's HEVC parameter sets, AV1 sequence headers (in hvcC / av1C
 * boxes and in every item's data) and grid or overlay items claim; 0 when none can be read. libde265, dav1d and
 * libheif 1.15 allocate what these say before comparing it with the image's declared size. */
uint64_t ccodecs_heif_largest_claim(const uint8_t *data, size_t size);

#endif
