#!/usr/bin/env python3
"""Writes the CNN-layer reference fixtures: JSON for ConvolveCoreTests, tiny .npy files for ConvolveFormatsTests.

Conv layers are PyTorch-style cross-correlation computed with scipy.signal.correlate per channel, summed,
plus bias; pooling and interpolation follow PyTorch's formulas, re-implemented here in NumPy.
Run from anywhere: python3 Tests/Fixtures/generate_cnn_fixtures.py
"""
import json
import os

import numpy as np
from scipy import signal

HERE = os.path.dirname(os.path.abspath(__file__))
CORE = os.path.join(HERE, "..", "ConvolveCoreTests", "Fixtures")
FORMATS = os.path.join(HERE, "..", "ConvolveFormatsTests", "Fixtures")
rng = np.random.default_rng(20241125)


def arr(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.ravel()]}


def dilate(k, d):
    out = np.zeros((d[0] * (k.shape[0] - 1) + 1, d[1] * (k.shape[1] - 1) + 1))
    out[:: d[0], :: d[1]] = k
    return out


def conv_layer(x, w, b, stride, pad, dil, groups):
    c, n = x.shape[0], w.shape[0]
    cg, ng = c // groups, n // groups
    xp = np.pad(x, ((0, 0), (pad[0], pad[1]), (pad[2], pad[3])))
    out = []
    for o in range(n):
        g = o // ng
        acc = sum(signal.correlate(xp[g * cg + ci], dilate(w[o, ci], dil), mode="valid")
                  for ci in range(cg))
        out.append(acc[:: stride[0], :: stride[1]] + b[o])
    return np.stack(out)


def conv_cases():
    cases = []
    specs = [
        # C, N, H, W, kh, kw, stride, padding (t, b, l, r), dilation, groups
        (3, 4, 7, 9, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1),
        (2, 3, 8, 6, 2, 3, (2, 1), (0, 0, 1, 1), (1, 1), 1),
        (4, 4, 9, 9, 3, 3, (2, 2), (1, 1, 1, 1), (2, 2), 2),
        (3, 6, 6, 7, 3, 2, (1, 1), (1, 1, 0, 1), (1, 1), 3),
        (5, 2, 5, 5, 1, 1, (1, 1), (0, 0, 0, 0), (1, 1), 1),
        (2, 2, 9, 8, 3, 2, (1, 1), (1, 1, 0, 0), (2, 1), 1),
    ]
    for (c, n, h, w_, kh, kw, s, p, d, g) in specs:
        x = rng.uniform(-1, 1, (c, h, w_))
        w = rng.uniform(-1, 1, (n, c // g, kh, kw))
        b = rng.uniform(-1, 1, n)
        y = conv_layer(x, w, b, s, p, d, g)
        cases.append({"input": arr(x), "weights": arr(w), "bias": [float(v) for v in b], "stride": list(s),
                      "padding": list(p), "dilation": list(d), "groups": g, "expected": arr(y)})
    return cases


def pool_axis(n, k, s, p, ceil):
    out = (n + 2 * p - k + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


def pool(x, kind, k, s, p, ceil):
    h, w = x.shape
    oh, ow = pool_axis(h, k[0], s[0], p, ceil), pool_axis(w, k[1], s[1], p, ceil)
    y = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            y0, x0 = i * s[0] - p, j * s[1] - p
            win = x[max(0, y0): min(h, y0 + k[0]), max(0, x0): min(w, x0 + k[1])]
            if kind == "max":
                y[i, j] = win.max()
            elif kind == "min":
                y[i, j] = win.min()
            else:  # count_include_pad=True: divide by the window clipped to the padded input
                size = (min(y0 + k[0], h + p) - y0) * (min(x0 + k[1], w + p) - x0)
                y[i, j] = win.sum() / size
    return y


def pooling_cases():
    lecture = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]], float)
    cases = []
    for kind in ("max", "average", "min"):
        cases.append({"name": "lecture", "input": arr(lecture[None]), "kind": kind, "kernel": [3, 3],
                      "stride": [1, 1], "padding": 0, "ceil": False, "expected": arr(pool(lecture, kind, (3, 3), (1, 1), 0, False)[None])})
    x = rng.uniform(-1, 1, (2, 7, 8))
    for kind in ("max", "average", "min"):
        for (k, s, p, ceil) in [((2, 2), (2, 2), 0, False), ((3, 3), (2, 2), 1, False), ((3, 2), (2, 2), 1, True),
                                ((2, 2), (2, 2), 0, True)]:
            y = np.stack([pool(x[c], kind, k, s, p, ceil) for c in range(x.shape[0])])
            cases.append({"name": f"random-{kind}-{k}-{s}-{p}-{ceil}", "input": arr(x), "kind": kind, "kernel": list(k),
                          "stride": list(s), "padding": p, "ceil": ceil, "expected": arr(y)})
    return cases


def interp_axis(out, n, scale, method):
    """PyTorch's source indices and weights along one axis, in float32 as its CPU kernels compute them."""
    scale = np.float32(scale)
    idx0, idx1, lam = [], [], []
    for dst in range(out):
        if method == "nearest":
            i = dst if out == n else min(int(np.floor(np.float32(dst) * scale)), n - 1)
            idx0.append(i); idx1.append(i); lam.append(np.float32(0))
        else:
            src = max(np.float32(0), scale * (np.float32(dst) + np.float32(0.5)) - np.float32(0.5))
            i0 = min(int(src), n - 1)
            idx0.append(i0); idx1.append(i0 + 1 if i0 < n - 1 else i0)
            lam.append(np.float32(min(max(src - np.float32(i0), 0), 1)))
    return idx0, idx1, lam


