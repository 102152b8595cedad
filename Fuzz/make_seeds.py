#!/usr/bin/env python3
"""Regenerates the tiny seed files in Fuzz/corpus/{png,jpeg} (needs Pillow, cjpeg and ImageMagick's convert).

One seed per decode path the shim handles: every PNG colour type and bit depth, palette with
tRNS, interlacing; baseline, progressive, gray, CMYK (Adobe), EXIF-oriented, restart markers and
arithmetic-coded JPEG. All are 8x6 or smaller so that mutations stay cheap."""
import io
import os
import subprocess
import tempfile

from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
W, H = 8, 6


def gradient(mode):
    im = Image.new("RGBA", (W, H))
    im.putdata([(x * 32, y * 40, (x + y) * 16, 255 - x * 20) for y in range(H) for x in range(W)])
    return im.convert(mode)


def save(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def encode(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


# PNG
save("png", "gray8.png", encode(gradient("L"), "PNG"))
save("png", "gray1.png", encode(gradient("1"), "PNG"))
save("png", "gray16.png", encode(gradient("L").point(lambda v: v * 257, "I").convert("I;16"), "PNG"))
save("png", "graya8.png", encode(gradient("LA"), "PNG"))
save("png", "rgb8.png", encode(gradient("RGB"), "PNG"))
save("png", "rgba8.png", encode(gradient("RGBA"), "PNG"))
pal = gradient("RGB").quantize(4)
save("png", "palette2_trns.png", encode(pal, "PNG", transparency=1, bits=2))
save("png", "gray8_trns.png", encode(gradient("L"), "PNG", transparency=0))

# JPEG
rgb = gradient("RGB")
save("jpeg", "baseline.jpg", encode(rgb, "JPEG", quality=75))
save("jpeg", "gray.jpg", encode(gradient("L"), "JPEG", quality=75))
save("jpeg", "progressive.jpg", encode(rgb, "JPEG", quality=75, progressive=True))
save("jpeg", "cmyk_adobe.jpg", encode(rgb.convert("CMYK"), "JPEG", quality=75))
save("jpeg", "subsample444.jpg", encode(rgb, "JPEG", quality=75, subsampling=0))
exif = Image.Exif()
exif[0x0112] = 6
save("jpeg", "exif_orientation6.jpg", encode(rgb, "JPEG", quality=75, exif=exif.tobytes()))
with tempfile.TemporaryDirectory() as tmp:
    ppm = os.path.join(tmp, "in.ppm")
    rgb.save(ppm)
    # Pillow cannot write Adam7; ImageMagick can.
    png = os.path.join(tmp, "il.png")
    subprocess.run(["convert", ppm, "-strip", "-interlace", "PNG", "PNG24:" + png], check=True)
    with open(png, "rb") as f:
        save("png", "rgb8_interlaced.png", f.read())
    for name, flags in [("restart.jpg", ["-restart", "1B"]), ("arithmetic.jpg", ["-arithmetic"])]:
        save("jpeg", name, subprocess.run(["cjpeg", *flags, ppm], check=True, capture_output=True).stdout)

# Parsers: the first byte picks the parser (see fuzz_parsers.swift), the rest is its input.
root = os.path.dirname(here)
parser_seeds = {
    "kernel_binomial": (0, b"1,2,1;2,4,2;1,2,1"),
    "kernel_fractions": (0, b"1/16 2/16 1/16; 2/16 4/16 2/16; -1e-3,0.5,+.25;"),
    "matrix_two_channels": (1, b"1,2;3,4|5,6;7,8"),
    "filter_rows": (2, open(os.path.join(root, "Filters/unsharp.json"), "rb").read()),
    "filter_generator": (2, open(os.path.join(root, "Filters/gaussian.json"), "rb").read()),
    "filter_combined": (2, open(os.path.join(root, "Filters/sobel.json"), "rb").read()),
    "pipeline_lecture": (3, open(os.path.join(root, "Filters/pipelines/lecture.json"), "rb").read()),
    "pipeline_inline": (3, b'{"name":"p","stages":[{"op":"conv","filters":["box"],"padding":"same"},'
                          b'{"op":"activation","function":"leaky-relu:0.1"},{"op":"pool","spec":"max:2"},'
                          b'{"op":"upsample","scale":2,"method":"bilinear"},{"op":"flatten"}]}'),
    "shape_conv": (4, b"conv:10:5x3:s=2:p=same:d=2"),
    "shape_convT": (4, b"convT:4:3:s=2:p=1:op=1"),
    "activation": (5, b"leaky-relu:0.1"),
    "pool": (6, b"min:3x2:1:1"),
    "npy_f4": (7, open(os.path.join(root, "Tests/Fixtures/f4_2x3.npy"), "rb").read()),
    "npy_f8_rank3": (7, open(os.path.join(root, "Tests/Fixtures/f8_2x2x2.npy"), "rb").read()),
    "npy_weights": (7, open(os.path.join(root, "Tests/Fixtures/weights_2x3x1x2.npy"), "rb").read()),
    "npy_v2": (7, open(os.path.join(root, "Tests/Fixtures/v2_f4_2x3.npy"), "rb").read()),
    "shape_alexnet": (8, b"3x224x224 conv:64:11:s=4:p=2 relu pool:max:3:s=2:ceil conv:192:5:p=2:g=2 gap flatten fc:10"),
    "shape_lecture": (8, b"7x7x1 conv:1:3:s=3 upsample:1.5 convT:2:3:s=2:p=1:op=1 maxout:2"),
}
for name, (selector, body) in parser_seeds.items():
    save("parsers", name, bytes([selector]) + body)
