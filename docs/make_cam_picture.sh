#!/bin/sh
# Makes docs/cam.png, the README's picture of "Why did it say that?": Grad-CAM, EigenCAM and Score-CAM of the
# trained EfficientNet-Lite0 (../shared/models/efficientnet-lite0, see its README) on chelsea.jpg (explained:
# its top class, Egyptian cat) and camera.png (tripod), side by side. Run from the repository root with convolve
# on the PATH (or CONVOLVE=.build/release/convolve); needs Pillow. Prints each command's time line (forward,
# reverse and Score-CAM's masked runs). The page is quantised to 256 colours to stay small:
#   sh docs/make_cam_picture.sh [path/to/efficientnet-lite0-folder]
set -eu
models=${1:-../shared/models/efficientnet-lite0}
convolve=${CONVOLVE:-convolve}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for photo in chelsea.jpg camera.png; do
  "$convolve" model cam "$models/efficientnet-lite0.onnx" "SampleImages/$photo" "$out/$photo" --size 224x224 \
    --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --labels "$models/imagenet-labels.txt" \
    --method gradcam,eigencam,scorecam | grep '^time:' | sed "s|^|$photo: |"
done
python3 - "$out" <<'PY'
import sys
from PIL import Image, ImageDraw
out = sys.argv[1]
rows = []
W = 200
for photo in ["chelsea.jpg", "camera.png"]:
    label = open(f"{out}/{photo}/classes.txt").read().split("explained: ")[1].split(" (class")[0]
    tiles = [Image.open(f"SampleImages/{photo}").convert("RGB")]
    tiles += [Image.open(f"{out}/{photo}/{m}-overlay.png").convert("RGB") for m in ["gradcam", "eigencam", "scorecam"]]
    rows.append((label, [t.resize((W, round(W * t.height / t.width)), Image.LANCZOS) for t in tiles]))
heights = [max(t.height for t in ts) for _, ts in rows]
page = Image.new("RGB", (4 * W + 3 * 8, sum(heights) + 22 * (len(rows) + 1)), "white")
draw = ImageDraw.Draw(page)
for i, title in enumerate(["photo", "Grad-CAM", "EigenCAM", "Score-CAM"]):
    draw.text((i * (W + 8) + 4, 4), title, fill="black")
y = 22
for (label, tiles), h in zip(rows, heights):
    for i, t in enumerate(tiles):
        page.paste(t, (i * (W + 8), y))
    draw.text((4, y + h + 4), f"explained: {label}", fill="black")
    y += h + 22
page.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save("docs/cam.png", optimize=True)
print("wrote docs/cam.png", page.size)
PY
