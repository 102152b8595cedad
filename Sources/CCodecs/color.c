#include "ccodecs_color.h"
#include "shim.h"

#include <stdlib.h>
#include <string.h>

#include <lcms2.h>

#define TYPE_RGB_FLT_PLANAR_CCODECS (FLOAT_SH(1) | COLORSPACE_SH(PT_RGB) | CHANNELS_SH(3) | BYTES_SH(4) | PLANAR_SH(1))

struct ccodecs_color {
  cmsContext context;
  cmsHTRANSFORM transform;
  int colors;
};

typedef struct {
  char text[256];
} color_error;

static void on_error(cmsContext context, cmsUInt32Number code, const char *text) {
  (void)code;
  color_error *error = cmsGetContextUserData(context);
  if (error && !error->text[0]) snprintf(error->text, sizeof error->text, "%s", text);
}

void ccodecs_color_close(ccodecs_color *c) {
  if (!c) return;
  if (c->transform) cmsDeleteTransform(c->transform);
  if (c->context) {
    free(cmsGetContextUserData(c->context));
    cmsDeleteContext(c->context);
  }
  free(c);
}

/* Gray with the sRGB tone curve (IEC 61966-2-1: parametric type 4) and the D50 white point. */
static cmsHPROFILE srgb_gray(cmsContext context) {
  const cmsFloat64Number params[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
  cmsToneCurve *curve = cmsBuildParametricToneCurve(context, 4, params);
  if (!curve) return NULL;
  cmsHPROFILE profile = cmsCreateGrayProfileTHR(context, cmsD50_xyY(), curve);
  cmsFreeToneCurve(curve);
  return profile;
}

int ccodecs_color_open(const uint8_t *icc, size_t icc_size, int32_t channels, ccodecs_color **color, uint8_t **profile,
                       size_t *profile_size, char *msg, size_t msg_cap) {
  *color = NULL;
  *profile = NULL;
  *profile_size = 0;
  int gray = channels <= 2;
  ccodecs_color *c = calloc(1, sizeof *c);
  color_error *error = calloc(1, sizeof *error);
  if (c) c->context = error ? cmsCreateContext(NULL, error) : NULL;
  if (!c || !c->context) {
    free(error);
    ccodecs_color_close(c);
    ccodecs_set_msg(msg, msg_cap, "out of memory");
    return CCODECS_FAILED;
  }
  cmsSetLogErrorHandlerTHR(c->context, on_error);
  c->colors = gray ? 1 : 3;
  cmsHPROFILE source = icc_size <= UINT32_MAX ? cmsOpenProfileFromMemTHR(c->context, icc, (cmsUInt32Number)icc_size) : NULL;
  cmsHPROFILE target = gray ? srgb_gray(c->context) : cmsCreate_sRGBProfileTHR(c->context);
  int status = CCODECS_FAILED;
  if (!source) {
    ccodecs_set_msg(msg, msg_cap, "lcms2 cannot read the ICC profile (%s)", error->text[0] ? error->text : "invalid");
  } else if (cmsGetColorSpace(source) != (gray ? cmsSigGrayData : cmsSigRgbData)) {
    ccodecs_set_msg(msg, msg_cap, "the ICC profile is not for %s images", gray ? "gray" : "RGB");
  } else if (!target) {
    ccodecs_set_msg(msg, msg_cap, "lcms2 cannot make the sRGB profile");
  } else {
    cmsUInt32Number format = gray ? TYPE_GRAY_FLT : TYPE_RGB_FLT_PLANAR_CCODECS;
    c->transform = cmsCreateTransformTHR(c->context, source, format, target, format, INTENT_PERCEPTUAL, 0);
    cmsUInt32Number size = 0;
    if (!c->transform) {
      ccodecs_set_msg(msg, msg_cap, "lcms2 cannot convert from the ICC profile (%s)", error->text[0] ? error->text : "no transform");
    } else if (!cmsSaveProfileToMem(target, NULL, &size) || !(*profile = malloc(size)) ||
               !cmsSaveProfileToMem(target, *profile, &size)) {
      ccodecs_set_msg(msg, msg_cap, "cannot write the sRGB profile");
    } else {
      /* The creation time lcms2 stamps, zeroed: the same image gives the same file. */
      if (size >= 36) memset(*profile + 24, 0, 12);
      *profile_size = size;
      status = 0;
    }
  }
  if (source) cmsCloseProfile(source);
  if (target) cmsCloseProfile(target);
  if (status != 0) {
    free(*profile);
    *profile = NULL;
    ccodecs_color_close(c);
    return status;
  }
  *color = c;
  return 0;
}

/* Pixels converted per call, through a buffer of their planes side by side (lcms2 takes plane strides of 32 bits). */
enum { CHUNK = 1 << 16 };

void ccodecs_color_apply(ccodecs_color *c, float *planes, size_t plane, size_t count) {
  float *buffer = malloc(sizeof(float) * 3 * CHUNK);
  for (size_t done = 0; done < count;) {
    size_t n = count - done < CHUNK ? count - done : CHUNK;
    float *work = buffer ? buffer : planes + done;
    size_t stride = buffer ? n : plane;
    if (buffer)
      for (int ch = 0; ch < c->colors; ch++) memcpy(buffer + ch * n, planes + (size_t)ch * plane + done, n * sizeof(float));
    if (buffer || plane * 4 <= UINT32_MAX)
      cmsDoTransformLineStride(c->transform, work, work, (cmsUInt32Number)n, 1, (cmsUInt32Number)(n * 4),
                               (cmsUInt32Number)(n * 4), (cmsUInt32Number)(stride * 4), (cmsUInt32Number)(stride * 4));
    for (int ch = 0; ch < c->colors; ch++) {
      float *from = work + (size_t)ch * stride, *to = planes + (size_t)ch * plane + done;
      for (size_t i = 0; i < n; i++) to[i] = from[i] > 0 ? (from[i] < 1 ? from[i] : 1) : 0;
    }
    done += n;
  }
  free(buffer);
}

int ccodecs_icc_from_primaries(const float primaries[8], int transfer, uint8_t **icc, size_t *icc_size) {
  *icc = NULL;
  *icc_size = 0;
  cmsToneCurve *curve = NULL;
  switch (transfer) {
  case 1: case 6: case 14: case 15: { /* BT.709 / 601 / 2020 (H.273): decoded as ICC parametric type 3 */
    const cmsFloat64Number p[5] = {1 / 0.45, 1 / 1.099, 0.099 / 1.099, 1 / 4.5, 0.081};
    curve = cmsBuildParametricToneCurve(NULL, 3, p);
    break;
  }
  case 13: { /* sRGB (IEC 61966-2-1) */
    const cmsFloat64Number p[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
    curve = cmsBuildParametricToneCurve(NULL, 4, p);
    break;
  }
  case 4: curve = cmsBuildGamma(NULL, 2.2); break;
  case 5: curve = cmsBuildGamma(NULL, 2.8); break;
  case 8: curve = cmsBuildGamma(NULL, 1.0); break;
  default: return CCODECS_FAILED; /* PQ, HLG, log and the rest: no ICC tone curve here */
  }
  if (!curve) return CCODECS_FAILED;
  cmsCIExyY white = {primaries[6], primaries[7], 1};
  cmsCIExyYTRIPLE rgb = {{primaries[0], primaries[1], 1}, {primaries[2], primaries[3], 1}, {primaries[4], primaries[5], 1}};
  cmsToneCurve *curves[3] = {curve, curve, curve};
  cmsHPROFILE profile = cmsCreateRGBProfile(&white, &rgb, curves);
  cmsFreeToneCurve(curve);
  int status = CCODECS_FAILED;
  cmsUInt32Number size = 0;
  if (profile && cmsSaveProfileToMem(profile, NULL, &size) && size > 0 && (*icc = malloc(size)) &&
      cmsSaveProfileToMem(profile, *icc, &size)) {
    if (size >= 36) memset(*icc + 24, 0, 12); /* no creation time: the same file gives the same bytes */
    *icc_size = size;
    status = 0;
  } else {
    free(*icc);
    *icc = NULL;
  }
  if (profile) cmsCloseProfile(profile);
  return status;
}
