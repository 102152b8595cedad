"""pytorch-grad-cam's raw class activation maps for `convolve model cam` (Tests/ConvolveJobsTests/CamFixtureTests.swift).

A tiny seeded CNN is exported to ONNX (`cam/tiny_cnn.onnx`) with one input (`cam/input.npy`); for each method,
pytorch-grad-cam (`pip install grad-cam`, jacobgil/pytorch-grad-cam) gives its map at the target layer (the
second ReLU, 1x8x12x12) after its ReLU and before `scale_cam_image` (`cam/<method>.npy`, 12x12), for the top
class of the logits (`ClassifierOutputTarget`, the logit as it is). EigenCAM's projection before the ReLU is
`cam/eigencam_projection.npy` (its sign is LAPACK's). Run: python3 Tests/Fixtures/make_cam_fixtures.py
(checked with torch 2.15.0, grad-cam 1.5.x, onnx 1.23). CI never runs it: the outputs are committed.
"""
import json
import os

import numpy as np
import torch
from pytorch_grad_cam import AblationCAM, EigenCAM, GradCAM, GradCAMPlusPlus, HiResCAM, LayerCAM, ScoreCAM, XGradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from pytorch_grad_cam.utils.svd_on_activations import get_2d_projection

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cam")


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 6, 3, padding=1)
        self.relu1 = torch.nn.ReLU()
        self.conv2 = torch.nn.Conv2d(6, 8, 3, padding=1)
        self.relu2 = torch.nn.ReLU()
        self.conv3 = torch.nn.Conv2d(8, 5, 1)
        self.relu3 = torch.nn.ReLU()
        self.pool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(5, 4)

    def forward(self, x):
        y = self.relu3(self.conv3(self.relu2(self.conv2(self.relu1(self.conv1(x))))))
        return self.fc(torch.flatten(self.pool(y), 1))


def main():
    os.makedirs(HERE, exist_ok=True)
    # The first seed from 2026 on whose maps are all non-zero (a map of zeros checks nothing).
    seed = 2026
    while not make(seed):
        seed += 1
    print("seed", seed)


def make(seed):
    torch.manual_seed(seed)
    model = Tiny().eval()
    x = torch.rand(1, 3, 12, 12)
    torch.onnx.export(model, x, os.path.join(HERE, "tiny_cnn.onnx"), input_names=["x"], output_names=["logits"],
                      opset_version=13, dynamo=False)
    np.save(os.path.join(HERE, "input.npy"), x.numpy().astype(np.float32))
    with torch.no_grad():
        logits = model(x)[0].numpy()
    top = int(np.argmax(logits))
    targets = [ClassifierOutputTarget(top)]
    layer = model.relu2
    raws = {}
    methods = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus, "xgradcam": XGradCAM, "hirescam": HiResCAM,
               "layercam": LayerCAM, "eigencam": EigenCAM, "scorecam": ScoreCAM,
               "ablationcam": AblationCAM}
    for name, kind in methods.items():
        cam = kind(model=model, target_layers=[layer])
        outputs = cam.activations_and_grads(x)
        model.zero_grad()
        loss = sum(t(o) for t, o in zip(targets, outputs))
        loss.backward(retain_graph=True)
        acts = cam.activations_and_grads.activations[0].cpu().numpy()
        grads = cam.activations_and_grads.gradients[0].cpu().numpy()
        raws[name] = np.maximum(cam.get_cam_image(x, layer, targets, acts, grads, False), 0)[0]
        if name == "eigencam":
            raws["eigencam_projection"] = get_2d_projection(acts)[0]
        cam.activations_and_grads.release()
    if any(np.max(v) <= 0 for k, v in raws.items()):
        return False
    for name, raw in raws.items():
        np.save(os.path.join(HERE, name + ".npy"), raw.astype(np.float32))
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump({"seed": seed, "class": top, "layer": "/relu2/Relu", "logits": [float(v) for v in logits]}, f, indent=1)
        f.write("\n")
    return True


if __name__ == "__main__":
    main()
