"""The solvers in σ̃ (heun, dpmpp2m, dpmpp_sde, ddim, euler, euler_a) against exact answers.

For Gaussian data N(μ, s²I) the VE-equivalent score is −(y − μ)/(s² + σ²) and the probability-flow ODE has the
closed-form solution y(σ) = μ + (y(σ₀) − μ)·√((s² + σ²)/(s² + σ₀²)): the order of each ODE solver is measured
on it (the error at σ_min as n doubles), and the samples of every sampler are compared with the Gaussian's mean
and variance with tolerances of four standard errors. NCSN's 0.8/0.2 mixture checks the mode weights.
"""
import math

import pytest
import torch

from scoreviz.core.data import make_preset
from scoreviz.core.mixture import GaussianMixture
from scoreviz.core.processes import CosineVPSDE, SubVPSDE, VESDE, VPSDE, edm_sigmas, make_process
from scoreviz.core.sampler_registry import DISCRETISATIONS
from scoreviz.core.sampler_runs import planned_nfe, run_sampler, run_to_end, sampler_options
from scoreviz.core.samplers import ScoreFunction
from scoreviz.core.samplers_ode import churn
from scoreviz.core.sigma_steps import DISCRETISE, sigma_steps
from scoreviz.core.ve_frame import VEFrame

MU, S = torch.tensor([1.0, -0.5], dtype=torch.float64), 0.5
GAUSS = GaussianMixture.isotropic([1.0], [MU.tolist()], S)
GAUSS_DATA = GAUSS.sample(2000, torch.Generator().manual_seed(1))
PROCESSES = {"ve": VESDE(sigma_min=0.01, sigma_max=20.0), "vp": VPSDE(), "cosine": CosineVPSDE(),
             "subvp": SubVPSDE()}


def gaussian_score(y, sigma):
    """The exact VE-equivalent score of N(μ, s²I) noised at σ: −(y − μ)/(s² + σ²)."""
    return -(y - MU.to(y.dtype)) / (S**2 + sigma**2)


def ode_solution(y0, sigma0: float, sigma: float):
    """y(σ) of the probability-flow ODE from y(σ₀) = y0, for the Gaussian."""
    return MU + (y0 - MU) * math.sqrt((S**2 + sigma**2) / (S**2 + sigma0**2))


def endpoint_error(name: str, process, steps: int, discretisation: str = "edm", **options) -> float:
    """max |y_n − y(σ_min)| over 200 particles (float64), the run stopped at σ_min (no step to σ = 0)."""
    score = ScoreFunction(gaussian_score, process)
    x = process.prior_sample((200, 2), torch.Generator().manual_seed(0)).double()
    sigmas = sigma_steps(process, steps, discretisation, to_zero=False)
    out = run_to_end(name, score, x, steps=steps, discretisation=discretisation, final_denoise=False, **options)
    frame = VEFrame(score, process)
    exact = ode_solution(frame.to_y(x, sigmas[0]), sigmas[0], sigmas[-1])
    return float((frame.to_y(out, sigmas[-1]) - exact).abs().max())


# --- the σ̃ levels ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("process_name", ["ve", "ncsn", "vp", "subvp", "cosine"])
@pytest.mark.parametrize("discretisation", DISCRETISATIONS)
def test_every_discretisation_walks_the_process_range_down_to_zero(process_name, discretisation):
    process = make_process(process_name, GAUSS_DATA)
    lo, hi = process.noise_range()
    sigmas = sigma_steps(process, 12, discretisation)
    assert len(sigmas) == 14 and sigmas[-1] == 0.0
    assert sigmas[0] == pytest.approx(hi, rel=1e-6) and sigmas[-2] == pytest.approx(lo, rel=1e-6)
    assert all(a > b for a, b in zip(sigmas, sigmas[1:]))
    assert len(sigma_steps(process, 12, discretisation, to_zero=False)) == 13


