"""Real schedules: diffusers' β schedules against their formulas, zero-terminal-SNR rescaling, timestep spacing,
the discrete process (knots, samplers, round trip), the scheduler_config reader, the log-SNR report and the CLI."""
import json
import math

import numpy as np
import pytest
import torch

from scoreviz.cli import main
from scoreviz.core.discrete_process import DiscreteVP
from scoreviz.core.processes import make_process, process_from_config
from scoreviz.core.sampler_runs import run_to_end
from scoreviz.core.samplers import ScoreFunction
from scoreviz.core.schedule.diffusers_config import SchedulerConfigError, read_scheduler_config
from scoreviz.core.schedule.discrete import (alphas_cumprod, betas_for, rescale_zero_terminal_snr,
                                             sampling_timesteps, sigmas, snr)
from scoreviz.core.schedule.gallery import GALLERY, gallery_process
from scoreviz.core.schedule.snr import diagnose, snr_report
from scoreviz import names

SD_CONFIG = {"_class_name": "PNDMScheduler", "_diffusers_version": "0.6.0", "beta_end": 0.012,
             "beta_schedule": "scaled_linear", "beta_start": 0.00085, "num_train_timesteps": 1000,
             "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None,
             "clip_sample": False}


def _product(betas) -> float:
    """∏(1 − β) in float64 as a sum of logs, by math.fsum (independent of the module's cumsum)."""
    return math.exp(math.fsum(math.log1p(-b) for b in betas))


# --- the β schedules -----------------------------------------------------------------------------------------
def test_scaled_linear_terminal_alpha_bar_and_sigma_max():
    a, b, T = math.sqrt(0.00085), math.sqrt(0.012), 1000
    closed = [(a + (b - a) * i / (T - 1)) ** 2 for i in range(T)]     # linspace(√β₀, √β₁, T)²
    alpha_T = _product(closed)
    got = alphas_cumprod(betas_for("scaled_linear", 0.00085, 0.012, T))
    assert got[-1] == pytest.approx(alpha_T, rel=1e-12)
    assert alpha_T == pytest.approx(0.0046601, rel=1e-4)               # SD's ᾱ_T: SNR 0.0047 (Lin et al. 2024)
    sigma_max = math.sqrt((1 - alpha_T) / alpha_T)
    assert sigmas(got)[-1] == pytest.approx(sigma_max, rel=1e-12) and sigma_max == pytest.approx(14.6, abs=0.05)
    assert snr(got)[-1] == pytest.approx(alpha_T / (1 - alpha_T), rel=1e-12)


def test_linear_and_cosine_follow_their_formulas():
    T = 1000
    linear = betas_for("linear", 1e-4, 0.02, T)
    assert linear[0] == 1e-4 and linear[-1] == pytest.approx(0.02) and np.allclose(np.diff(linear), 0.0199 / 999)
    assert alphas_cumprod(linear)[-1] == pytest.approx(_product([1e-4 + 0.0199 * i / 999 for i in range(T)]),
                                                       rel=1e-12)
    f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    cosine = alphas_cumprod(betas_for("squaredcos_cap_v2", 0, 0, T))
    for i in (1, 100, 500, 900, 990):                                  # ᾱ_i = f(i/T)/f(0) where β is not clipped
        assert cosine[i - 1] == pytest.approx(f(i / T) / f(0), rel=1e-9)
    assert betas_for("squaredcos_cap_v2", 0, 0, T).max() == pytest.approx(0.999)
    with pytest.raises(ValueError, match="unsupported beta_schedule 'sigmoid'"):
        betas_for("sigmoid", 1e-4, 0.02, T)


