#!/usr/bin/env python3
"""Writes the SciPy/NumPy reference fixtures for the convolution and kernel-generator tests.

    python3 Tests/Fixtures/generate_fixtures.py      # from the repository root; needs numpy and scipy

Outputs (small JSON files, committed):
  Tests/Fixtures/scipy_conv2d.json   2-D convolution/correlation cases
  Tests/Fixtures/gaussian.json     Gaussian kernels for Kernel.gaussian

The random generator has a fixed seed, so re-running reproduces the files byte for byte (for a given
numpy/scipy version).

Conventions (the same as ConvolveCore):
  * op "convolve" flips the kernel (scipy.signal.convolve2d); "correlate" does not (correlate2d).
  * Border names, input abcd:
      zero       000|abcd|000   np.pad 'constant', scipy.signal boundary='fill', ndimage 'constant'
      replicate  aaa|abcd|ddd   np.pad 'edge',                          ndimage 'nearest'
      reflect    dcb|abcd|cba   np.pad 'reflect',                       ndimage 'mirror'
      symmetric  cba|abcd|dcb   np.pad 'symmetric', scipy.signal 'symm', ndimage 'reflect'
      wrap       bcd|abcd|abc   np.pad 'wrap',      scipy.signal 'wrap', ndimage 'wrap'
  * Padding per axis for a kernel of extent e = d*(k-1) + 1 - 1 = d*(k-1):
      full   e before, e after
      valid  0, 0
      same   convolve:  ceil(e/2) before, floor(e/2) after
             correlate: floor(e/2) before, ceil(e/2) after
    For odd kernels both splits are e/2 on each side. For EVEN kernels the extra row/column goes
    BEFORE (top/left) for convolve and AFTER (bottom/right) for correlate; this is what
    scipy.signal.convolve2d / correlate2d do in 'same' mode, checked below against scipy itself.
  * The reference for every case is: dilate the kernel (d-1 zeros between taps), flip it for convolve,
    np.pad the input by the padding above with the border's np.pad mode, then
    scipy.signal.correlate2d(padded, kernel, 'valid'), then subsample [::sy, ::sx].
    Cases labelled with a scipy.signal or scipy.ndimage call were also computed by that call and
    asserted equal to the reference.
"""

import json
import math
import os

import numpy as np
from scipy import ndimage, signal

SEED = 20261125
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONV_PATH = os.path.join(ROOT, "Tests", "Fixtures", "scipy_conv2d.json")
GAUSS_PATH = os.path.join(ROOT, "Tests", "Fixtures", "gaussian.json")

NP_PAD = {"zero": "constant", "replicate": "edge", "reflect": "reflect", "symmetric": "symmetric", "wrap": "wrap"}
SIGNAL_BOUNDARY = {"zero": "fill", "wrap": "wrap", "symmetric": "symm"}
NDIMAGE_MODE = {"zero": "constant", "replicate": "nearest", "reflect": "mirror", "symmetric": "reflect", "wrap": "wrap"}

rng = np.random.default_rng(SEED)


def rand(h, w):
    return np.round(rng.uniform(-1, 1, size=(h, w)), 2)


def padding(mode, op, extent):
    """(before, after) along one axis for a dilated kernel spanning extent + 1 samples."""
    if mode == "full":
        return extent, extent
    if mode == "valid":
        return 0, 0
    big, small = (extent + 1) // 2, extent // 2
    return (big, small) if op == "convolve" else (small, big)


def dilate(k, dy, dx):
    kh, kw = k.shape
    out = np.zeros((dy * (kh - 1) + 1, dx * (kw - 1) + 1))
    out[::dy, ::dx] = k
    return out


def reference(x, k, op, mode, border, stride=(1, 1), dilation=(1, 1)):
    kd = dilate(k, *dilation)
    if op == "convolve":
        kd = kd[::-1, ::-1]
    py = padding(mode, op, kd.shape[0] - 1)
    px = padding(mode, op, kd.shape[1] - 1)
    padded = np.pad(x, (py, px), mode=NP_PAD[border])
    y = signal.correlate2d(padded, kd, "valid")
    return y[:: stride[0], :: stride[1]]


