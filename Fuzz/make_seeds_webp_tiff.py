#!/usr/bin/env python3
"""Regenerates the tiny seed files in Fuzz/corpus/{webp,tiff} (needs Pillow and numpy only).

One seed per decode path of webp_shim.c and tiff_shim.c: lossy, lossless, alpha, ICC + EXIF WebP; TIFF at 1, 8, 16
bits and 32-bit float, gray + alpha, RGBA, palette, CMYK, every compression Pillow writes, two pages, an
Orientation tag, an ICC profile. All are 8x6 so that mutations stay cheap."""
import io
import os

import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
W, H = 8, 6


def gradient(mode):
    im = Image.new("RGBA", (W, H))
    im.putdata([(x * 32, y * 40, (x + y) * 16, 255 - x * 20) for y in range(H) for x in range(W)])
    return im.convert(mode)


def save(target, name, im, fmt, **kw):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    with open(os.path.join(d, name), "wb") as f:
        f.write(b.getvalue())


icc = open(os.path.join(os.path.dirname(here), "Tests/Fixtures/metadata/adobe-rgb.icc"), "rb").read()
exif = Image.Exif()
exif[0x0112] = 6

save("webp", "lossy.webp", gradient("RGB"), "WEBP", quality=50)
save("webp", "lossless.webp", gradient("RGB"), "WEBP", lossless=True)
save("webp", "alpha_lossy.webp", gradient("RGBA"), "WEBP", quality=50)
save("webp", "alpha_lossless.webp", gradient("RGBA"), "WEBP", lossless=True)
save("webp", "icc_exif.webp", gradient("RGB"), "WEBP", quality=50, icc_profile=icc[:200], exif=exif.tobytes())

save("tiff", "gray8.tif", gradient("L"), "TIFF")
save("tiff", "gray1.tif", gradient("1"), "TIFF")
save("tiff", "gray16.tif", gradient("L").point(lambda v: v * 257, "I").convert("I;16"), "TIFF")
save("tiff", "float32.tif", Image.fromarray(np.linspace(-2, 3, W * H, dtype=np.float32).reshape(H, W), "F"), "TIFF")
save("tiff", "graya8.tif", gradient("LA"), "TIFF")
save("tiff", "rgba8_lzw.tif", gradient("RGBA"), "TIFF", compression="tiff_lzw")
save("tiff", "rgb8_deflate.tif", gradient("RGB"), "TIFF", compression="tiff_adobe_deflate")
save("tiff", "rgb8_packbits.tif", gradient("RGB"), "TIFF", compression="packbits")
save("tiff", "rgb8_jpeg.tif", gradient("RGB"), "TIFF", compression="jpeg")
save("tiff", "palette.tif", gradient("RGB").quantize(4), "TIFF")
save("tiff", "cmyk.tif", gradient("CMYK"), "TIFF")
save("tiff", "orientation6_icc.tif", gradient("RGB"), "TIFF", tiffinfo={274: 6}, icc_profile=icc[:200])
save("tiff", "two_pages.tif", gradient("RGB"), "TIFF", save_all=True, append_images=[gradient("L")])
