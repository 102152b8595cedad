#!/usr/bin/env python3
"""Write png_checksums.tsv: an independent (Pillow) decode of the valid PngSuite files.

Each image is summarised per channel (r, g, b, a) as
  sum      = sum of the samples
  weighted = sum of sample * ((7 * x + 13 * y) % 64), which catches misplaced pixels.
The `kind` column says what the samples are:
  rgba8   files of bit depth <= 8, converted to 8-bit RGBA (gray replicated, palette and tRNS
          expanded, missing alpha = 255).
  gray16  16-bit gray files (Pillow mode I;16): the exact 16-bit gray values; Pillow ignores
          their tRNS, so only the r column (the gray channel) is filled.
  high8   16-bit colour files: Pillow keeps only the high byte of each sample; channels Pillow
          does not deliver (alpha from tRNS) are "-".
Pillow keeps the tRNS value of 1/2/4-bit gray files unscaled while it scales the samples to
8 bits, so it would miss the transparent pixels; the script scales that value itself.

Usage: python3 make_png_checksums.py [PNGSUITE_DIR]   (default: ../../../shared/corpora/pngsuite)
Needs Pillow (pip install pillow). Writes png_checksums.tsv next to this script.
"""
import csv
import os
import sys

from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
suite = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "shared", "corpora", "pngsuite")


def summarise(planes, width, height):
    """Sum and weighted sum of each plane (a flat list of samples, or None)."""
    sums, weighted = [], []
    for plane in planes:
        if plane is None:
            sums.append("-")
            weighted.append("-")
            continue
        total = weight_total = 0
        for y in range(height):
            for x in range(width):
                v = plane[y * width + x]
                total += v
                weight_total += v * ((7 * x + 13 * y) % 64)
        sums.append(str(total))
        weighted.append(str(weight_total))
    return sums + weighted


def decode(path, bit_depth):
    """(kind, width, height, [r, g, b, a] planes) from Pillow."""
    with Image.open(path) as image:
        width, height = image.size
        if bit_depth == 16 and image.mode == "I;16":
            gray = list(image.get_flattened_data() if hasattr(image, "get_flattened_data") else image.getdata())
            return "gray16", width, height, [gray, None, None, None]
        if bit_depth == 16:
            bands = [list(band.tobytes()) for band in image.split()]
            return "high8", width, height, bands + [None] * (4 - len(bands))
        if image.mode in ("1", "L") and "transparency" in image.info and bit_depth < 8:
            key = image.info["transparency"] * (255 // ((1 << bit_depth) - 1))
            gray = image.convert("L")
            rgba = gray.convert("RGBA")
            rgba.putalpha(gray.point(lambda v: 0 if v == key else 255))
        else:
            rgba = image.convert("RGBA")
        return "rgba8", width, height, [list(band.tobytes()) for band in rgba.split()]


with open(os.path.join(suite, "EXPECTED.tsv"), newline="") as f:
    rows = [row for row in csv.DictReader(f, delimiter="\t") if row["valid"] == "yes"]

columns = ["filename", "kind", "width", "height"]
columns += [f"sum_{c}" for c in "rgba"] + [f"weighted_{c}" for c in "rgba"]
lines = ["\t".join(columns)]
for row in rows:
    kind, width, height, planes = decode(os.path.join(suite, row["filename"]), int(row["bit_depth"]))
    lines.append("\t".join([row["filename"], kind, str(width), str(height)] + summarise(planes, width, height)))

with open(os.path.join(here, "png_checksums.tsv"), "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines) - 1} files to png_checksums.tsv")
