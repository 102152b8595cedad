#!/usr/bin/env bash
# Sets up the machine if needed, builds convolve, and filters every photo in SampleImages/ into out/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh   # apt-get installs libpng-dev, libjpeg-dev, libopenblas-dev when missing
swift build -c release --product convolve
bin="$(swift build -c release --show-bin-path)/convolve"
mkdir -p out
for photo in SampleImages/*.png SampleImages/*.jpg; do
  [ -e "$photo" ] || continue
  stem="$(basename "${photo%.*}")"
  for f in gaussian sobel laplacian8 sharpen emboss; do
    "$bin" filter "$photo" "out/${stem}-${f}.png" --filter "$f"
  done
done
"$bin" filter SampleImages/astronaut.png out/astronaut-blur-sigma4.jpg --filter gaussian --sigma 4
"$bin" run Filters/pipelines/edges.json SampleImages/astronaut.png out/astronaut-edges --colormap viridis --overlay
"$bin" run Filters/pipelines/colour.json SampleImages/chelsea.jpg out/chelsea-colour --colormap magma
"$bin" layer SampleImages/camera.png out/camera-layer --filters sobel-x,sobel-y,laplacian4 --padding same \
  --activation relu --pool max:2 --save-npy
"$bin" pool SampleImages/rocket.jpg out/rocket-maxpool4.png --kind max --size 4 --floor
"$bin" upsample out/rocket-maxpool4.png out/rocket-maxpool4-up4.png --scale 4 --method bilinear
echo "Wrote $(find out -type f | wc -l) files under out/"