def test_the_discretisations_are_the_papers():
    assert tuple(DISCRETISE) == DISCRETISATIONS
    ve = PROCESSES["ve"]
    # EDM eq. 5 with ρ = 7, and ρ given
    assert sigma_steps(ve, 10, "edm", to_zero=False) == pytest.approx(edm_sigmas(0.01, 20.0, 10, 7).tolist())
    assert sigma_steps(ve, 10, "edm", rho=3.0, to_zero=False) == pytest.approx(edm_sigmas(0.01, 20.0, 10, 3).tolist())
    logs = torch.tensor(sigma_steps(ve, 10, "log_sigma", to_zero=False)).log()
    assert torch.diff(logs).tolist() == pytest.approx([math.log(0.01 / 20) / 10] * 10)
    vp = PROCESSES["vp"]
    times = [float(vp.time_of(s)) for s in sigma_steps(vp, 8, "uniform_t", to_zero=False)]
    assert torch.diff(torch.tensor(times)).tolist() == pytest.approx([-(1 - 1e-3) / 8] * 8, abs=1e-6)
    # NCSN's own ladder: all L levels for L − 1 steps, a subset (first and last kept) for fewer
    ncsn = make_process("ncsn", GAUSS_DATA)
    ladder = ncsn.levels().tolist()
    assert sigma_steps(ncsn, len(ladder) - 1, "levels", to_zero=False) == pytest.approx(ladder)
    few = sigma_steps(ncsn, 4, "levels", to_zero=False)
    assert few[0] == pytest.approx(ladder[0]) and few[-1] == pytest.approx(ladder[-1])
    assert all(any(abs(s - level) < 1e-9 for level in ladder) for s in few)


# --- order of convergence on the exact ODE ----------------------------------------------------------------------

@pytest.mark.parametrize("process_name, discretisation", [("ve", "edm"), ("vp", "edm"), ("cosine", "log_sigma")])
@pytest.mark.parametrize("name, low, high", [("heun", 3.0, 5.0), ("dpmpp2m", 3.0, 5.0), ("euler", 1.7, 2.3)])
def test_the_endpoint_error_falls_with_the_order_of_the_solver(process_name, discretisation, name, low, high):
    """Doubling n divides the error at σ_min by ≈ 4 for Heun and DPM-Solver++(2M) and by ≈ 2 for Euler
    (measured on VE/edm: Heun 4.19, 4.09; DPM-Solver++(2M) 4.30, 4.19; Euler 1.94, 1.97 at n 16 → 32 → 64)."""
    errors = [endpoint_error(name, PROCESSES[process_name], n, discretisation) for n in (16, 32, 64)]
    ratios = [a / b for a, b in zip(errors, errors[1:])]
    assert all(low <= r <= high for r in ratios), (errors, ratios)


def test_heun_is_exact_where_the_denoiser_is_constant():
    """For data at one point (s → 0) D(y; σ) = μ everywhere and every step of every solver lands on the ODE."""
    process = PROCESSES["ve"]
    score = ScoreFunction(lambda y, sigma: -(y - MU.to(y.dtype)) / sigma**2, process)
    x = process.prior_sample((50, 2), torch.Generator().manual_seed(0)).double()
    for name in ("heun", "dpmpp2m", "euler"):
        out = run_to_end(name, score, x, steps=5, final_denoise=False)
        expected = MU + (x - MU) * 0.01 / 20.0                                  # y(σ) = μ + (y₀ − μ)σ/σ₀
        assert torch.allclose(out, expected, atol=1e-10), name


@pytest.mark.parametrize("process_name", ["vp", "subvp", "cosine"])
def test_ddim_with_eta_zero_is_eulers_ode_step_and_reaches_the_odes_end(process_name):
    process = PROCESSES[process_name]
    score = ScoreFunction(gaussian_score, process)
    x = process.prior_sample((300, 2), torch.Generator().manual_seed(0)).double()
    for steps in (7, 30):
        ddim = run_to_end("ddim", score, x, steps=steps, eta=0.0)
        euler = run_to_end("euler", score, x, steps=steps)
        assert torch.allclose(ddim, euler, atol=1e-9, rtol=1e-9)
    # with the step to σ = 0: the end of the ODE, y(0) = μ + (y(σ_max) − μ)·s/√(s² + σ_max²), as NFE grows
    hi = process.noise_range()[1]
    exact = ode_solution(VEFrame(score, process).to_y(x, hi), hi, 0.0)
    errors = [float((run_to_end("ddim", score, x, **sampler_options("ddim", process, nfe)) - exact).abs().max())
              for nfe in (20, 80, 320)]
    ratios = [a / b for a, b in zip(errors, errors[1:])]
    assert all(3 < r < 5 for r in ratios) and errors[-1] < 0.05, errors     # first order: ÷4 for 4× the NFE