def source_index(i, n, border):
    """ConvolveCore's Border.sourceIndex, to check np.pad agrees for padding wider than the input."""
    if 0 <= i < n:
        return i
    if border == "zero":
        return -1
    if border == "replicate":
        return 0 if i < 0 else n - 1
    if border == "wrap":
        return i % n
    if border == "reflect":
        if n == 1:
            return 0
        p = 2 * n - 2
        m = i % p
        return m if m < n else p - m
    p = 2 * n
    m = i % p
    return m if m < n else p - 1 - m


def check_np_pad_matches_border_rule():
    for border in NP_PAD:
        for n in range(1, 6):
            row = np.arange(1, n + 1, dtype=float)
            for pad in range(0, 12):
                got = np.pad(row, (pad, pad), mode=NP_PAD[border])
                want = [0.0 if (s := source_index(i, n, border)) < 0 else row[s] for i in range(-pad, n + pad)]
                assert np.array_equal(got, want), (border, n, pad, got, want)


def check_same_split_against_scipy():
    for _ in range(200):
        h, w = rng.integers(1, 10, size=2)
        kh, kw = rng.integers(1, 7, size=2)
        x, k = rand(h, w), rand(kh, kw)
        for op, fn in (("convolve", signal.convolve2d), ("correlate", signal.correlate2d)):
            assert np.allclose(fn(x, k, "same"), reference(x, k, op, "same", "zero")), (op, x.shape, k.shape)


cases = []


def add(name, x, k, op, mode, border, stride=(1, 1), dilation=(1, 1), source=None, direct=None):
    expected = reference(x, k, op, mode, border, stride, dilation)
    if direct is not None:
        assert direct.shape == expected.shape and np.allclose(direct, expected, atol=1e-12), name
    assert expected.size > 0, name
    cases.append({
        "name": name, "op": op, "mode": mode, "border": border,
        "stride": list(stride), "dilation": list(dilation),
        "input": x.tolist(), "kernel": k.tolist(),
        "expected": np.round(expected, 6).tolist(),
        "source": source or reference_source(op, mode, border, stride, dilation),
    })


def reference_source(op, mode, border, stride, dilation):
    s = f"reference(input, kernel, '{op}', '{mode}', '{border}', stride={tuple(stride)}, dilation={tuple(dilation)}): "
    s += "np.pad(input, pad, mode='%s') then scipy.signal.correlate2d(padded, %s, 'valid')" % (
        NP_PAD[border], "flipped dilated kernel" if op == "convolve" else "dilated kernel")
    if stride != (1, 1):
        s += f"[::{stride[0]}, ::{stride[1]}]"
    return s


def signal_cases():
    shapes = [((5, 6), (3, 3)), ((4, 7), (2, 2)), ((9, 11), (4, 3)), ((1, 8), (1, 3)), ((7, 1), (2, 1)),
              ((6, 5), (5, 2)), ((3, 3), (3, 4)), ((8, 9), (5, 5)), ((1, 1), (1, 1)), ((2, 5), (1, 4))]
    i = 0
    for op, fn in (("convolve", signal.convolve2d), ("correlate", signal.correlate2d)):
        for mode in ("full", "same", "valid"):
            borders = ["zero", "wrap", "symmetric"] if mode != "valid" else ["zero"]
            for border in borders:
                for _ in range(2 if mode != "valid" else 3):
                    (h, w), (kh, kw) = shapes[i % len(shapes)]
                    i += 1
                    if mode == "valid" and (kh > h or kw > w):
                        kh, kw = min(kh, h), min(kw, w)
                    x, k = rand(h, w), rand(kh, kw)
                    b = SIGNAL_BOUNDARY[border]
                    direct = fn(x, k, mode=mode, boundary=b)
                    src = f"scipy.signal.{fn.__name__}(input, kernel, mode='{mode}', boundary='{b}')"
                    add(f"signal-{op}-{mode}-{border}-{h}x{w}-k{kh}x{kw}", x, k, op, mode, border, source=src, direct=direct)


