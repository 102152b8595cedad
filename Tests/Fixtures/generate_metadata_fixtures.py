#!/usr/bin/env python3
"""Writes the photos with an ICC profile and EXIF that the metadata tests read.

    python3 Tests/Fixtures/generate_metadata_fixtures.py      # from the repository root; needs Pillow (PyPI)

Outputs (small files, committed), in Tests/Fixtures/metadata/:
  adobe-rgb.icc        an ICC v2 display profile with the Adobe RGB (1998) primaries, D65 white and gamma
                       563/256 (as Adobe's own profile), built here byte by byte (no profile is copied)
  adobe-rgb.jpg        40x30 RGB JPEG tagged with that profile; EXIF: Make "convolve test", orientation 1
  adobe-rgb.png        the same pixels as an 8-bit PNG with iCCP and eXIf chunks
  rotated.jpg          40x30 as stored, EXIF orientation 6 (displays 30x40, turned 90 degrees clockwise);
                       the top-left stored pixel is pure red, so the turn can be checked; also the profile
  metadata.json        what the tests compare against: the profile's size and SHA-256, the EXIF fields

Everything is deterministic: re-running reproduces the files byte for byte for a given Pillow/libjpeg.
"""
import hashlib
import json
import os
import struct

from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metadata")


def s15f16(v):
    return struct.pack(">i", int(round(v * 65536)))


def xyz_tag(x, y, z):
    return b"XYZ " + b"\0" * 4 + s15f16(x) + s15f16(y) + s15f16(z)


def curve_tag(gamma_u8f8):
    return b"curv" + b"\0" * 4 + struct.pack(">IH", 1, gamma_u8f8) + b"\0\0"  # padded to 4 bytes


def text_description(text):
    ascii_ = text.encode("ascii") + b"\0"
    body = b"desc" + b"\0" * 4 + struct.pack(">I", len(ascii_)) + ascii_
    body += struct.pack(">II", 0, 0)  # no Unicode description
    body += struct.pack(">HB", 0, 0) + b"\0" * 67  # no ScriptCode description
    return body


def text_tag(text):
    return b"text" + b"\0" * 4 + text.encode("ascii") + b"\0"


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def adobe_rgb_profile():
    """An ICC v2.1 RGB display profile: Adobe RGB (1998) primaries adapted to D50, gamma 2.19921875."""
    tags = [
        (b"desc", text_description("convolve test profile (Adobe RGB (1998) primaries)")),
        (b"cprt", text_tag("No copyright, test data of the convolve project")),
        (b"wtpt", xyz_tag(0.9505, 1.0, 1.0891)),
        (b"rXYZ", xyz_tag(0.60974, 0.31111, 0.01947)),
        (b"gXYZ", xyz_tag(0.20528, 0.62567, 0.06087)),
        (b"bXYZ", xyz_tag(0.14919, 0.06322, 0.74457)),
        (b"rTRC", curve_tag(0x0233)),
        (b"gTRC", curve_tag(0x0233)),
        (b"bTRC", curve_tag(0x0233)),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    table, data = struct.pack(">I", len(tags)), b""
    for sig, body in tags:
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += pad4(body)
    size = 128 + table_size + len(data)
    header = struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000)
    header += b"mntr" + b"RGB " + b"XYZ "
    header += struct.pack(">6H", 2024, 1, 1, 0, 0, 0)  # date
    header += b"acsp" + b"\0" * 4 + struct.pack(">I", 0) + b"\0" * 4 + b"\0" * 4 + b"\0" * 8
    header += struct.pack(">I", 0)  # rendering intent: perceptual
    header += s15f16(0.9642) + s15f16(1.0) + s15f16(0.8249)  # PCS illuminant D50
    header += b"\0" * 4 + b"\0" * 16 + b"\0" * 28  # creator, profile ID, reserved
    assert len(header) == 128, len(header)
    return header + table + data


def exif_bytes(orientation):
    exif = Image.Exif()
    exif[0x010F] = "convolve test"  # Make
    exif[0x0110] = "fixture"  # Model
    exif[0x0112] = orientation
    return exif.tobytes()  # "Exif\0\0" + the TIFF structure


def photo():
    """40x30: a red-green gradient, blue stripes, and a pure red top-left pixel."""
    img = Image.new("RGB", (40, 30))
    px = img.load()
    for y in range(30):
        for x in range(40):
            px[x, y] = (40 + x * 5, 30 + y * 6, 200 if (x // 5) % 2 else 60)
    for y in range(4):
        for x in range(4):
            px[x, y] = (255, 0, 0)
    return img


def main():
    os.makedirs(OUT, exist_ok=True)
    icc = adobe_rgb_profile()
    with open(os.path.join(OUT, "adobe-rgb.icc"), "wb") as f:
        f.write(icc)
    img = photo()
    img.save(os.path.join(OUT, "adobe-rgb.jpg"), quality=95, icc_profile=icc, exif=exif_bytes(1))
    img.save(os.path.join(OUT, "adobe-rgb.png"), icc_profile=icc, exif=exif_bytes(1))
    img.save(os.path.join(OUT, "rotated.jpg"), quality=95, icc_profile=icc, exif=exif_bytes(6))
    facts = {
        "icc_size": len(icc),
        "icc_sha256": hashlib.sha256(icc).hexdigest(),
        "make": "convolve test",
        "stored_size": [40, 30],
    }
    with open(os.path.join(OUT, "metadata.json"), "w") as f:
        json.dump(facts, f, indent=2)
        f.write("\n")
    # Check what was written with Pillow itself: the profile and orientation are where they should be.
    for name, orientation in [("adobe-rgb.jpg", 1), ("adobe-rgb.png", 1), ("rotated.jpg", 6)]:
        with Image.open(os.path.join(OUT, name)) as im:
            assert im.info.get("icc_profile") == icc, name
            assert im.getexif().get(0x0112) == orientation, name
    print(f"wrote {OUT}: profile {len(icc)} bytes")


if __name__ == "__main__":
    main()
