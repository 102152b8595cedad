#!/usr/bin/env bash
# Renders OUTDIR/report.html (from `convolve run ... OUTDIR --report`) in headless Chromium and checks that the
# screenshot is not blank; also that every image the page shows is beside it.
# Usage: scripts/browser-check.sh OUTDIR [SCREENSHOT.png]   (default screenshot: OUTDIR/report-screenshot.png)
# Prints "skipped: chromium not installed" and exits 0 when there is no chromium on PATH.
set -euo pipefail

dir=${1:?usage: scripts/browser-check.sh OUTDIR [SCREENSHOT.png]}
report="$dir/report.html"
[ -f "$report" ] || { echo "no $report" >&2; exit 1; }
shot=${2:-$dir/report-screenshot.png}

browser=""
for name in chromium chromium-browser google-chrome; do
  if command -v "$name" > /dev/null 2>&1; then browser=$name; break; fi
done
if [ -z "$browser" ]; then echo "skipped: chromium not installed"; exit 0; fi

url="file://$(cd "$(dirname "$report")" && pwd)/report.html"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars --user-data-dir="$profile"
  --window-size=1200,2000 --virtual-time-budget=5000)

rm -f "$shot"
timeout 120 "$browser" "${flags[@]}" --screenshot="$shot" "$url" > "$profile/log" 2>&1 || true
[ -s "$shot" ] || { cat "$profile/log" >&2; echo "FAIL: chromium wrote no screenshot" >&2; exit 1; }

python3 - "$shot" "$report" <<'EOF'
import html, os, re, struct, sys, urllib.parse, zlib

path, report = sys.argv[1], sys.argv[2]
sources = [html.unescape(s) for s in re.findall(r'<img [^>]*src="([^"]*)"', open(report, encoding="utf-8").read())]
missing = [s for s in sources
           if not os.path.isfile(os.path.join(os.path.dirname(report), urllib.parse.unquote(s)))]
if missing:
    print("FAIL: images missing beside the report: " + ", ".join(missing))
    sys.exit(1)
images = len(sources)

def decode(path):
    """8-bit RGB/RGBA/grey PNG (what Chromium writes) to rows of pixel tuples."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert depth == 8 and interlace == 0 and colour in (0, 2, 6), f"unsupported PNG (depth {depth}, colour {colour})"
    bpp = {0: 1, 2: 3, 6: 4}[colour]
    raw, stride, prev, rows, p = zlib.decompress(idat), width * bpp, bytearray(width * bpp), [], 0
    for _ in range(height):
        f, line = raw[p], bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows

try:
    import numpy as np
    from PIL import Image
    pixels = np.asarray(Image.open(path).convert("RGB"))
    height, width = pixels.shape[:2]
    flat = pixels.reshape(-1, 3)
    colours = len(np.unique(flat[:: max(1, len(flat) // 200000)], axis=0))
    ink = float((flat.min(axis=1) < 240).mean())
except ImportError:
    width, height, bpp, rows = decode(path)
    seen, dark, n = set(), 0, 0
    for row in rows[::4]:
        for x in range(0, width * bpp, 4 * bpp):
            px = row[x:x + min(bpp, 3)]
            seen.add(px)
            dark += min(px) < 240
            n += 1
    colours, ink = len(seen), dark / n

print(f"screenshot {path}: {width}x{height}, {colours} distinct colours, {ink:.1%} non-white, {images} <img> on the page")
if width < 100 or height < 100 or colours < 50 or ink < 0.05:
    print("FAIL: the rendered report looks blank")
    sys.exit(1)
print("ok: the report rendered")
EOF
