#!/usr/bin/env bash
# Sets up the machine if needed, builds convolve, and filters every photo in SampleImages/ into out/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
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
ls -1 out
