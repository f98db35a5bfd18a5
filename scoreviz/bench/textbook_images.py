"""The plain textbook image recipe, written from the equations of Song's 2021 tutorial, as the yardstick for the
image mode's CPU goal (the issue's reference: "~0.35 M parameters, VE SDE σ = 25, DSM, Adam 1e-3, batch 64,
Euler–Maruyama 500 steps"):

    s_θ(x, t) = UNet(x, t) / s(t),   s(t)² = (σ^(2t) − 1) / (2 ln σ),   g(t) = σ^t,   σ = 25
    ℓ = E_t E_ε ‖s(t) s_θ(x₀ + s(t)ε, t) + ε‖²  (summed over pixels),   t ~ U(1e-5, 1)
    reverse SDE by Euler–Maruyama from t = 1 to 1e-3, x ← x + g² s_θ Δt + g √Δt z, returning the last mean

The network is the tutorial's ScoreNet at half width (channels 16/32/64/128, Gaussian Fourier time features of
dimension 256): 0.37 M parameters. No EMA, no preconditioning, no learning-rate schedule.

    python -m scoreviz.bench.textbook_images --minutes 10      # train, sample 256, print the classifier's verdict
"""
from __future__ import annotations

import argparse
import json
import math
import time

import torch
from torch import nn

from scoreviz.core.model import count_parameters
from scoreviz.core.networks.convnet import ConvNetConfig, ConvScoreNet

SIGMA = 25.0
T_EPS = 1e-5


def marginal_std(t: torch.Tensor) -> torch.Tensor:
    """s(t) of the tutorial's VE SDE dx = σ^t dw started at t = 0."""
    return torch.sqrt((SIGMA ** (2 * t) - 1) / (2 * math.log(SIGMA)))


class TextbookScoreNet(nn.Module):
    """The tutorial's ScoreNet: x (N, 1, 28, 28), t (N,) → score (N, 1, 28, 28).

    Its layers are the image mode's conv net (scoreviz.core.networks.convnet, which is shaped after it) fed t itself,
    with the tutorial's output division by s(t) instead of the EDM preconditioning.
    """

    def __init__(self):
        super().__init__()
        self.net = ConvScoreNet(ConvNetConfig(channels=(16, 32, 64, 128), emb_dim=256, fourier_scale=30.0))

    def forward(self, x, t):
        return self.net(x, t) / marginal_std(t)[:, None, None, None]


def dsm_loss(model, x0, gen):
    t = torch.rand(x0.shape[0], generator=gen) * (1 - T_EPS) + T_EPS
    z = torch.randn(x0.shape, generator=gen)
    std = marginal_std(t)[:, None, None, None]
    score = model(x0 + z * std, t)
    return ((score * std + z) ** 2).sum(dim=(1, 2, 3)).mean()


def train(images: torch.Tensor, seconds: float | None = None, steps: int | None = None, seed: int = 0):
    """Adam 1e-3, batch 64, for `seconds` or `steps`. Returns (model, steps done)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = TextbookScoreNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start, done = time.perf_counter(), 0
    while (steps is None or done < steps) and (seconds is None or time.perf_counter() - start < seconds):
        idx = torch.randint(0, images.shape[0], (64,), generator=gen)
        loss = dsm_loss(model, images[idx], gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        done += 1
    return model, done


@torch.inference_mode()
def sample(model, n: int, steps: int = 500, seed: int = 1) -> torch.Tensor:
    """Euler–Maruyama on the reverse SDE; returns the last step's mean (N, 1, 28, 28), clipped to [0, 1]."""
    gen = torch.Generator().manual_seed(seed)
    times = torch.linspace(1.0, 1e-3, steps)
    dt = float(times[0] - times[1])
    x = torch.randn((n, 1, 28, 28), generator=gen) * marginal_std(torch.ones(()))
    mean = x
    for t in times:
        g2 = SIGMA ** (2 * float(t))
        mean = x + g2 * model(x, t.expand(n)) * dt
        x = mean + math.sqrt(g2 * dt) * torch.randn(x.shape, generator=gen)
    return mean.clamp(0, 1)


def main(argv=None) -> dict:
    from scoreviz.bench.images import bench_data
    from scoreviz.core.digit_classifier import get_classifier, recognisability

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--n", type=int, default=256)
    args = p.parse_args(argv)
    images, labels, source = bench_data()
    if labels is None:
        raise SystemExit("the shared MNIST set was not found")
    model, done = train(images, seconds=60 * args.minutes)
    samples = sample(model, args.n)
    classifier, accuracy = get_classifier(images, labels)
    report = recognisability(classifier, samples).as_dict()
    report.update({"recipe": "textbook", "train_steps": done, "minutes": args.minutes, "data": source,
                   "parameters": count_parameters(model), "classifier_accuracy": accuracy})
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