def interpolate(x, out_h, out_w, scale_y, scale_x, method):
    r0, r1, ly = interp_axis(out_h, x.shape[1], scale_y, method)
    c0, c1, lx = interp_axis(out_w, x.shape[2], scale_x, method)
    x = x.astype(np.float32)
    y = np.zeros((x.shape[0], out_h, out_w), np.float32)
    for i in range(out_h):
        for j in range(out_w):
            top = (1 - lx[j]) * x[:, r0[i], c0[j]] + lx[j] * x[:, r0[i], c1[j]]
            bottom = (1 - lx[j]) * x[:, r1[i], c0[j]] + lx[j] * x[:, r1[i], c1[j]]
            y[:, i, j] = (1 - ly[i]) * top + ly[i] * bottom
    return y


def resize_cases():
    cases = []
    x = rng.uniform(0, 1, (2, 3, 4)).astype(np.float32)
    for method in ("nearest", "bilinear"):
        for factor in (2.0, 3.0, 1.5, 0.5):
            oh, ow = int(np.floor(3 * factor)), int(np.floor(4 * factor))
            cases.append({"input": arr(x), "method": method, "scale": factor, "size": None,
                          "expected": arr(interpolate(x, oh, ow, 1 / factor, 1 / factor, method))})
        for (oh, ow) in ((5, 7), (2, 3)):
            cases.append({"input": arr(x), "method": method, "scale": None, "size": [oh, ow],
                          "expected": arr(interpolate(x, oh, ow, 3 / oh, 4 / ow, method))})
    return cases


def transposed(x, w, b, s, p, op, d, groups):
    cin, h, wd = x.shape
    coutg, kh, kw = w.shape[1:]
    cing = cin // groups
    oh, ow = s * (h - 1) + d * (kh - 1) + 1 - 2 * p + op, s * (wd - 1) + d * (kw - 1) + 1 - 2 * p + op
    full = np.zeros((coutg * groups, oh + 2 * p + d * kh, ow + 2 * p + d * kw))
    for ci in range(cin):
        g = ci // cing
        for co in range(coutg):
            for iy in range(h):
                for ix in range(wd):
                    full[g * coutg + co, iy * s: iy * s + d * (kh - 1) + 1: d, ix * s: ix * s + d * (kw - 1) + 1: d] += x[ci, iy, ix] * w[ci, co]
    return full[:, p: p + oh, p: p + ow] + np.asarray(b)[:, None, None]


def transposed_cases():
    cases = []
    for (cin, cout, h, w_, k, s, p, op, d, g) in [(2, 3, 3, 4, 3, 2, 1, 1, 1, 1), (4, 2, 4, 3, 2, 3, 0, 2, 1, 2),
                                                 (1, 2, 3, 3, 3, 1, 2, 0, 2, 1)]:
        x = rng.uniform(-1, 1, (cin, h, w_))
        w = rng.uniform(-1, 1, (cin, cout // g, k, k))
        b = rng.uniform(-1, 1, cout)
        cases.append({"input": arr(x), "weights": arr(w), "bias": [float(v) for v in b], "stride": s, "padding": p,
                      "outputPadding": op, "dilation": d, "groups": g,
                      "expected": arr(transposed(x, w, b, s, p, op, d, g))})
    return cases


def write_json(name, value):
    with open(os.path.join(CORE, name), "w") as f:
        json.dump(value, f, separators=(",", ":"))
        f.write("\n")


def write_npy_fixtures():
    f4 = np.array([[1.5, -2.0, 3.25], [0.0, 1e-3, -7.0]], dtype="<f4")
    np.save(os.path.join(FORMATS, "f4_2x3.npy"), f4)
    np.save(os.path.join(FORMATS, "f8_2x2x2.npy"), np.arange(8, dtype="<f8").reshape(2, 2, 2) / 4 - 0.5)
    np.save(os.path.join(FORMATS, "u1_4.npy"), np.array([0, 1, 128, 255], dtype="u1"))
    np.save(os.path.join(FORMATS, "i4_2x2.npy"), np.array([[-3, 0], [7, 100000]], dtype="<i4"))
    np.save(os.path.join(FORMATS, "weights_2x3x1x2.npy"), np.arange(12, dtype="<f4").reshape(2, 3, 1, 2))
    np.save(os.path.join(FORMATS, "bias_2.npy"), np.array([0.5, -0.5], dtype="<f4"))
    for version in ((2, 0), (3, 0)):
        with open(os.path.join(FORMATS, f"v{version[0]}_f4_2x3.npy"), "wb") as f:
            np.lib.format.write_array(f, f4, version=version)
    np.save(os.path.join(FORMATS, "fortran_f4_2x3.npy"), np.asfortranarray(f4))
    np.save(os.path.join(FORMATS, "bigendian_f4_2x3.npy"), f4.astype(">f4"))
    np.save(os.path.join(FORMATS, "complex_c8_2.npy"), np.array([1 + 2j, 3 - 1j], dtype="<c8"))
    with open(os.path.join(FORMATS, "f4_2x3.npy"), "rb") as f:
        whole = f.read()
    with open(os.path.join(FORMATS, "truncated_f4_2x3.npy"), "wb") as f:
        f.write(whole[:-5])


if __name__ == "__main__":
    os.makedirs(CORE, exist_ok=True)
    os.makedirs(FORMATS, exist_ok=True)
    write_json("cnn_conv.json", conv_cases())
    write_json("cnn_pooling.json", pooling_cases())
    write_json("cnn_resize.json", resize_cases())
    write_json("cnn_transposed.json", transposed_cases())
    write_npy_fixtures()
