#!/usr/bin/env python3
"""Reference outputs of the real models in ../shared/models, recorded with onnxruntime.

Writes small deterministic inputs and onnxruntime's outputs as .npy files into Tests/Fixtures/models/
(only these are committed, never the models). Tests/ConvolveFormatsTests/ONNXModelTests.swift runs the
same inputs through convolve's executor and compares.

Versions used for the committed files: onnxruntime 1.32.0, numpy (any recent). Run from anywhere:
    python3 Tests/Fixtures/generate_model_references.py
"""
import os
import sys

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODELS = os.path.join(os.path.dirname(ROOT), "shared", "models")
OUT = os.path.join(HERE, "models")


def text_like(rng, height, width):
    """A BGR photo-like input normalised as PaddleOCR does ((v/255 - 0.5)/0.5): a light, slightly noisy
    background with rows of dark strokes, so the text detector fires somewhere."""
    img = 0.85 + 0.05 * rng.standard_normal((height, width))
    for top in range(6, height - 10, 16):
        x = 4 + int(rng.integers(0, 6))
        while x < width - 10:
            w = int(rng.integers(2, 7))
            h = int(rng.integers(6, 10))
            img[top : top + h, x : x + w] = 0.1 + 0.05 * rng.random()
            x += w + int(rng.integers(1, 4))
            if rng.random() < 0.15:
                x += 8
    img = np.clip(img, 0, 1)
    bgr = np.stack([img * 0.95, img, img * 1.05]).clip(0, 1)
    return ((bgr - 0.5) / 0.5)[None].astype(np.float32)


def pattern(channels, height, width):
    """A deterministic input made of integer arithmetic only, so the Swift test rebuilds it exactly instead of
    reading a committed copy: x[0, c, h, w] = ((3h^2 + hw + 5w + 11c) mod 97) / 48.5 - 1."""
    c, h, w = np.meshgrid(np.arange(channels), np.arange(height), np.arange(width), indexing="ij")
    return (((3 * h * h + h * w + 5 * w + 11 * c) % 97) / 48.5 - 1)[None].astype(np.float32)


def run(model, name, x, save_input=True):
    path = os.path.join(MODELS, model)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: x}
    outputs = session.run(None, feed)
    if save_input:
        np.save(os.path.join(OUT, f"{name}.input.npy"), x)
    for i, y in enumerate(outputs):
        np.save(os.path.join(OUT, f"{name}.output{i}.npy"), y.astype(np.float32))
        print(f"{name}: input {x.shape}, output {i} {y.shape}, range [{y.min():.4g}, {y.max():.4g}]")


def main():
    if not os.path.isdir(MODELS):
        sys.exit(f"no models folder at {MODELS}")
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261130)
    run("ppocr/ch_PP-OCRv4_det_infer.onnx", "ppocr_det", text_like(rng, 64, 96))
    run("ppocr/ch_ppocr_mobile_v2.0_cls_infer.onnx", "ppocr_cls", text_like(rng, 48, 192))
    # TensorFlow-style "same" padding exported as ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast feeding Pad.
    run("efficientnet-lite0/efficientnet-lite0.onnx", "efficientnet_lite0", pattern(3, 224, 224), save_input=False)


if __name__ == "__main__":
    main()
