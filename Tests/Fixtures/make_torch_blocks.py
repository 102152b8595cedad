#!/usr/bin/env python3
"""Writes tiny ConvNeXt-like and ViT-like networks exported from PyTorch: Tests/Fixtures/torch_blocks/.

The small configuration of issue 21's zoo (narrow and shallow, seeded random weights with LayerScale and norm
weights that do not vanish), exported with torch.onnx's TorchScript exporter at opset 13 (LayerNorm and Gelu
spelled out node by node) and 17 (LayerNormalization), the ViT with its attention written as Einsum, and
both through torch's default exporter (dynamo: Gelu and LayerNormalization operators, its own opset).
Each case: NAME.onnx, NAME.input0.npy, NAME.output0.npy (onnxruntime's output) and a line of manifest.json,
the format of Tests/Fixtures/onnx2/. Needs torch (CPU), onnxscript, onnx, onnxruntime, numpy:
  python3 Tests/Fixtures/make_torch_blocks.py
"""
import io
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "torch_blocks")


class LayerNorm2d(nn.Module):
    """ConvNeXt's channels-first LayerNorm, written out as its reference code does."""

    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c)), eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class ConvNeXtBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = nn.LayerNorm(c, eps=1e-6)
        self.fc1, self.fc2 = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)
        self.gamma = nn.Parameter(torch.full((c,), 0.5))

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.fc2(F.gelu(self.fc1(self.norm(y))))
        return x + (self.gamma * y).permute(0, 3, 1, 2)


class TinyConvNeXt(nn.Module):
    def __init__(self, dims=(8, 16), classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, dims[0], 4, stride=4), LayerNorm2d(dims[0]))
        self.stage1 = ConvNeXtBlock(dims[0])
        self.down = nn.Sequential(LayerNorm2d(dims[0]), nn.Conv2d(dims[0], dims[1], 2, stride=2))
        self.stage2 = ConvNeXtBlock(dims[1])
        self.norm, self.head = nn.LayerNorm(dims[1]), nn.Linear(dims[1], classes)

    def forward(self, x):
        x = self.stage2(self.down(self.stage1(self.stem(x))))
        return self.head(self.norm(x.mean((2, 3))))


class Attention(nn.Module):
    def __init__(self, dim, heads, einsum):
        super().__init__()
        self.heads, self.scale, self.einsum = heads, (dim // heads) ** -0.5, einsum
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        if self.einsum:
            a = torch.einsum("bhid,bhjd->bhij", q, k) * self.scale
            y = torch.einsum("bhij,bhjd->bhid", a.softmax(-1), v)
        else:
            y = ((q @ k.transpose(-2, -1)) * self.scale).softmax(-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, n, c))


class ViTBlock(nn.Module):
    def __init__(self, dim, heads, einsum, tanh_gelu):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, einsum)
        self.fc1, self.fc2 = nn.Linear(dim, 2 * dim), nn.Linear(2 * dim, dim)
        self.approximate = "tanh" if tanh_gelu else "none"

    def forward(self, x):
        x = x + self.attn(self.n1(x))
        return x + self.fc2(F.gelu(self.fc1(self.n2(x)), approximate=self.approximate))


class TinyViT(nn.Module):
    def __init__(self, dim=16, heads=2, depth=2, classes=10, einsum=False, tanh_gelu=False):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 8, stride=8)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.5)
        self.pos = nn.Parameter(torch.randn(1, 17, dim) * 0.2)
        self.blocks = nn.Sequential(*[ViTBlock(dim, heads, einsum, tanh_gelu) for _ in range(depth)])
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        return self.head(self.norm(self.blocks(x))[:, 0])


