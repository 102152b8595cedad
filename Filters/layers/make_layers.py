#!/usr/bin/env python3
"""Writes the hand-made (untrained) CNN layers in Filters/layers/ as PyTorch-layout .npy files.

Run from anywhere: `python3 Filters/layers/make_layers.py` (needs numpy). The output is fixed: no random
numbers, float32 little-endian, so re-running it gives byte-identical files. `--check` also prints the
responses of each bank to a few synthetic images (edges, lines, corners, colour patches).

Conventions (those of `convolve`'s conv stage, i.e. PyTorch's conv2d):
  * cross-correlation: output(y, x) = bias[n] + sum_c sum_ij w[n, c, i, j] * input[c, y + i - r, x + j - r],
    so a kernel is written exactly as it looks on the image (row i = dy, column j = dx, y pointing down);
  * weights [N][C][k][k], bias [N]; inputs are RGB in [0, 1].
Angles are those of the structure detected (an edge or a line), measured from horizontal, counter-clockwise
as seen on the screen: 0 = horizontal, 45 = rising to the right "/", 90 = vertical, 135 = falling "\\".
"""

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
LUMA = np.array([0.299, 0.587, 0.114])

GABOR_SIZE, GABOR_SIGMA, GABOR_LAMBDA, GABOR_GAMMA = 9, 2.0, 5.0, 0.5
ANGLES = [i * 22.5 for i in range(8)]


def grid(size):
    r = size // 2
    y, x = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float64)
    return y, x


def zero_mean_unit(kernel):
    """Zero mean, then scaled so the positive weights sum to 1 (and the negative ones to -1):
    on inputs in [0, 1] the response lies in [-1, 1], and a uniform region gives 0."""
    k = kernel - kernel.mean()
    return k / k[k > 0].sum()


def gabor_even(angle_degrees):
    """Even (cosine) Gabor whose stripes run along `angle_degrees`: a bright line at that angle through the
    centre gives the largest positive response, a dark line the largest negative one; a step edge at that
    angle gives a positive response on its bright side and a negative one on its dark side."""
    y, x = grid(GABOR_SIZE)
    t = np.deg2rad(angle_degrees)
    # Unit vector along the structure on screen (y down): (dx, dy) = (cos t, -sin t); normal (sin t, cos t).
    along = x * np.cos(t) - y * np.sin(t)
    across = x * np.sin(t) + y * np.cos(t)
    envelope = np.exp(-(across**2 + (GABOR_GAMMA * along) ** 2) / (2 * GABOR_SIGMA**2))
    return zero_mean_unit(envelope * np.cos(2 * np.pi * across / GABOR_LAMBDA))


def padded(kernel, size):
    out = np.zeros((size, size))
    o = (size - kernel.shape[0]) // 2
    out[o : o + kernel.shape[0], o : o + kernel.shape[1]] = kernel
    return out


SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)  # + where brighter to the right


def luminance_bank(kernels):
    """[N][3][k][k]: each 2-D kernel applied to the luminance 0.299 R + 0.587 G + 0.114 B."""
    return np.stack([np.stack([w * k for w in LUMA]) for k in kernels])


def edges():
    kernels = [gabor_even(a) for a in ANGLES]
    kernels.append(padded(zero_mean_unit(SOBEL_X), GABOR_SIZE))  # 8: vertical edge, dark left -> bright right
    kernels.append(padded(zero_mean_unit(SOBEL_X.T), GABOR_SIZE))  # 9: horizontal edge, dark top -> bright bottom
    return luminance_bank(kernels), np.zeros(len(kernels))


OPP_SIZE, CENTRE_SIGMA, SURROUND_SIGMA = 11, 1.0, 3.0


def gaussian(size, sigma):
    y, x = grid(size)
    g = np.exp(-(x**2 + y**2) / (2 * sigma**2))
    return g / g.sum()


def colour_opponent():
    """Single-opponent centre-surround cells (as in the retina and LGN): centre of one colour minus surround
    of the opponent colour. Each filter's weights sum to 0, so a uniform grey region gives 0."""
    c, s = gaussian(OPP_SIZE, CENTRE_SIGMA), gaussian(OPP_SIZE, SURROUND_SIGMA)
    z = np.zeros_like(c)
    filters = [
        [c, -s, z],  # 0: R+ centre, G- surround
        [-s, c, z],  # 1: G+ centre, R- surround
        [-s / 2, -s / 2, c],  # 2: B+ centre, Y- surround (Y = (R + G) / 2)
        [c / 2, c / 2, -s],  # 3: Y+ centre, B- surround
    ]
    dog = zero_mean_unit(c - s)
    filters.append([w * dog for w in LUMA])  # 4: luminance on-centre (bright spot on dark)
    filters.append([-w * dog for w in LUMA])  # 5: luminance off-centre (dark spot on bright)
    return np.array(filters), np.zeros(len(filters))


L2_SIZE = 5


