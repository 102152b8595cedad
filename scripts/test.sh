#!/usr/bin/env bash
# Sets up the machine if needed, then builds and runs every test (what CI runs: .ci/run calls this).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh            # apt-get installs the C libraries (PNG, JPEG, WebP, TIFF, HEIF, lcms2, OpenBLAS) when missing
scripts/setup-chromium.sh   # apt-get installs chromium when missing: report.html is checked in a real browser
export CONVOLVE_REQUIRE_CHROMIUM=1
swift build --build-tests
swift test --skip-build
