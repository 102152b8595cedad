#!/usr/bin/env bash
# Installs the C libraries convolve links against (Debian/Ubuntu), only when they are missing.
set -euo pipefail
if pkg-config --exists libpng libjpeg libwebp libwebpmux libwebpdemux libtiff-4 libheif lcms2 openblas 2>/dev/null; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y libpng-dev libjpeg-dev libwebp-dev libtiff-dev libheif-dev liblcms2-dev libopenblas-dev pkg-config
