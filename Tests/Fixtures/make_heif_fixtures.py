"""Fixtures for Tests/ConvolveFormatsTests/HEIFCodecTests.swift (python3 -m pip install pillow pillow-heif numpy; run
from anywhere). Files written by other tools than libheif 1.15 (which convolve reads them with), and their decodes by
those tools as PNG references:

- heif/rgb.heic: 32x24 RGB, pillow-heif (libheif 1.23 + x265), quality 90, the Adobe RGB profile and EXIF with
  Orientation 6; heif/rgb.heic.png its decode.
- heif/deep.heic: 32x24 RGB at 10 bits, pillow-heif; heif/deep.heic.png its 16-bit decode.
- heif/rgba.avif: 32x24 RGBA, Pillow's AVIF plugin (libavif), quality 90, 4:4:4 (4:2:0 chroma is upsampled
  differently by libavif and libheif 1.15: up to 8 levels apart); heif/rgba.avif.png its decode.
- heif/av1-claims-2048.avif: rgba.avif whose first AV1 sequence header (in mdat) is replaced by a reduced still-picture
  header of the same 5 bytes allowing 2048x2048 frames.
- heif/deep12.avif: 32x24 RGB at 12 bits, lossless 4:4:4, by libheif's heif-enc (aom; apt libheif-examples) from a
  16-bit PNG; heif/deep12.avif.png heif-convert's 16-bit decode of it (12-bit samples shifted left by 4).
- heif/p3-nclx.avif: 32x24 RGB, heif-enc lossless 4:4:4, whose nclx colr box is then set to Display P3 primaries
  (12) with the sRGB curve (13) (heif-enc 1.15 writes 2/2/6 whatever it is asked); heif/p3-nclx.avif.srgb.png
  the expected `--to-srgb` result, computed here from heif-convert's decode: sRGB curve decoded, P3 → XYZ → sRGB
  matrices from the primaries (both white points D65), clipped, sRGB curve encoded.
(heif/overlay-bomb.heic is not made here: it is what `Fuzz/run.sh heif` found, see Fuzz/README.md.)
"""
import io, os, subprocess, tempfile
import numpy as np
from PIL import Image
import pillow_heif

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "heif")
os.makedirs(out, exist_ok=True)
W, H = 32, 24
y, x = np.mgrid[0:H, 0:W]
rgb = np.stack([x * 8, y * 10, (x + y) * 4], axis=-1).astype(np.uint8)
alpha = (255 - x * 6).astype(np.uint8)
icc = open(os.path.join(here, "metadata", "adobe-rgb.icc"), "rb").read()
exif = Image.Exif()
exif[0x0112] = 6
exif[0x010F] = "convolve test"

heic = pillow_heif.from_bytes("RGB", (W, H), rgb.tobytes())
heic.info["icc_profile"] = icc
heic.info["exif"] = exif.tobytes()
heic.save(os.path.join(out, "rgb.heic"), quality=90)

deep = (np.stack([x * 2000, y * 2700, (x + y) * 1100], axis=-1)).astype("<u2")
pillow_heif.from_bytes("RGB;16", (W, H), deep.tobytes()).save(os.path.join(out, "deep.heic"), quality=95)

Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(os.path.join(out, "rgba.avif"), quality=90, subsampling="4:4:4")

for name in ["rgb.heic", "rgba.avif"]:
    im = Image.open(os.path.join(out, name)) if name.endswith(".avif") else pillow_heif.open_heif(os.path.join(out, name)).to_pillow()
    im.save(os.path.join(out, name + ".png"))
d = pillow_heif.open_heif(os.path.join(out, "deep.heic"), convert_hdr_to_8bit=False)
print("deep", d.mode, d.info.get("bit_depth"))
a = np.frombuffer(bytes(d.data), dtype="<u2")
stride = d.stride // 2
a = a.reshape(H, stride)[:, : W * 3].reshape(H, W, 3)
# pillow-heif gives the 10-bit samples scaled to 16 bits (v << 6); the reference keeps them as v / 1023 * 65535.
ten = a >> 6 if a.max() > 1023 else a
png16 = np.round(ten.astype(np.float64) / 1023 * 65535).astype(np.uint16)
import struct, zlib
def png_rgb16(path, arr):
    h, w, _ = arr.shape
    raw = b"".join(b"\0" + arr[i].astype(">u2").tobytes() for i in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
png_rgb16(os.path.join(out, "deep.heic.png"), png16)
for f in sorted(os.listdir(out)):
    print(f, os.path.getsize(os.path.join(out, f)))

avif = bytearray(open(os.path.join(out, "rgba.avif"), "rb").read())
at = avif.find(b"mdat") + 4
assert avif[at : at + 4] == bytes([0x12, 0x00, 0x0A, 0x05]), "temporal delimiter, then a 5-byte sequence header"
# profile 0, still, reduced header, level 0; 11-bit frame width and height fields, both 2047 (+1).
avif[at + 4 : at + 9] = int("0001100000" + "1010" + "1010" + "1" * 22, 2).to_bytes(5, "big")
open(os.path.join(out, "av1-claims-2048.avif"), "wb").write(avif)

# 12-bit AVIF and an nclx (Display P3) AVIF through heif-enc, decoded by heif-convert.
tmp = tempfile.mkdtemp()
def heif_enc(src, dst, *args):
    subprocess.run(["heif-enc", "-A", "-L", "-p", "chroma=444", *args, src, "-o", dst], check=True, capture_output=True)
def heif_convert(src):
    dst = os.path.join(tmp, "decoded.png")
    subprocess.run(["heif-convert", src, dst], check=True, capture_output=True)
    return dst
deep16 = os.path.join(tmp, "deep16.png")
png_rgb16(deep16, np.stack([x * 2000, y * 2700, (x + y) * 1100], axis=-1).astype(np.uint16))
heif_enc(deep16, os.path.join(out, "deep12.avif"), "-b", "12")
os.replace(heif_convert(os.path.join(out, "deep12.avif")), os.path.join(out, "deep12.avif.png"))

src8 = os.path.join(tmp, "rgb8.png")
Image.fromarray(rgb).save(src8)
p3 = os.path.join(out, "p3-nclx.avif")
heif_enc(src8, p3)
data = bytearray(open(p3, "rb").read())
at = data.find(b"colrnclx") + 8
assert data[at : at + 7] == b"\x00\x02\x00\x02\x00\x06\x80", "heif-enc's nclx: unspecified primaries and curve, BT.601 matrix"
data[at : at + 4] = b"\x00\x0c\x00\x0d"
open(p3, "wb").write(data)
def rgb_to_xyz(primaries, white):
    xyz = np.array([[px / py, 1, (1 - px - py) / py] for px, py in primaries]).T
    w = np.array([white[0] / white[1], 1, (1 - white[0] - white[1]) / white[1]])
    return xyz * np.linalg.solve(xyz, w)
d65 = (0.3127, 0.3290)
p3_to_srgb = np.linalg.inv(rgb_to_xyz([(0.64, 0.33), (0.30, 0.60), (0.15, 0.06)], d65)) @ rgb_to_xyz(
    [(0.680, 0.320), (0.265, 0.690), (0.150, 0.060)], d65)
v = np.asarray(Image.open(heif_convert(p3)).convert("RGB")).astype(np.float64) / 255
lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4) @ p3_to_srgb.T
lin = np.clip(lin, 0, 1)
enc = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)
Image.fromarray(np.round(enc * 255).astype(np.uint8)).save(os.path.join(out, "p3-nclx.avif.srgb.png"))
