#!/usr/bin/env python3
"""Writes Tests/Fixtures/hostile/many_scans.jpg: a valid progressive 8x8 gray
JPEG with 631 scans (DC, then each AC coefficient alone at Al = 9 and refined down to 0), more than
the loader's limit of 500. Every scan codes one all-zero block with a one-symbol Huffman table, so
each is a 10-byte header and one data byte; djpeg decodes it to a flat gray square."""
import os
import struct


def segment(marker, body):
    return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body


def sos(ss, se, ah, al):
    return segment(0xDA, bytes([1, 1, 0x00, ss, se, ah << 4 | al])) + b"\x7f"


one_symbol = bytes([1] + [0] * 15 + [0x00])  # one code of length 1, for symbol 0 (EOB / category 0)
out = b"\xff\xd8"
out += segment(0xDB, bytes([0]) + bytes([1] * 64))
out += segment(0xC2, struct.pack(">BHHB", 8, 8, 8, 1) + bytes([1, 0x11, 0]))
out += segment(0xC4, bytes([0x00]) + one_symbol + bytes([0x10]) + one_symbol)
scans = [sos(0, 0, 0, 0)]
for k in range(1, 64):
    scans.append(sos(k, k, 0, 9))
    scans += [sos(k, k, a, a - 1) for a in range(9, 0, -1)]
out += b"".join(scans) + b"\xff\xd9"
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile/many_scans.jpg")
with open(path, "wb") as f:
    f.write(out)
print(f"{len(scans)} scans, {len(out)} bytes")
