#!/bin/sh
# Makes docs/top-patches.jpg, the README's picture of what each channel looks for: the top patches of the
# first eight channels of the PP-OCRv4 detector's backbone (p2o.Conv.12) over SampleImages/, tiled 4 x 2.
# Run from the repository root with convolve on the PATH (or CONVOLVE=.build/release/convolve) and the model
# as the README's "See inside a trained network" gets it:
#   sh docs/make_top_patches.sh [path/to/ch_PP-OCRv4_det_infer.onnx]
set -eu
model=${1:-../shared/models/ppocr/ch_PP-OCRv4_det_infer.onnx}
convolve=${CONVOLVE:-convolve}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$convolve" model top-patches "$model" SampleImages/ "$out" --layer p2o.Conv.12 --bgr --mean 0.5 --std 0.5 \
  --per-photo 3 --channels 0-7 --quiet
python3 - "$out" <<'PY'
import sys
from PIL import Image
grids = [Image.open(f"{sys.argv[1]}/channel-{c:03d}.png").convert("RGB") for c in range(8)]
w, h = grids[0].size
page = Image.new("RGB", (4 * w + 3 * 12, 2 * h + 12), "white")
for i, g in enumerate(grids):
    page.paste(g, ((i % 4) * (w + 12), (i // 4) * (h + 12)))
page.save("docs/top-patches.jpg", quality=88)
print("wrote docs/top-patches.jpg", page.size)
PY