def test_dpmpp_sde_with_eta_zero_is_dpmpp2m():
    """DPM-Solver++(2M) SDE without noise (η = 0, midpoint correction) is DPM-Solver++(2M) step for step."""
    process = PROCESSES["vp"]
    score = ScoreFunction(gaussian_score, process)
    x = process.prior_sample((100, 2), torch.Generator().manual_seed(0)).double()
    ode = [s.x for s in run_sampler("dpmpp2m", score, x, steps=12)]
    sde = [s.x for s in run_sampler("dpmpp_sde", score, x, steps=12, eta=0.0)]
    assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(ode, sde)) and len(ode) == len(sde) == 13


# --- samples against the Gaussian's moments and NCSN's weights ---------------------------------------------------

#: (process, sampler, options, NFE): every sampler, deterministic and stochastic, at a length where its bias is
#: about a standard error of 20,000 samples or less. The ancestral steps (euler_a, DDIM η = 1) are first order in
#: distribution: their variance falls short by about 3 % at NFE 500 and 1 % at 2,000 on cosine (σ̃ up to 320,
#: measured with 100,000 samples), halving as NFE doubles; the second-order ones are there by 100.
MOMENT_CASES = [
    ("ve", "heun", {}, 101), ("vp", "heun", {}, 101), ("ve", "dpmpp2m", {}, 100), ("vp", "dpmpp2m", {}, 100),
    ("ve", "heun", {"s_churn": 10.0}, 201), ("vp", "heun", {"s_churn": 10.0}, 201),
    ("ve", "dpmpp_sde", {}, 100), ("vp", "dpmpp_sde", {}, 100), ("subvp", "dpmpp_sde", {}, 100),
    ("ve", "euler_a", {}, 1000), ("vp", "euler_a", {}, 1000), ("vp", "ddim", {"eta": 1.0}, 1000),
    ("cosine", "ddim", {"eta": 1.0}, 2000), ("subvp", "ddim", {"eta": 0.0}, 500), ("ncsn", "euler", {}, 200),
]


@pytest.mark.parametrize("process_name, name, extra, nfe", MOMENT_CASES)
def test_samples_have_the_gaussians_mean_and_variance(process_name, name, extra, nfe):
    n = 20_000
    process = make_process(process_name, GAUSS_DATA)
    gen = torch.Generator().manual_seed(0)
    options = sampler_options(name, process, nfe, generator=gen, **extra)
    x = run_to_end(name, ScoreFunction(lambda y, s: GAUSS.score(y, s), process), process.prior_sample((n, 2), gen),
                   **options).double()
    mean_se, var_se = S / math.sqrt(n), S**2 * math.sqrt(2 / (n - 1))
    assert (x.mean(0) - MU).abs().max() < 4 * mean_se, x.mean(0)
    assert (x.var(0) - S**2).abs().max() < 4 * var_se, x.var(0)


@pytest.mark.parametrize("process_name", ["ve", "vp"])
@pytest.mark.parametrize("name", ["heun", "dpmpp2m", "dpmpp_sde"])
@pytest.mark.parametrize("nfe", [20, 100])
def test_ncsn_mixture_keeps_its_weights(process_name, name, nfe):
    """NCSN's 0.8·N((5, 5), I) + 0.2·N((−5, −5), I) with the exact score: 0.80 ± 0.03 in the heavy mode."""
    ds = make_preset("ncsn")
    process = make_process(process_name, ds.train)
    gen = torch.Generator().manual_seed(0)
    options = sampler_options(name, process, nfe, generator=gen)
    assert planned_nfe(name, options) <= nfe
    x = run_to_end(name, ScoreFunction(lambda y, s: ds.mixture.score(y, s), process),
                   process.prior_sample((5000, 2), gen), **options)
    assert float((x[:, 0] > 0).float().mean()) == pytest.approx(0.8, abs=0.03)


# --- runs: what they yield, what they refuse ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["heun", "dpmpp2m", "dpmpp_sde", "ddim", "euler", "euler_a"])
def test_every_step_is_a_window_frame_in_the_process_coordinates(name):
    process = make_process("vp", GAUSS_DATA)
    score = ScoreFunction(lambda y, s: GAUSS.score(y, s), process)
    x = process.prior_sample((500, 2), torch.Generator().manual_seed(0))
    steps = list(run_sampler(name, score, x, steps=6, generator=torch.Generator().manual_seed(1)))
    assert [s.index for s in steps] == list(range(1, 8)) and all(s.total == 7 for s in steps)
    levels = [s.noise_level for s in steps]
    assert all(a > b for a, b in zip(levels, levels[1:])) and levels[-1] == 0.0
    assert steps[-1].t == process.t_min and all(process.t_min <= s.t <= process.t_max for s in steps)
    # x = α·y: a VP run stays at unit scale (y = x/α is ~150 wide at the start), and ends on the data
    assert float(steps[0].x.std()) < 3 and all(s.denoised is not None for s in steps)
    assert steps[-1].x.mean(0).tolist() == pytest.approx(MU.tolist(), abs=0.15)


