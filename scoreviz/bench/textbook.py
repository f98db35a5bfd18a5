"""The plain textbook reference, written from the equations (Song's 2021 tutorial, transposed to 2D):

    s_θ(x, t) = MLP([x, t]) / s(t)   (3 hidden layers of 128, SiLU), VE SDE s(t) = σ_min (σ_max/σ_min)^t
    ℓ = E_t E_ε ‖s(t) s_θ(x₀ + s(t)ε, t) + ε‖²,   t ~ U(1e-5, 1)
    Adam(1e-3), batch 512, 10,000 steps, then Euler–Maruyama on the reverse SDE (500 steps), no EMA,
    no preconditioning, no final denoising step.

It exists only so that the benchmark can measure the project's defaults against it in the same run.
"""
from __future__ import annotations

import math
import time

import torch
from torch import nn

SIGMA_MIN, SIGMA_MAX = 0.01, 10.0


def _std(t):
    return SIGMA_MIN * (SIGMA_MAX / SIGMA_MIN) ** t


class TextbookMLP(nn.Module):
    def __init__(self, dim: int = 2, width: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim + 1, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(),
                                 nn.Linear(width, width), nn.SiLU(), nn.Linear(width, dim))

    def forward(self, x, t):
        t = torch.as_tensor(t, dtype=x.dtype).expand(x.shape[0])
        return self.net(torch.cat([x, t[:, None]], dim=1)) / _std(t)[:, None]


def train_textbook(data: torch.Tensor, steps: int = 10_000, seed: int = 0) -> tuple[TextbookMLP, float]:
    """Returns the model and the seconds it took."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = TextbookMLP(data.shape[1])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(steps):
        x0 = data[torch.randint(0, data.shape[0], (512,), generator=gen)]
        t = 1e-5 + (1 - 1e-5) * torch.rand(512, generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        std = _std(t)[:, None]
        loss = ((std * model(x0 + std * eps, t) + eps) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, time.perf_counter() - start


@torch.no_grad()
def sample_textbook(model: TextbookMLP, n: int, dim: int = 2, steps: int = 500, seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    g2_factor = 2 * math.log(SIGMA_MAX / SIGMA_MIN)
    x = SIGMA_MAX * torch.randn(n, dim, generator=gen)
    times = torch.linspace(1.0, 1e-5, steps + 1).tolist()
    for t, t_next in zip(times[:-1], times[1:]):
        dt = t - t_next
        g2 = _std(t) ** 2 * g2_factor
        x = x + g2 * model(x, t) * dt + math.sqrt(g2 * dt) * torch.randn(x.shape, generator=gen)
    return x
