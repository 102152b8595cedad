#!/usr/bin/env bash
# Installs Debian's chromium (headless rendering of report.html by scripts/browser-check.sh) when no chromium is
# on PATH; runs apt-get update first. Used by scripts/test.sh (and so CI); harmless to run again.
set -euo pipefail
for name in chromium chromium-browser google-chrome; do
  if command -v "$name" > /dev/null 2>&1; then echo "chromium: $(command -v "$name")"; exit 0; fi
done
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update
# fonts-liberation: without a font the report's text renders as empty boxes.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium fonts-liberation
command -v chromium > /dev/null || { echo "chromium was installed but is not on PATH" >&2; exit 1; }
echo "chromium: $(command -v chromium) ($(chromium --version 2>/dev/null || echo 'version unknown'))"