def test_edm_churn_follows_algorithm_2():
    assert churn(0.0, 0.0, math.inf, 3.0, 10) == 0.0
    assert churn(1.0, 0.0, math.inf, 3.0, 10) == pytest.approx(0.1)
    assert churn(80.0, 0.0, math.inf, 3.0, 10) == pytest.approx(math.sqrt(2) - 1)     # capped
    assert churn(40.0, 0.05, 1.0, 3.0, 10) == 0.0                                      # outside [S_tmin, S_tmax]
    # no churn: Alg. 2 is Alg. 1, the same samples whatever the generator
    process = PROCESSES["ve"]
    score = ScoreFunction(gaussian_score, process)
    x = process.prior_sample((10, 2), torch.Generator().manual_seed(0)).double()
    a = run_to_end("heun", score, x, steps=5, generator=torch.Generator().manual_seed(1))
    b = run_to_end("heun", score, x, steps=5, s_churn=40.0, s_tmin=100.0, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b)


def test_unsupported_combinations_are_value_errors_when_the_run_is_created():
    calls = []
    counting = ScoreFunction(lambda y, s: calls.append(s) or GAUSS.score(y, s), PROCESSES["ve"])
    for process_name in ("ve", "ncsn"):
        process = make_process(process_name, GAUSS_DATA)
        with pytest.raises(ValueError, match=rf"DDIM needs .*VP.* not {process_name}$"):
            run_sampler("ddim", counting, torch.zeros(2, 2), process=process)
    ncsn = make_process("ncsn", GAUSS_DATA)
    with pytest.raises(ValueError, match=r"'heun'.*levels discretisation has \d+ levels .*ncsn"):
        run_sampler("heun", counting, torch.zeros(2, 2), process=ncsn, steps=100, discretisation="levels")
    with pytest.raises(ValueError, match=r"'heun'.*levels"):
        sampler_options("heun", ncsn, 500, discretisation="levels")
    with pytest.raises(ValueError, match=r"'ddim': eta must be a number in \[0, 1\]"):
        run_sampler("ddim", counting, torch.zeros(2, 2), process=PROCESSES["vp"], eta=1.5)
    with pytest.raises(ValueError, match=r"'euler': rho must be a number in \(0, ∞\)"):
        run_sampler("euler", counting, torch.zeros(2, 2), rho=0)
    with pytest.raises(ValueError, match="unknown discretisation 'karras'"):
        run_sampler("euler_a", counting, torch.zeros(2, 2), discretisation="karras")
    with pytest.raises(ValueError, match="unknown solver_type"):
        run_sampler("dpmpp_sde", counting, torch.zeros(2, 2), solver_type="rk4")
    with pytest.raises(ValueError, match="s_churn"):
        run_sampler("heun", counting, torch.zeros(2, 2), s_churn=-1.0)
    assert calls == []


def test_quality_against_nfe_with_the_exact_score():
    """core.nfe_sweep: a row per sampler and budget from one prior draw; NCSN's weights at ≤ 100 NFE."""
    from scoreviz.core.guidance import exact_score
    from scoreviz.core.nfe_sweep import check_sweep, quality_vs_nfe, sweep_table

    ds = make_preset("ncsn")
    process = make_process("ve", ds.train)
    rows = quality_vs_nfe(exact_score(ds), process, ds, ["heun", "dpmpp_sde"], [20, 100], n=2000, seed=3)
    assert [(r.sampler, r.nfe_requested, r.nfe_used) for r in rows] == [
        ("heun", 20, 19), ("heun", 100, 99), ("dpmpp_sde", 20, 20), ("dpmpp_sde", 100, 100)]
    assert all(r.weight_error < 0.03 and r.sw_floor > 0 for r in rows)
    assert "dpmpp_sde" in sweep_table(rows) and "true weights 0.800, 0.200" in sweep_table(rows)
    with pytest.raises(ValueError, match="DDIM needs .* not ve"):
        quality_vs_nfe(exact_score(ds), process, ds, ["heun", "ddim"], [20])
    with pytest.raises(ValueError, match="positive integers"):
        check_sweep(process, ["heun"], [20, 0])
