"""Fixtures for Tests/ConvolveFormatsTests/TIFFCodecTests.swift, written with Pillow (python3 -m pip install pillow numpy;
run from anywhere):

- tiff/two-pages.tif: page 0 a 5x3 RGB 8-bit image, page 1 a 4x2 16-bit gray one (values below).
- tiff/orientation6.tif: a 3x2 RGB image with Orientation 6 (rotate 90 degrees clockwise to display).
- tiff/cmyk.tif: 4x1 CMYK: white, cyan, black, magenta+yellow (red).
- tiff/bigtiff.tif: a 6x4 8-bit gray BigTIFF ("II+"), values 0, 10, ..., 230.
- tiff_corpus.tsv: for the libtiff test images in ../shared/corpora/tiff, Pillow's decode: mode, channels, bits and the
  md5 of its samples interleaved (8-bit bytes, or 16-bit little-endian), palette as RGB, 1-bit as 0/255 gray.
  Pillow 13 takes a separate-planes gray + alpha image's alpha from the wrong place (alpha 0 under opaque
  pixels), so such PackBits images are unpacked here instead, strip by strip.
"""
import hashlib, os
import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "tiff")
os.makedirs(out, exist_ok=True)

rgb = np.arange(5 * 3 * 3, dtype=np.uint8).reshape(3, 5, 3) * 5
gray16 = np.array([[0, 1, 257, 65535], [1000, 30000, 40000, 65534]], dtype=np.uint16)
first = Image.fromarray(rgb, "RGB")
second = Image.fromarray(gray16.astype(np.int32), "I").convert("I;16")
second = Image.frombytes("I;16", (4, 2), gray16.astype("<u2").tobytes())
first.save(os.path.join(out, "two-pages.tif"), save_all=True, append_images=[second])

small = Image.fromarray(np.arange(3 * 2 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10, "RGB")
small.save(os.path.join(out, "orientation6.tif"), tiffinfo={274: 6})

cmyk = np.array([[[0, 0, 0, 0], [255, 0, 0, 0], [0, 0, 0, 255], [0, 255, 255, 0]]], dtype=np.uint8)
Image.fromarray(cmyk, "CMYK").save(os.path.join(out, "cmyk.tif"))
Image.fromarray((np.arange(24, dtype=np.uint8) * 10).reshape(4, 6)).save(os.path.join(out, "bigtiff.tif"), big_tiff=True)

def unpack_bits(data):
    out, i = bytearray(), 0
    while i < len(data):
        n = data[i]
        i += 1
        if n < 128:
            out += data[i : i + n + 1]
            i += n + 1
        elif n > 128:
            out += bytes([data[i]]) * (257 - n)
            i += 1
    return bytes(out)


def separate_planes(path, im):
    """The samples of an 8-bit separate-planes PackBits image, one strip per plane, interleaved."""
    raw = open(path, "rb").read()
    offsets, counts = im.tag_v2[273], im.tag_v2[279]
    w, h = im.size
    planes = [np.frombuffer(unpack_bits(raw[o : o + c]), np.uint8)[: w * h] for o, c in zip(offsets, counts)]
    return np.stack(planes, axis=-1).reshape(h, w, len(planes))


corpus = os.path.join(here, "..", "..", "..", "shared", "corpora", "tiff")
rows = ["file\tmode\tchannels\tbits\tmd5"]
for name in sorted(os.listdir(corpus)):
    if not name.endswith(".tiff"):
        continue
    try:
        im = Image.open(os.path.join(corpus, name))
        im.load()
    except Exception:
        continue
    mode = im.mode
    if im.tag_v2.get(284) == 2 and im.tag_v2.get(259) == 32773 and len(im.tag_v2[273]) == len(mode):
        im = separate_planes(os.path.join(corpus, name), im)
        mode += " (unpacked here)"
    elif mode == "P":
        im = im.convert("RGB")
    elif mode == "1":
        im = im.convert("L")
    a = np.asarray(im)
    bits = 16 if a.dtype.itemsize == 2 else 8
    data = a.astype("<u2").tobytes() if bits == 16 else a.astype(np.uint8).tobytes()
    channels = 1 if a.ndim == 2 else a.shape[2]
    rows.append(f"{name}\t{mode}\t{channels}\t{bits}\t{hashlib.md5(data).hexdigest()}")
open(os.path.join(here, "tiff_corpus.tsv"), "w").write("\n".join(rows) + "\n")
print(len(rows) - 1, "corpus files")