def edges_l2():
    """Second layer over the 10 edge maps after ReLU and 2x2 max pooling (so one tap is 2 input pixels).

    0-3  complex-cell orientation channels at 0, 45, 90, 135 degrees: a 3x3 box over the Gabor map at that angle
         plus half of each neighbouring (+-22.5 degree) map; tolerant to the exact position and angle.
    4    horizontal end-stopping: the 0-degree map weighted [-1, 0, 2, 0, -1] along x (3 rows), minus 0.3 x a 3x3
         box of the 45 and 135 degree maps: zero along a straight horizontal edge, positive where one ends
         (corners, T-junctions, line ends). Oblique edges look like staircases of short ends to it; the
         diagonal inhibition halves that response.
    5    vertical end-stopping: the same on the 90-degree map along y.
    6    corners: 4 + 5, strongest where a horizontal and a vertical edge both end (corners of boxes, line ends).
    7    orientation-free edge energy: 3x3 box over the mean of the 8 Gabor maps and the 2 Sobel maps.
    """
    n_in, k, r = 10, L2_SIZE, L2_SIZE // 2
    w = np.zeros((8, n_in, k, k))
    box = np.zeros((k, k))
    box[r - 1 : r + 2, r - 1 : r + 2] = 1 / 9
    for o, angle_index in enumerate([0, 2, 4, 6]):
        w[o, angle_index] += box
        w[o, (angle_index - 1) % 8] += box / 2
        w[o, (angle_index + 1) % 8] += box / 2
    stop = np.zeros((k, k))
    stop[r - 1 : r + 2, :] = np.array([-1, 0, 2, 0, -1]) / 3
    w[4, 0] = stop
    w[5, 4] = stop.T
    for o in (4, 5):
        w[o, 2] -= 0.3 * box
        w[o, 6] -= 0.3 * box
    w[6] = w[4] + w[5]
    for c in range(n_in):
        w[7, c] = box / n_in
    return w, np.zeros(8)


def save(name, array):
    np.save(HERE / name, np.ascontiguousarray(array, dtype="<f4"))


def correlate(image, bank, bias):
    """PyTorch conv2d with 'same' zero padding, for the --check report."""
    n, c, k, _ = bank.shape
    r = k // 2
    h, w = image.shape[1:]
    padded_image = np.pad(image, ((0, 0), (r, r), (r, r)))
    out = np.zeros((n, h, w))
    for i in range(k):
        for j in range(k):
            window = padded_image[:, i : i + h, j : j + w]
            out += np.einsum("nc,chw->nhw", bank[:, :, i, j], window)
    return out + bias[:, None, None]


def max_pool2(x):
    n, h, w = x.shape
    return x[:, : h // 2 * 2, : w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2).max(axis=(2, 4))


def check(edge_bank, edge_bias, l2_bank, l2_bias, opp_bank, opp_bias):
    size = 48
    y, x = np.mgrid[0:size, 0:size]
    grey = lambda plane: np.stack([plane] * 3).astype(np.float64)
    images = {
        "vertical edge (bright right)": grey(x >= size // 2),
        "horizontal edge (bright below)": grey(y >= size // 2),
        "diagonal edge /": grey(x + y >= size),
        "diagonal edge \\": grey(x >= y),
        "bright square (corners)": grey((abs(x - 24) < 10) & (abs(y - 24) < 10)),
    }
    for name, image in images.items():
        e = np.maximum(correlate(image, edge_bank, edge_bias), 0)
        l2 = np.maximum(correlate(max_pool2(e), l2_bank, l2_bias), 0)
        inner = lambda a, m: a[:, m:-m, m:-m].max(axis=(1, 2))
        print(f"{name:32s} edges max {np.round(inner(e, 5), 2)}")
        print(f"{'':32s} l2    max {np.round(inner(l2, 3), 2)}")
    patches = {
        "red disc on green": [(abs(x - 24) ** 2 + abs(y - 24) ** 2 < 9) * 1.0, (abs(x - 24) ** 2 + abs(y - 24) ** 2 >= 9) * 1.0, 0 * x],
        "uniform grey": [0.5 + 0 * x] * 3,
        "blue disc on yellow": [(abs(x - 24) ** 2 + abs(y - 24) ** 2 >= 9) * 1.0] * 2 + [(abs(x - 24) ** 2 + abs(y - 24) ** 2 < 9) * 1.0],
        "white dot on black": [(abs(x - 24) ** 2 + abs(y - 24) ** 2 < 4) * 1.0] * 3,
    }
    for name, planes in patches.items():
        o = correlate(np.stack(planes).astype(np.float64), opp_bank, opp_bias)
        print(f"{name:32s} opponent at centre {np.round(o[:, 24, 24], 2)}")


def main():
    edge_bank, edge_bias = edges()
    l2_bank, l2_bias = edges_l2()
    opp_bank, opp_bias = colour_opponent()
    save("edges.npy", edge_bank)
    save("edges-bias.npy", edge_bias)
    save("edges-l2.npy", l2_bank)
    save("edges-l2-bias.npy", l2_bias)
    save("colour-opponent.npy", opp_bank)
    save("colour-opponent-bias.npy", opp_bias)
    for name, array in [("edges", edge_bank), ("edges-l2", l2_bank), ("colour-opponent", opp_bank)]:
        print(f"{name}.npy {list(array.shape)}")
    if "--check" in sys.argv[1:]:
        check(edge_bank, edge_bias, l2_bank, l2_bias, opp_bank, opp_bias)


if __name__ == "__main__":
    main()
