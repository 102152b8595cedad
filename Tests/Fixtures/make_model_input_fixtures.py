"""Model-input fixtures: a photo resized and centre-cropped as torchvision prepares ImageNet photos.

torchvision's `Resize(n)` gives the shorter side n and the longer `int(n * long / short)`, and on a PIL image
calls Pillow's `resize(..., BILINEAR)`, which shrinks with the triangle filter widened by the factor
(antialiasing); `CenterCrop((h, w))` then cuts from `int(round((H - h) / 2))`, `int(round((W - w) / 2))`
(Python's round: halves to even). Pillow is run here on mode "F" images (32-bit float, one per channel), so
no 8-bit rounding happens between its two passes; the Swift side reads the same floats.

Writes Tests/Fixtures/model_input/photo.npy (3 x 37 x 53, values in [0, 1]) and one <case>.npy per case
(C x H x W). Run: python3 Tests/Fixtures/make_model_input_fixtures.py (Pillow 13, NumPy 2).
"""
import os

import numpy as np
from PIL import Image

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model_input")


def resize_shorter(h, w, n):
    # torchvision.transforms.functional._compute_resized_output_size, max_size None.
    short, long = (h, w) if h <= w else (w, h)
    new_short, new_long = n, int(n * long / short)
    return (new_short, new_long) if h <= w else (new_long, new_short)


def prepare(photo, resize=None, shorter=None, crop=None):
    c, h, w = photo.shape
    if shorter is not None:
        resize = resize_shorter(h, w, shorter)
    planes = []
    for k in range(c):
        image = Image.fromarray(photo[k], mode="F")
        if resize is not None and resize != (h, w):
            image = image.resize((resize[1], resize[0]), Image.BILINEAR)
        if crop is not None:
            top = int(round((image.height - crop[0]) / 2.0))
            left = int(round((image.width - crop[1]) / 2.0))
            image = image.crop((left, top, left + crop[1], top + crop[0]))
        planes.append(np.asarray(image, dtype=np.float32))
    return np.stack(planes)


CASES = {
    # name: (size, resize-shorter, crop)
    "shorter24_crop16": (None, 24, (16, 16)),  # 24x34, cut at row 4, column 9
    "shorter20_crop12x17": (None, 20, (12, 17)),  # 20x28, column (28 - 17) / 2 = 5.5 rounds to 6
    "shorter48_crop40": (None, 48, (40, 40)),  # enlarged: no antialiasing to do
    "size19x29": ((19, 29), None, None),  # shrunk by different factors down and across
}

if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    rng = np.random.default_rng(24)
    photo = rng.random((3, 37, 53), dtype=np.float32)
    # Smooth areas and a sharp edge, as photos have, besides the noise.
    yy, xx = np.mgrid[0:37, 0:53]
    photo[1] = (np.sin(xx / 3.0) * np.cos(yy / 5.0) + 1) / 2
    photo[2, :, 26:] = 1.0
    np.save(os.path.join(HERE, "photo.npy"), photo)
    for name, (size, shorter, crop) in CASES.items():
        out = prepare(photo, resize=size, shorter=shorter, crop=crop)
        np.save(os.path.join(HERE, name + ".npy"), out.astype(np.float32))
        print(name, out.shape)