def ndimage_cases():
    shapes = [((6, 7), (3, 3)), ((9, 11), (5, 3)), ((1, 9), (1, 5)), ((8, 1), (3, 1)), ((4, 4), (5, 5))]
    i = 0
    for op, fn in (("convolve", ndimage.convolve), ("correlate", ndimage.correlate)):
        for border, nd_mode in NDIMAGE_MODE.items():
            (h, w), (kh, kw) = shapes[i % len(shapes)]
            i += 1
            x, k = rand(h, w), rand(kh, kw)
            direct = fn(x, k, mode=nd_mode, cval=0.0)
            src = f"scipy.ndimage.{fn.__name__}(input, kernel, mode='{nd_mode}')  # odd kernel, origin 0"
            add(f"ndimage-{op}-same-{border}-{h}x{w}-k{kh}x{kw}", x, k, op, "same", border, source=src, direct=direct)


def padded_cases():
    # Even and non-square kernels with the borders scipy.signal lacks, and full mode.
    shapes = [((5, 6), (2, 2)), ((7, 5), (4, 3)), ((6, 9), (3, 4)), ((1, 7), (1, 2)), ((6, 1), (4, 1))]
    i = 0
    for border in ("replicate", "reflect"):
        for mode in ("full", "same"):
            for op in ("convolve", "correlate"):
                (h, w), (kh, kw) = shapes[i % len(shapes)]
                i += 1
                add(f"pad-{op}-{mode}-{border}-{h}x{w}-k{kh}x{kw}", rand(h, w), rand(kh, kw), op, mode, border)
    # Padding wider than the input: np.pad keeps reflecting/wrapping.
    for border in ("replicate", "reflect", "symmetric", "wrap"):
        for mode, op in (("same", "convolve"), ("full", "correlate")):
            add(f"wide-pad-{op}-{mode}-{border}-2x2-k5x5", rand(2, 2), rand(5, 5), op, mode, border)
    add("wide-pad-convolve-same-reflect-1x1-k3x3", rand(1, 1), rand(3, 3), "convolve", "same", "reflect")
    add("wide-pad-correlate-full-symmetric-1x3-k4x4", rand(1, 3), rand(4, 4), "correlate", "full", "symmetric")
    add("wide-pad-convolve-same-wrap-3x1-k2x5", rand(3, 1), rand(2, 5), "convolve", "same", "wrap")


def out_span(n, k, mode, op, d):
    e = d * (k - 1)
    before, after = padding(mode, op, e)
    return n + before + after - e - 1


def pick_shape(mode, op, stride, dilation, kernel):
    """An input shape (up to 9x11) whose padded span is divisible by the stride on both axes."""
    while True:
        h, w = int(rng.integers(1, 10)), int(rng.integers(1, 12))
        sy = out_span(h, kernel[0], mode, op, dilation[0])
        sx = out_span(w, kernel[1], mode, op, dilation[1])
        if sy >= 0 and sx >= 0 and sy % stride[0] == 0 and sx % stride[1] == 0 and h * w > 4:
            return h, w


