#!/usr/bin/env bash
# Sets up the machine if needed, then builds and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh   # apt-get installs libpng-dev, libjpeg-dev, libopenblas-dev when missing
swift build --build-tests
swift test --skip-build
