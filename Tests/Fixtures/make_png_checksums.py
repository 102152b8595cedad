#!/usr/bin/env python3
"""Write png_checksums.tsv: an independent (Pillow) decode of the 8-bit PngSuite files.

For every valid PngSuite file with bit depth <= 8, the image is converted to 8-bit RGBA
(gray replicated, palette and tRNS expanded, missing alpha = 255) and summarised per channel as
  sum      = sum of the samples
  weighted = sum of sample * ((7 * x + 13 * y) % 64), which catches misplaced pixels.
16-bit files are left out: Pillow reduces them to 8 bits in mode-dependent ways.
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

with open(os.path.join(suite, "EXPECTED.tsv"), newline="") as f:
    rows = list(csv.DictReader(f, delimiter="\t"))

out_lines = ["filename\twidth\theight\tsum_r\tsum_g\tsum_b\tsum_a\tweighted_r\tweighted_g\tweighted_b\tweighted_a"]
for row in rows:
    if row["valid"] != "yes" or int(row["bit_depth"]) > 8:
        continue
    bit_depth = int(row["bit_depth"])
    with Image.open(os.path.join(suite, row["filename"])) as image:
        if image.mode in ("1", "L") and "transparency" in image.info and bit_depth < 8:
            key = image.info["transparency"] * (255 // ((1 << bit_depth) - 1))
            gray = image.convert("L")
            rgba = gray.convert("RGBA")
            rgba.putalpha(gray.point(lambda v: 0 if v == key else 255))
        else:
            rgba = image.convert("RGBA")
    width, height = rgba.size
    data = rgba.tobytes()
    sums = [0, 0, 0, 0]
    weighted = [0, 0, 0, 0]
    for y in range(height):
        for x in range(width):
            weight = (7 * x + 13 * y) % 64
            base = 4 * (y * width + x)
            for c in range(4):
                v = data[base + c]
                sums[c] += v
                weighted[c] += v * weight
    out_lines.append("\t".join([row["filename"], str(width), str(height)] + [str(v) for v in sums + weighted]))

with open(os.path.join(here, "png_checksums.tsv"), "w") as f:
    f.write("\n".join(out_lines) + "\n")
print(f"wrote {len(out_lines) - 1} files to png_checksums.tsv")
