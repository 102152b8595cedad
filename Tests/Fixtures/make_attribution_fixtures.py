"""captum's input attributions for `convolve model cam` (Tests/ConvolveJobsTests/CamAttributionTests.swift).

The tiny CNN of make_cam_fixtures.py (rebuilt from the seed in cam/manifest.json and checked against the logits
there) on cam/input.npy, for the top class, the logit as it is:
- cam/integrated_gradients.npy: captum's IntegratedGradients, its defaults (baseline 0, 50 steps, gausslegendre);
- cam/occlusion.npy: captum's Occlusion, a 3x5x5 window, strides (3, 3, 3), baseline 0 (the last windows are
  cut at the edge: 12 is not reached by 0, 3, 6, 9 + 5 exactly);
- cam/smoothgrad.npy: SmoothGrad as captum's NoiseTunnel over Saliency computes it (the mean |dS/dx| over noisy
  inputs), with the noise `convolve` draws (SplitMix64 + Box-Muller, seed 7, sigma 0.15 x the input's range,
  10 samples; ported below), so that the sums can be compared, gradients by PyTorch autograd.
Each is 1x3x12x12 float32. And cam/confidence.json: pytorch-grad-cam's CamMultImageConfidenceChange (the class's
logit for the input times the map, scaled to [0, 1] as its scale_cam_image does, minus the logit) for the maps of
Grad-CAM, HiResCAM and Score-CAM at the second ReLU (`pip install grad-cam`). Run: python3 Tests/Fixtures/make_attribution_fixtures.py (checked with torch 2.13.0,
captum 0.9.0). CI never runs it: the outputs are committed.
"""
import json
import math
import os

import numpy as np
import torch
from captum.attr import IntegratedGradients, Occlusion


def stub_torchvision():
    """pytorch-grad-cam imports torchvision but calls none of it on the paths used here; a torchvision built for
    another torch fails to import ("operator torchvision::nms does not exist"), so stand in for it then."""
    try:
        import torchvision  # noqa: F401
    except Exception:
        import sys
        import types
        names = ["torchvision", "torchvision.transforms", "torchvision.transforms.functional", "torchvision.ops"]
        for name in names:
            sys.modules[name] = types.ModuleType(name)
        for attr in ["Compose", "Normalize", "ToTensor"]:
            setattr(sys.modules["torchvision.transforms"], attr, None)
        sys.modules["torchvision.transforms.functional"].resize = None
        sys.modules["torchvision"].transforms = sys.modules["torchvision.transforms"]
        sys.modules["torchvision"].ops = sys.modules["torchvision.ops"]


stub_torchvision()
from pytorch_grad_cam import GradCAM, HiResCAM, ScoreCAM
from pytorch_grad_cam.metrics.cam_mult_image import CamMultImageConfidenceChange
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cam")
MASK = (1 << 64) - 1


# The network of the CAM fixtures (the script's folder is on sys.path when it runs).
from make_cam_fixtures import Tiny  # noqa: E402


class Noise:
    """CAMNoise (Sources/ConvolveJobs/CAM/InputAttributions.swift)."""

    def __init__(self, seed):
        self.state = seed & MASK
        self.spare = None

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def gaussian(self):
        if self.spare is not None:
            s, self.spare = self.spare, None
            return s
        u1 = ((self.next() >> 11) + 1) / 9007199254740992.0
        u2 = (self.next() >> 11) / 9007199254740992.0
        r = math.sqrt(-2 * math.log(u1))
        self.spare = r * math.sin(2 * math.pi * u2)
        return r * math.cos(2 * math.pi * u2)


def main():
    with open(os.path.join(HERE, "manifest.json")) as f:
        manifest = json.load(f)
    torch.manual_seed(manifest["seed"])
    model = Tiny().eval()
    x = torch.from_numpy(np.load(os.path.join(HERE, "input.npy")))
    with torch.no_grad():
        logits = model(x)[0].numpy()
    assert np.allclose(logits, manifest["logits"], atol=1e-6), (logits, manifest["logits"])
    top = int(np.argmax(logits))

    ig = IntegratedGradients(model).attribute(x, target=top, n_steps=50)
    occ = Occlusion(model).attribute(x, sliding_window_shapes=(3, 5, 5), strides=(3, 3, 3), target=top, baselines=0)

    samples, fraction, seed = 10, 0.15, 7
    flat = x.numpy().astype(np.float32).ravel()
    sigma = fraction * float(flat.max() - flat.min())
    noise = Noise(seed)
    total = np.zeros(flat.size, dtype=np.float64)
    for _ in range(samples):
        noisy = np.array([np.float32(v + np.float32(sigma * noise.gaussian())) for v in flat], dtype=np.float32)
        t = torch.from_numpy(noisy.reshape(x.shape)).requires_grad_(True)
        model(t)[0, top].backward()
        total += np.abs(t.grad.numpy().ravel().astype(np.float64))
    smooth = (total / samples).reshape(x.shape)

    for name, value in [("integrated_gradients", ig.detach().numpy()), ("occlusion", occ.detach().numpy()),
                        ("smoothgrad", smooth)]:
        np.save(os.path.join(HERE, name + ".npy"), np.asarray(value, dtype=np.float32))
        print(name, value.shape, float(np.abs(value).max()))
    targets = [ClassifierOutputTarget(top)]
    confidence = {}
    for name, kind in [("gradcam", GradCAM), ("hirescam", HiResCAM), ("scorecam", ScoreCAM)]:
        with kind(model=model, target_layers=[model.relu2]) as cam:
            scaled = cam(input_tensor=x, targets=targets)
        confidence[name] = float(CamMultImageConfidenceChange()(x, scaled, targets, model)[0])
    with open(os.path.join(HERE, "confidence.json"), "w") as f:
        json.dump(confidence, f, indent=1, sort_keys=True)
        f.write("\n")
    print("confidence change", confidence)
    print("class", top, "ig sum", float(ig.sum()), "logit - logit(0)",
          float(logits[top] - model(torch.zeros_like(x))[0, top]))


if __name__ == "__main__":
    main()
