"""The image backbones (the U-Net and the fast conv net): shapes, gradients, conditioning on c_noise and labels,
presets. The contract tests run on both; the layout-specific ones name their network."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from scoreviz.core.model import build_denoiser, config_from_dict, config_to_dict, count_parameters
from scoreviz.core.networks.convnet import ConvNetConfig, ConvScoreNet, padded_size
from scoreviz.core.networks.unet import UNET_SIZES, UNet, UNetConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


TINY = UNetConfig(channels=8, channel_mults=(1, 2, 2), num_res_blocks=1, emb_dim=32)
TINY_CONV = ConvNetConfig(channels=(8, 8, 16, 16), emb_dim=32)


def network(kind: str, **changes):
    """A small backbone of `kind` ("unet" or "convnet", the U-Net with self-attention) with config `changes`."""
    if kind == "unet":
        return UNet(replace(TINY, attention=True, **changes))
    return ConvScoreNet(replace(TINY_CONV, **changes))


both = pytest.mark.parametrize("kind", ["unet", "convnet"])


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


def test_unet_sizes_shapes_and_parameter_counts():
    counts = {}
    for name, config in UNET_SIZES.items():
        model = UNet(config)
        counts[name] = count_parameters(model)
        x, c = inputs(2)
        with torch.no_grad():
            assert perturbed(model)(x, c).shape == (2, 1, 28, 28)
    assert 300_000 <= counts["small"] <= 600_000, counts
    assert counts["large"] > 5 * counts["small"], counts
    large = UNET_SIZES["large"]
    assert large.attention and large.channels == 64 and large.num_res_blocks == 2


@both
def test_gradients_reach_every_parameter_and_the_input(kind):
    model = perturbed(network(kind, num_classes=10)).train()
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


@both
def test_output_depends_on_c_noise(kind):
    model = perturbed(network(kind))
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


@both
def test_output_depends_on_labels_and_null_label(kind):
    model = perturbed(network(kind, num_classes=10))
    x, c = inputs(4)
    with torch.no_grad():
        a = model(x, c, torch.tensor([0, 1, 2, 3]))
        b = model(x, c, torch.tensor([5, 6, 7, 8]))
        null = model(x, c, torch.full((4,), 10))
        none = model(x, c, None)
    assert (a - b).abs().amax(dim=(1, 2, 3)).min() > 1e-4
    torch.testing.assert_close(none, null)  # labels=None means the null token
    assert (null - a).abs().max() > 1e-4
    with pytest.raises(IndexError):
        model(x, c, torch.full((4,), 11))


@both
def test_unconditional_model_ignores_labels(kind):
    model = perturbed(network(kind))
    x, c = inputs(2)
    with torch.no_grad():
        torch.testing.assert_close(model(x, c, torch.tensor([1, 2])), model(x, c))


@both
def test_samples_do_not_interact_within_a_batch(kind):
    model = perturbed(network(kind, num_classes=3))
    x, c = inputs(5)
    labels = torch.tensor([0, 1, 2, 3, 1])
    with torch.no_grad():
        batch = model(x, c, labels)
        single = torch.cat([model(x[i : i + 1], c[i : i + 1], labels[i : i + 1]) for i in range(5)])
    torch.testing.assert_close(batch, single, atol=1e-5, rtol=1e-4)


@both
def test_config_and_weights_round_trip_through_plain_data(kind):
    """What a checkpoint stores: the config as JSON-able data (kind + fields) and the state dict."""
    import json

    source = perturbed(network(kind, num_classes=10))
    config = config_from_dict(json.loads(json.dumps(config_to_dict(source.config))))
    assert config == source.config and config.kind == kind
    copy = build_denoiser(config, 0.3).backbone
    assert type(copy) is type(source)
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


def test_convnet_maps_its_sizes_back_exactly_and_pads_the_others():
    """The strided path inverts exactly at 8k + 12 (20, 28, 36, ...); other sizes are padded, then cropped."""
    assert [padded_size(s) for s in (1, 20, 21, 28, 29, 36)] == [20, 20, 28, 28, 36, 36]
    model = perturbed(network("convnet"))
    for h, w in ((28, 28), (20, 36), (32, 32), (9, 30)):
        x = torch.randn(2, 1, h, w)
        with torch.no_grad():
            out = model(x, torch.zeros(2))
        assert out.shape == x.shape and torch.isfinite(out).all()


def test_convnet_default_is_the_tutorials_half_width_scorenet():
    model = ConvScoreNet()
    assert 300_000 <= count_parameters(model) <= 450_000   # the "~0.35 M"
    assert [conv.stride[0] for conv in model.down] == [1, 2, 2, 2]
    with pytest.raises(ValueError, match="four even widths"):
        ConvScoreNet(ConvNetConfig(channels=(8, 16, 32)))
