"""pytorch-grad-cam's ROAD for `convolve model cam --metrics` (Tests/ConvolveJobsTests/CamRoadTests.swift).

pytorch-grad-cam (`pip install grad-cam`, `pytorch_grad_cam/metrics/road.py`) with its NoisyLinearImputer, whose
`torch.randn_like` is replaced by the noise `convolve` draws (CAMNoise: SplitMix64 + Box-Muller, a fresh
generator of seed 0 for every imputation, values in the order randn_like fills them), so that the results can be
compared:
- cam/road.json: on the tiny CNN and input of make_cam_fixtures.py, for its top class (the logit as it is), the
  maps of Grad-CAM and Score-CAM at the second ReLU as pytorch-grad-cam returns them (scaled to [0, 1]): the
  score change of ROADMostRelevantFirst and ROADLeastRelevantFirst at each percentile 10 ... 90 and
  ROADCombined;
- cam/road_image.npy (3x20x24), cam/road_keep.npy (20x24, 1 = kept) and cam/road_imputed.npy: one imputation
  of a random image under a random mask (a third of the pixels removed), same noise.
Run: python3 Tests/Fixtures/make_road_fixtures.py (checked with torch 2.13.0, grad-cam 1.5.7, scipy). CI never
runs it: the outputs are committed.
"""
import json
import os

import numpy as np
import torch

from make_attribution_fixtures import HERE, Noise, Tiny  # also stands in for a broken torchvision

from pytorch_grad_cam import GradCAM, ScoreCAM  # noqa: E402
from pytorch_grad_cam.metrics import road  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402

SEED = 0


def ported_randn_like(t):
    noise = Noise(SEED)
    flat = np.array([noise.gaussian() for _ in range(t.numel())], dtype=np.float32)
    return torch.from_numpy(flat.reshape(tuple(t.shape)))


road.torch.randn_like = ported_randn_like


def main():
    with open(os.path.join(HERE, "manifest.json")) as f:
        manifest = json.load(f)
    torch.manual_seed(manifest["seed"])
    model = Tiny().eval()
    x = torch.from_numpy(np.load(os.path.join(HERE, "input.npy")))
    top = int(np.argmax(model(x)[0].detach().numpy()))
    assert top == manifest["class"]
    targets = [ClassifierOutputTarget(top)]
    out = {}
    for name, kind in [("gradcam", GradCAM), ("scorecam", ScoreCAM)]:
        with kind(model=model, target_layers=[model.relu2]) as cam:
            scaled = cam(input_tensor=x, targets=targets)
        morf = [float(road.ROADMostRelevantFirst(p)(x, scaled, targets, model)[0]) for p in road.ROADCombined().percentiles]
        lerf = [float(road.ROADLeastRelevantFirst(p)(x, scaled, targets, model)[0]) for p in road.ROADCombined().percentiles]
        combined = float(road.ROADCombined()(x, scaled, targets, model)[0])
        assert abs(combined - (np.mean(lerf) - np.mean(morf)) / 2) < 1e-6
        out[name] = {"mostRelevantFirst": morf, "leastRelevantFirst": lerf, "combined": combined}
        print(name, out[name])
    with open(os.path.join(HERE, "road.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")

    rng = np.random.default_rng(5)
    image = rng.random((3, 20, 24), dtype=np.float32)
    keep = np.float32(rng.random((20, 24)) > 1 / 3)
    keep[0:6, 0:7] = 0  # a block of removed pixels at the corner
    imputed = road.NoisyLinearImputer()(torch.from_numpy(image), torch.from_numpy(keep)).numpy()
    np.save(os.path.join(HERE, "road_image.npy"), image)
    np.save(os.path.join(HERE, "road_keep.npy"), keep)
    np.save(os.path.join(HERE, "road_imputed.npy"), imputed.astype(np.float32))
    print("imputed", int((keep == 0).sum()), "pixels")


if __name__ == "__main__":
    main()