def test_zero_terminal_snr_rescaling():
    before = betas_for("scaled_linear", 0.00085, 0.012, 1000)
    after = rescale_zero_terminal_snr(before)
    bar = alphas_cumprod(after)
    assert snr(bar)[-1] == 0.0 and after[-1] == 1.0
    assert after[0] == pytest.approx(before[0], rel=1e-12)             # the first step is unchanged
    assert np.all(np.diff(bar) < 0) and np.all((after[:-1] > 0) & (after[:-1] < 1))
    a = np.sqrt(alphas_cumprod(before))                                 # a is shifted and scaled (Alg. 1)
    assert np.allclose(np.sqrt(bar), (a - a[-1]) * a[0] / (a[0] - a[-1]), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("spacing,expected,starts", [
    ("leading", [900, 800, 700, 600, 500, 400, 300, 200, 100, 0], False),
    ("linspace", [999, 888, 777, 666, 555, 444, 333, 222, 111, 0], True),
    ("trailing", [999, 899, 799, 699, 599, 499, 399, 299, 199, 99], True),
])
def test_timestep_spacing_is_lin_et_al_table_2(spacing, expected, starts):
    ts = sampling_timesteps(1000, 10, spacing)
    assert ts.timesteps.tolist() == expected and ts.starts_at_terminal is starts
    assert sampling_timesteps(1000, 10, "leading", steps_offset=1).timesteps[0] == 901


# --- the discrete process ------------------------------------------------------------------------------------
def test_discrete_process_passes_through_the_steps():
    p = gallery_process("sd")
    bar = alphas_cumprod(p.betas)
    t = torch.arange(1, 1001, dtype=torch.float64) / 1000
    assert torch.allclose(p.alpha(t) ** 2, torch.from_numpy(bar), rtol=1e-10)
    assert p.variance_preserving and p.t_min == 1e-3 and p.t_max == 1.0
    assert p.noise_range()[1] == pytest.approx(14.61, abs=0.01)


def test_rescaled_process_ends_one_step_early_and_starts_from_n01():
    p = DiscreteVP("scaled_linear", 0.00085, 0.012, 1000, rescale_zero_snr=True, timestep_spacing="trailing")
    assert p.t_max == pytest.approx(0.999) and p.prior_std() == 1.0
    assert 1e3 < p.noise_range()[1] < 1e4 and math.isfinite(float(p.beta(p.t_max)))
    times = p.sampling_times(10)
    assert times.shape == (11,) and float(times[0]) == pytest.approx(p.t_max) and float(times[-1]) == pytest.approx(p.t_min)
    assert process_from_config(p.config()) == p
    trained = DiscreteVP("trained", trained_betas=tuple(np.linspace(1e-4, 0.02, 50).tolist()))
    assert process_from_config(json.loads(json.dumps(trained.config()))) == trained and trained.steps == 50


@pytest.mark.parametrize("sampler,options", [("annealed", dict(steps_per_level=100)),
                                             ("em", dict(steps=400)), ("ode", dict(steps=60)),
                                             ("ddpm", dict(steps=400))])
@pytest.mark.parametrize("rescale", [False, True])
def test_samplers_on_the_discrete_process_get_the_gaussian_moments(sampler, options, rescale):
    """Exact score of N(m, v): the VE score at σ̃ is −(y − m)/(v + σ̃²)."""
    m, v = torch.tensor([1.0, -0.5]), torch.tensor([0.5, 2.0])
    p = make_process("discrete", beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
                     rescale_zero_snr=rescale)
    score = ScoreFunction(lambda y, s: -(y - m) / (v + s**2), p)
    gen = torch.Generator().manual_seed(0)
    x = run_to_end(sampler, score, p.prior_sample((4000, 2), gen), generator=gen, **options)
    assert torch.allclose(x.mean(0), m, atol=0.1) and torch.allclose(x.var(0), v, rtol=0.12)


# --- the diffusers reader ------------------------------------------------------------------------------------
def test_reader_on_a_stable_diffusion_config(tmp_path):
    path = tmp_path / "scheduler_config.json"
    path.write_text(json.dumps(SD_CONFIG))
    config = read_scheduler_config(path)
    assert config.kind == "discrete" and config.steps_offset == 1 and config.prediction_type == "epsilon"
    assert config.ignored == ("clip_sample", "set_alpha_to_one", "skip_prk_steps")
    assert config.process().betas.tolist() == gallery_process("sd").betas.tolist()
    assert config.process(rescale_zero_snr=True).rescale_zero_snr


def test_reader_on_edm_and_trained_betas(tmp_path):
    path = tmp_path / "edm.json"
    path.write_text(json.dumps({"sigma_min": 0.002, "sigma_max": 80.0, "rho": 7.0, "sigma_data": 0.5}))
    config = read_scheduler_config(path)
    assert config.kind == "edm" and config.ignored == ("sigma_data",)
    assert config.process().noise_range() == (0.002, 80.0)
    path.write_text(json.dumps({"trained_betas": [1e-3] * 20, "prediction_type": "v_prediction"}))
    p = read_scheduler_config(path).process()
    assert p.steps == 20 and alphas_cumprod(p.betas)[-1] == pytest.approx(0.999**20)


@pytest.mark.parametrize("text,message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "a scheduler config is a JSON object"),
    (json.dumps({"beta_schedule": "sigmoid"}), "unsupported beta_schedule 'sigmoid'"),
    (json.dumps({"beta_start": "small"}), "beta_start must be a number"),
    (json.dumps({"num_train_timesteps": 10.5}), "num_train_timesteps must be an integer"),
    (json.dumps({"timestep_spacing": "sideways"}), "timestep_spacing must be one of leading"),
    (json.dumps({"beta_start": 0.5, "beta_end": 0.1}), "beta_start ≤ beta_end"),
])
def test_reader_refuses_broken_files(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(SchedulerConfigError, match=message) as info:
        read_scheduler_config(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_alphas_cumprod_match_diffusers_where_installed():
    diffusers = pytest.importorskip("diffusers")
    for kwargs in (dict(beta_schedule="linear"), dict(beta_schedule="scaled_linear", beta_start=0.00085,
                                                      beta_end=0.012), dict(beta_schedule="squaredcos_cap_v2")):
        theirs = diffusers.DDPMScheduler(**kwargs).alphas_cumprod.double().numpy()
        ours = DiscreteVP(**{"beta_start": 1e-4, "beta_end": 0.02, **kwargs})
        assert np.allclose(alphas_cumprod(ours.betas), theirs, rtol=1e-5)


# --- the report and the gallery ------------------------------------------------------------------------------
def test_gallery_names_and_reports():
    assert list(GALLERY) == list(names.SCHEDULE_PRESETS)
    assert all(entry.source for entry in GALLERY.values())
    sd = snr_report(gallery_process("sd"))
    assert sd.terminal_snr == pytest.approx(0.0046601 / (1 - 0.0046601), rel=1e-4)
    assert sd.sigma_max_equivalent == pytest.approx(14.6, abs=0.05) and any("not zero" in w for w in sd.warnings)
    flow = snr_report(gallery_process("rectified-flow"))
    assert flow.terminal_snr == 0 and not any("terminal" in w for w in flow.warnings)
    d = diagnose(gallery_process("sd"), rescale_zero_snr=True, timestep_spacing="trailing")
    after = d.fixed_report.to_dict()
    assert after["terminal_snr"] == 0 and after["terminal_log_snr"] is None and after["sigma_max_equivalent"] is None
    assert after["warnings"] == [] and after["sampling"]["starts_at_terminal"]
    assert d.fixed_curves.weights.keys() == d.curves.weights.keys() == {"epsilon", "v", "x", "edm", "flow"}
    for w in d.curves.weights.values():   # each weighting integrates to 1 over λ
        assert abs(np.trapezoid(w, d.curves.log_snr)) == pytest.approx(1.0)


# --- the command line ----------------------------------------------------------------------------------------
def test_cli_preset_json_has_the_keys(capsys):
    assert main(["schedule", "--preset", "sd", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("terminal_snr", "terminal_log_snr", "sigma_max_equivalent", "sigma_min_equivalent", "warnings",
                "level_ratio", "step_size", "n_levels", "dim", "prior_w2", "sigma_max"):
        assert key in out
    assert out["sigma_max_equivalent"] == pytest.approx(14.61, abs=0.01) and out["dim"] == 16384
    assert main(["schedule", "--preset", "sd", "--rescale-zero-snr", "--timestep-spacing", "trailing", "--json"]) == 0
    fixed = json.loads(capsys.readouterr().out)
    assert fixed["terminal_snr"] == 0 and fixed["before"]["terminal_snr"] == pytest.approx(0.0047, abs=1e-4)
    assert fixed["prediction_type"] == "v_prediction"


def test_cli_from_lists_ignored_keys(tmp_path, capsys):
    path = tmp_path / "scheduler_config.json"
    path.write_text(json.dumps(SD_CONFIG))
    assert main(["schedule", "--from", str(path)]) == 0
    text = capsys.readouterr().out
    assert "ignored keys" in text and "clip_sample" in text and "warning: the terminal SNR is 0.00468" in text


@pytest.mark.parametrize("argv,message", [
    (["--from", "{bad}"], "not valid JSON"),
    (["--from", "{missing}"], "cannot read the scheduler config"),
    (["--preset", "edm", "--rescale-zero-snr"], "apply to discrete β schedules"),
    (["--preset", "sd", "--process", "vp"], "do not apply with --preset"),
    ([], "give --data or --dim"),
])
def test_cli_errors_are_one_line_and_status_2(tmp_path, capsys, argv, message):
    bad = tmp_path / "bad.json"
    bad.write_text('{"beta_schedule": ')
    argv = [a.format(bad=bad, missing=tmp_path / "nope.json") for a in argv]
    assert main(["schedule", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