def stride_dilation_cases():
    specs = [
        ((2, 2), (1, 1), "valid", "zero", (3, 3)), ((2, 2), (1, 1), "same", "reflect", (3, 3)),
        ((1, 3), (1, 1), "full", "zero", (2, 3)), ((3, 2), (1, 1), "same", "replicate", (2, 2)),
        ((2, 1), (1, 1), "same", "symmetric", (4, 1)), ((2, 3), (1, 1), "valid", "wrap", (1, 2)),
        ((1, 1), (2, 2), "same", "zero", (3, 3)), ((1, 1), (2, 1), "full", "symmetric", (2, 3)),
        ((1, 1), (1, 3), "same", "reflect", (3, 2)), ((1, 1), (2, 2), "valid", "zero", (2, 2)),
        ((1, 1), (3, 2), "same", "wrap", (2, 2)), ((1, 1), (2, 2), "same", "replicate", (3, 3)),
        ((2, 2), (2, 2), "same", "zero", (3, 3)), ((2, 1), (1, 2), "full", "reflect", (2, 3)),
    ]
    for n, (stride, dilation, mode, border, (kh, kw)) in enumerate(specs):
        op = "convolve" if n % 2 == 0 else "correlate"
        h, w = pick_shape(mode, op, stride, dilation, (kh, kw))
        name = f"{'stride' if stride != (1, 1) else 'dilation'}-{op}-{mode}-{border}-s{stride[0]}x{stride[1]}"
        name += f"-d{dilation[0]}x{dilation[1]}-{h}x{w}-k{kh}x{kw}"
        add(name, rand(h, w), rand(kh, kw), op, mode, border, stride, dilation)
    # One dilation case checked against scipy directly: the zero-stuffed kernel in scipy.signal.
    x, k = rand(7, 8), rand(2, 3)
    direct = signal.convolve2d(x, dilate(k, 2, 2), "full")
    add("dilation-convolve-full-zero-scipy-7x8-k2x3", x, k, "convolve", "full", "zero", (1, 1), (2, 2),
        source="scipy.signal.convolve2d(input, kernel with 1 zero between taps, mode='full')", direct=direct)
    # Strided cases checked against a direct subsample of scipy's stride-1 result.
    x, k = rand(9, 11), rand(3, 3)
    direct = signal.correlate2d(x, k, "valid")[::2, ::2]
    add("stride-correlate-valid-zero-scipy-9x11-k3x3", x, k, "correlate", "valid", "zero", (2, 2),
        source="scipy.signal.correlate2d(input, kernel, mode='valid')[::2, ::2]", direct=direct)


def gaussian_fixture():
    entries = []
    for sigma in (0.5, 0.7, 1.0, 1.5, 2.0):
        radius = math.ceil(3 * sigma)
        impulse = np.zeros((2 * radius + 1, 2 * radius + 1))
        impulse[radius, radius] = 1
        kernel = ndimage.gaussian_filter(impulse, sigma, mode="constant", radius=radius)
        x = np.arange(-radius, radius + 1)
        line = np.exp(-x**2 / (2 * sigma**2))
        line /= line.sum()
        assert np.allclose(kernel, np.outer(line, line), atol=1e-15)
        entries.append({
            "sigma": sigma, "radius": radius, "line": np.round(line, 9).tolist(),
            "kernel": np.round(kernel, 9).tolist(),
            "source": f"scipy.ndimage.gaussian_filter(impulse at the centre of {2 * radius + 1}x{2 * radius + 1}, "
                      f"sigma={sigma}, mode='constant', radius={radius})",
        })
    return {
        "rule": "radius = ceil(3*sigma); line[i] = exp(-x^2 / (2 sigma^2)) for x = -radius..radius, divided by its "
                "sum; kernel = outer(line, line). (scipy's own default radius is int(truncate*sigma + 0.5) with "
                "truncate 4, so radius is passed explicitly.)",
        "cases": entries,
    }


def write(path, obj, one_case_per_line):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        if one_case_per_line:
            f.write("[\n" + ",\n".join(json.dumps(c, separators=(",", ":")) for c in obj) + "\n]\n")
        else:
            json.dump(obj, f, indent=1)
            f.write("\n")
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)")


def main():
    check_np_pad_matches_border_rule()
    check_same_split_against_scipy()
    print("'same' padding per axis, extent e = dilation*(k-1):")
    print("  convolve:  before = ceil(e/2), after = floor(e/2)  (even kernel: the extra row/column goes top/left)")
    print("  correlate: before = floor(e/2), after = ceil(e/2)  (even kernel: the extra row/column goes bottom/right)")
    print("  checked against scipy.signal.convolve2d/correlate2d(..., 'same') on 200 random shapes")
    signal_cases()
    ndimage_cases()
    padded_cases()
    stride_dilation_cases()
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    write(CONV_PATH, cases, True)
    print(f"  {len(cases)} cases")
    write(GAUSS_PATH, gaussian_fixture(), False)


if __name__ == "__main__":
    main()