# Swin-like: shifted windows (roll), window partition by reshapes, a relative position bias gathered from a
# table, patch merging by strided slices.
class SwinBlock(nn.Module):
    def __init__(s, dim=16, heads=2, ws=4, shift=2):
        super().__init__(); s.ws, s.shift, s.heads = ws, shift, heads
        s.n1, s.n2 = nn.LayerNorm(dim), nn.LayerNorm(dim); s.qkv, s.proj = nn.Linear(dim, 3*dim), nn.Linear(dim, dim)
        s.table = nn.Parameter(torch.randn((2*ws-1)**2, heads) * 0.5)
        c = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")).flatten(1)
        r = (c[:, :, None] - c[:, None, :]).permute(1, 2, 0) + ws - 1
        s.register_buffer("index", r[..., 0] * (2*ws-1) + r[..., 1])
        s.fc1, s.fc2 = nn.Linear(dim, 2*dim), nn.Linear(2*dim, dim)
    def forward(s, x):  # x: B H W C
        B, H, W, C = x.shape; ws = s.ws
        y = torch.roll(s.n1(x), (-s.shift, -s.shift), (1, 2))
        y = y.view(B, H//ws, ws, W//ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws*ws, C)
        q, k, v = s.qkv(y).reshape(y.shape[0], ws*ws, 3, s.heads, C//s.heads).permute(2, 0, 3, 1, 4)
        a = (q * (C//s.heads) ** -0.5) @ k.transpose(-2, -1)
        a = a + s.table[s.index.view(-1)].view(ws*ws, ws*ws, -1).permute(2, 0, 1).unsqueeze(0)
        y = (a.softmax(-1) @ v).transpose(1, 2).reshape(-1, ws*ws, C)
        y = s.proj(y).view(B, H//ws, W//ws, ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(B, H, W, C)
        x = x + torch.roll(y, (s.shift, s.shift), (1, 2))
        return x + s.fc2(F.gelu(s.fc1(s.n2(x))))
class TinySwin(nn.Module):
    def __init__(s):
        super().__init__(); s.embed = nn.Conv2d(3, 16, 4, 4); s.b1 = SwinBlock(); s.b2 = SwinBlock(shift=0)
        s.merge_norm = nn.LayerNorm(64); s.reduce = nn.Linear(64, 32, bias=False); s.norm = nn.LayerNorm(32); s.head = nn.Linear(32, 5)
    def forward(s, x):
        x = s.b2(s.b1(s.embed(x).permute(0, 2, 3, 1)))
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], -1)
        x = s.reduce(s.merge_norm(x))
        return s.head(s.norm(x).mean((1, 2)))

def realistic(model, seed):
    """Seeded weights; norm weights around 1 and biases small, so no layer vanishes."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or name.endswith(("stem.1.weight", "down.0.weight")) or ".n1." in name or ".n2." in name:
                p.copy_((1 + 0.2 * torch.randn(p.shape, generator=g)) if name.endswith("weight") else 0.1 * torch.randn(p.shape, generator=g))
    return model.eval()


MANIFEST = []


def export(name, model, opset, description, seed):
    """`opset` None: torch's default exporter (dynamo, its own opset) as a new user runs it."""
    torch.manual_seed(seed)
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(seed + 1))
    if opset is None:
        path = os.path.join(OUT, name + ".onnx")
        torch.onnx.export(model, (x,), input_names=["image"], output_names=["logits"], dynamo=True).save(path)
        model_proto = onnx.load(path)
        for node in model_proto.graph.node:  # the exporter's stack traces and names: most of the file
            node.doc_string = ""
            del node.metadata_props[:]
        data = model_proto.SerializeToString()
        opset = next(o.version for o in onnx.load_from_string(data).opset_import if o.domain in ("", "ai.onnx"))
    else:
        buffer = io.BytesIO()
        torch.onnx.export(model, (x,), buffer, opset_version=opset, input_names=["image"], output_names=["logits"],
                          dynamo=False, do_constant_folding=False)
        data = buffer.getvalue()
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    result = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"]).run(None, {"image": x.numpy()})[0]
    with torch.no_grad():
        reference = model(x.double() if False else x).numpy()
    assert np.max(np.abs(result - reference)) < 1e-4 * max(1, np.max(np.abs(reference))), name
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(data)
    np.save(os.path.join(OUT, name + ".input0.npy"), x.numpy())
    np.save(os.path.join(OUT, name + ".output0.npy"), result)
    ops = sorted({n.op_type for n in onnx.load_from_string(data).graph.node})
    MANIFEST.append({"name": name, "opset": opset, "description": description, "model": name + ".onnx", "ops": ops,
                     "inputs": [{"name": "image", "shape": list(x.shape), "dtype": "float32", "file": name + ".input0.npy"}],
                     "outputs": [{"name": "logits", "shape": list(result.shape), "dtype": "float32", "file": name + ".output0.npy"}]})
    print(f"{name:32s} opset {opset}  {len(data) // 1024} KB  ops: {' '.join(ops)}")


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith((".onnx", ".npy")) or f == "manifest.json":
            os.remove(os.path.join(OUT, f))
    print(f"torch {torch.__version__}, onnx {onnx.__version__}, onnxruntime {ort.__version__}")
    for opset in (13, 17):
        torch.manual_seed(1)
        export(f"convnext_tiny_opset{opset}", realistic(TinyConvNeXt(), 2), opset,
               "ConvNeXt-like: stem, two blocks (depthwise 7x7, LayerNorm, MLP with Gelu, LayerScale), channels-first LayerNorm", 3)
        torch.manual_seed(4)
        export(f"vit_tiny_opset{opset}", realistic(TinyViT(), 5), opset,
               "ViT-like: 8x8 patches, class token, position embedding, two blocks of attention and MLP", 6)
    torch.manual_seed(7)
    export("vit_tiny_einsum_tanh_gelu_opset13", realistic(TinyViT(einsum=True, tanh_gelu=True), 8), 13,
           "ViT-like with attention as Einsum and the tanh Gelu", 9)
    torch.manual_seed(10)
    export("swin_tiny_opset13", realistic(TinySwin(), 11), 13, "Swin-like: two shifted-window blocks and a patch merging", 12)
    torch.manual_seed(10)
    export("swin_tiny_dynamo", realistic(TinySwin(), 11), None, "the Swin-like network, torch's default exporter", 12)
    torch.manual_seed(1)
    export("convnext_tiny_dynamo", realistic(TinyConvNeXt(), 2), None, "the ConvNeXt-like network, torch's default exporter", 3)
    torch.manual_seed(7)
    export("vit_tiny_einsum_dynamo", realistic(TinyViT(einsum=True, tanh_gelu=True), 8), None,
           "the Einsum ViT-like network with the tanh Gelu, torch's default exporter", 9)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"generator": "Tests/Fixtures/make_torch_blocks.py", "reference": "onnxruntime, optimizations disabled",
                   "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__},
                   "cases": MANIFEST}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
