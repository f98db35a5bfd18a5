"""The noise-conditional U-Net backbone: shapes, gradients, conditioning on c_noise and labels, presets."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from scoreviz.images.unet import PRESETS, UNet, UNetConfig, count_parameters

pytestmark = pytest.mark.usefixtures("one_torch_thread")


TINY = UNetConfig(channels=8, channel_mults=(1, 2, 2), num_res_blocks=1, emb_dim=32)


def perturbed(model: UNet, seed: int = 0, scale: float = 0.05) -> UNet:
    """Add noise to every parameter, so zero-initialised layers no longer hide the inputs."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * scale)
    return model.eval()


def inputs(n: int, channels: int = 1, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, channels, 28, 28, generator=g), torch.randn(n, generator=g) * 0.5


@pytest.mark.parametrize("n", [1, 5])
@pytest.mark.parametrize(
    "config",
    [TINY, replace(TINY, attention=True, num_res_blocks=2), replace(TINY, num_classes=10, image_channels=3)],
    ids=["plain", "attention", "conditional-rgb"],
)
def test_output_shape(config, n):
    model = UNet(config)
    x, c = inputs(n, config.image_channels)
    labels = torch.arange(n) % 10 if config.num_classes else None
    out = model(x, c, labels)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert torch.all(out == 0)  # zero-initialised output layer: starts as "predict nothing"


def test_presets_shapes_and_parameter_counts():
    counts = {}
    for name, config in PRESETS.items():
        model = UNet(config)
        counts[name] = count_parameters(model)
        x, c = inputs(2)
        with torch.no_grad():
            assert perturbed(model)(x, c).shape == (2, 1, 28, 28)
    assert 300_000 <= counts["cpu"] <= 600_000, counts
    assert counts["gpu"] > 5 * counts["cpu"], counts
    assert PRESETS["gpu"].attention and PRESETS["gpu"].channels == 64 and PRESETS["gpu"].num_res_blocks == 2


def test_gradients_reach_every_parameter_and_the_input():
    model = perturbed(UNet(replace(TINY, num_classes=10, attention=True))).train()
    x, c = inputs(4)
    x.requires_grad_(True)
    model(x, c, torch.tensor([0, 3, 9, 10])).square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.any(p.grad != 0)]
    assert not missing
    assert torch.isfinite(x.grad).all() and torch.any(x.grad != 0)


def test_fresh_model_trains_its_output_layer_first():
    model = UNet(TINY)
    x, c = inputs(3)
    model(x, c).sub(x).square().mean().backward()
    assert torch.any(model.conv_out.weight.grad != 0)


def test_output_depends_on_c_noise():
    model = perturbed(UNet(TINY))
    x, _ = inputs(3)
    with torch.no_grad():
        low = model(x, torch.full((3,), -1.0))
        high = model(x, torch.full((3,), 1.0))
        scalar = model(x, torch.tensor(1.0))
        mixed = model(x, torch.tensor([-1.0, 1.0, -1.0]))
    assert (low - high).abs().amax(dim=(1, 2, 3)).min() > 1e-3
    torch.testing.assert_close(mixed[[0, 2]], low[[0, 2]])  # each sample gets its own c_noise
    torch.testing.assert_close(mixed[1], high[1])
    torch.testing.assert_close(scalar, high)  # a scalar c_noise is broadcast


def test_output_depends_on_labels_and_null_label():
    config = replace(TINY, num_classes=10)
    model = perturbed(UNet(config))
    x, c = inputs(4)
    with torch.no_grad():
        a = model(x, c, torch.tensor([0, 1, 2, 3]))
        b = model(x, c, torch.tensor([5, 6, 7, 8]))
        null = model(x, c, torch.full((4,), config.num_classes))
        none = model(x, c, None)
    assert (a - b).abs().amax(dim=(1, 2, 3)).min() > 1e-4
    torch.testing.assert_close(none, null)  # labels=None means the null token
    assert (null - a).abs().max() > 1e-4
    with pytest.raises(IndexError):
        model(x, c, torch.full((4,), config.num_classes + 1))


def test_unconditional_model_ignores_labels():
    model = perturbed(UNet(TINY))
    x, c = inputs(2)
    with torch.no_grad():
        torch.testing.assert_close(model(x, c, torch.tensor([1, 2])), model(x, c))


def test_samples_do_not_interact_within_a_batch():
    model = perturbed(UNet(replace(TINY, attention=True, num_classes=3)))
    x, c = inputs(5)
    labels = torch.tensor([0, 1, 2, 3, 1])
    with torch.no_grad():
        batch = model(x, c, labels)
        single = torch.cat([model(x[i : i + 1], c[i : i + 1], labels[i : i + 1]) for i in range(5)])
    torch.testing.assert_close(batch, single, atol=1e-5, rtol=1e-4)


def test_state_dict_round_trip():
    source = perturbed(UNet(TINY))
    copy = UNet(TINY)
    copy.load_state_dict(source.state_dict())
    x, c = inputs(2)
    with torch.no_grad():
        torch.testing.assert_close(copy.eval()(x, c), source(x, c))


def test_rejects_bad_sizes():
    model = UNet(TINY)
    with pytest.raises(ValueError, match="divisible by 4"):
        model(torch.zeros(1, 1, 30, 30), torch.zeros(1))
    with pytest.raises(ValueError):
        UNet(replace(TINY, channels=6))
