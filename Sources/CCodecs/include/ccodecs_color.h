#ifndef CCODECS_COLOR_H
#define CCODECS_COLOR_H

#include "ccodecs.h"

/* Colour conversion through Little CMS 2 (color.c): an image's ICC profile to sRGB, in float, perceptual intent
 * (what Pillow's ImageCms.profileToProfile does by default), the results clamped to [0, 1]. RGB images (3 or 4
 * channels; alpha untouched) go to lcms2's sRGB profile, gray ones (1 or 2) to a gray profile with the sRGB tone
 * curve, so the channels stay as they are. */
typedef struct ccodecs_color ccodecs_color;

/* The transform from the profile `icc` for an image of `channels` channels, and the bytes of the profile the result
 * is in (*profile, free with ccodecs_free); fails (message in msg) when lcms2 cannot read the profile or its
 * colour space is not the image's. */
int ccodecs_color_open(const uint8_t *icc, size_t icc_size, int32_t channels, ccodecs_color **color, uint8_t **profile,
                       size_t *profile_size, char *msg, size_t msg_cap);
/* Converts `count` pixels of the colour planes at planes (`plane` floats apart) in place. */
void ccodecs_color_apply(ccodecs_color *color, float *planes, size_t plane, size_t count);
void ccodecs_color_close(ccodecs_color *color);

/* An RGB ICC profile for colours given as H.273 (nclx) says: the CIE xy of red, green, blue and white in
 * `primaries` (rx, ry, gx, gy, bx, by, wx, wy) and `transfer` characteristics 1, 4, 5, 6, 8, 13, 14 or 15 (*icc, free
 * with ccodecs_free); CCODECS_FAILED for other curves (PQ, HLG) or when lcms2 fails. */
int ccodecs_icc_from_primaries(const float primaries[8], int transfer, uint8_t **icc, size_t *icc_size);

#endif
