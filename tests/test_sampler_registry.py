"""The sampler registry: its NFE accounting against counted score evaluations, its checks, and the migration of
run lengths saved before they were NFE (session files, lessons)."""
import inspect
import subprocess
import sys

import pytest
import torch

from scoreviz.core.mixture import GaussianMixture
from scoreviz.core.processes import make_process
from scoreviz.core.sampler_registry import REQUIRED, SAMPLERS, sampler_entry
from scoreviz.core.sampler_runs import planned_nfe, run_sampler, sampler_options
from scoreviz.core.samplers import GENERATORS, ScoreFunction
from scoreviz.lab.lesson import LessonError, parse_lesson
from scoreviz.lab.run_lengths import ANNEALED_LEVELS, legacy_window_nfe

GAUSS = GaussianMixture.isotropic([1.0], [[1.0, -0.5]], 0.5)
DATA = GAUSS.sample(500, torch.Generator().manual_seed(1))


class CountingScore(ScoreFunction):
    """The exact score, counting network evaluations: every query (score, denoised estimate, score at a level)
    goes through at_level once, whatever the batch."""

    def __init__(self, process):
        super().__init__(lambda y, sigma: GAUSS.score(y.double(), sigma).float(), process)
        self.calls = 0

    def at_level(self, y, noise_level):
        self.calls += 1
        return super().at_level(y, noise_level)


#: every sampler, with option variants that change its evaluations per step or its final step
VARIANTS = [("langevin", {"noise_level": 0.3}), ("annealed", {"n_levels": 4}), ("annealed", {"n_levels": 7}),
            ("annealed", {"n_levels": 4, "final_denoise": False}), ("em", {}), ("em", {"final_denoise": False}),
            ("pc", {}), ("pc", {"n_corrector": 2}), ("ode", {}), ("ode", {"method": "rk4"}), ("ddpm", {}),
            # the solvers in σ̃: n steps over the levels, then the step to σ̃ = 0 (one evaluation)
            ("heun", {}), ("heun", {"final_denoise": False}), ("heun", {"s_churn": 10.0, "discretisation": "log_sigma"}),
            ("dpmpp2m", {}), ("dpmpp2m", {"final_denoise": False, "discretisation": "uniform_t"}),
            ("dpmpp_sde", {}), ("dpmpp_sde", {"solver_type": "heun", "eta": 0.5}), ("ddim", {}),
            ("ddim", {"eta": 1.0, "final_denoise": False}), ("euler", {}), ("euler", {"discretisation": "levels"}),
            ("euler_a", {}), ("euler_a", {"final_denoise": False})]


@pytest.mark.parametrize("name, extra", VARIANTS)
@pytest.mark.parametrize("budget", [9, 23, 60, 101])
def test_a_run_spends_the_nfe_the_registry_plans_and_no_more_than_its_budget(name, extra, budget):
    process = make_process("vp", DATA)       # every sampler runs on VP (DDPM and DDIM need it)
    if extra.get("discretisation") == "levels":
        process = make_process("ncsn", DATA, n_levels=120)   # NCSN's ladder, long enough for 100 steps
    score = CountingScore(process)
    options = sampler_options(name, process, budget, generator=torch.Generator().manual_seed(0), **extra)
    for _ in run_sampler(name, score, process.prior_sample((8, 2)), **options):
        pass
    assert score.calls == planned_nfe(name, options)
    assert score.calls <= budget
    # and it is the longest such run: one step more would pass the budget
    entry = sampler_entry(name)
    longer = {**options, entry.length.length_option: options[entry.length.length_option] + 1}
    assert planned_nfe(name, longer) > budget


def test_the_nfe_rules_of_each_sampler():
    """The rule of each entry, written out: L levels, e evaluations a step, 1 for the final denoising."""
    process = make_process("vp", DATA)
    expect = {("langevin", 40): ("steps", 40), ("em", 40): ("steps", 39), ("ddpm", 40): ("steps", 39),
              ("pc", 41): ("steps", 20), ("ode", 41): ("steps", 20), ("annealed", 41): ("steps_per_level", 4)}
    for (name, nfe), (option, steps) in expect.items():
        options = sampler_options(name, process, nfe, **({"n_levels": 10} if name == "annealed" else {}))
        assert options[option] == steps and planned_nfe(name, options) == nfe
    assert sampler_options("ode", process, 41, method="rk4")["steps"] == 10
    # the solvers in σ̃: EDM's Heun spends 2n + 1 (2N − 1 with N = n + 1 levels including σ = 0), the others n + 1
    for name, steps in (("heun", 20), ("dpmpp2m", 40), ("dpmpp_sde", 40), ("ddim", 40), ("euler", 40),
                        ("euler_a", 40)):
        options = sampler_options(name, process, 41)
        assert options["steps"] == steps and planned_nfe(name, options) == 41, name
    assert sampler_options("heun", process, 41, final_denoise=False)["steps"] == 20   # 2·20 ≤ 41
    assert sampler_options("pc", process, 41, n_corrector=3)["steps"] == 10
    # a budget below the shortest run still runs one step (and says what it spends)
    options = sampler_options("annealed", process, 3, n_levels=10)
    assert options["steps_per_level"] == 1 and planned_nfe("annealed", options) == 11


def test_unknown_sampler_and_unsupported_process_are_value_errors_naming_them():
    ve = make_process("ve", DATA)
    with pytest.raises(ValueError, match="unknown sampler 'leapfrog'"):
        sampler_entry("leapfrog")
    with pytest.raises(ValueError, match="unknown sampler 'leapfrog'"):
        run_sampler("leapfrog", CountingScore(ve), torch.zeros(2, 2))
    for process in (ve, make_process("subvp", DATA)):
        score = CountingScore(process)
        with pytest.raises(ValueError, match=rf"DDPM ancestral sampling needs a variance-preserving .* {process.name}"):
            run_sampler("ddpm", score, torch.zeros(2, 2), steps=3)
        assert score.calls == 0                  # refused when the run is created, before any evaluation
    with pytest.raises(ValueError, match="'ode'.*unknown method 'euler'"):
        run_sampler("ode", CountingScore(ve), torch.zeros(2, 2), method="euler")


def test_the_registry_describes_each_generators_options():
    """Each entry's options are its generator's keyword options (besides process and generator), defaults too."""
    assert list(GENERATORS) == list(SAMPLERS)
    for name, entry in SAMPLERS.items():
        params = {p.name: p.default for p in inspect.signature(GENERATORS[name]).parameters.values()
                  if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in ("process", "generator")}
        described = {o.name: (inspect.Parameter.empty if o.default is REQUIRED else o.default) for o in entry.options}
        assert described == params, name
        assert entry.length.length_option in described and entry.label and entry.caption and entry.method


def test_the_registry_and_the_cli_parser_import_no_torch():
    code = ("import sys, scoreviz.core.sampler_registry, scoreviz.cli\n"
            "scoreviz.cli.build_parser()\n"
            "assert 'torch' not in sys.modules and 'numpy' not in sys.modules, 'imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name, steps", [("annealed", 500), ("annealed", 37), ("em", 500), ("pc", 300),
                                         ("ode", 200), ("ddpm", 5), ("langevin", 500)])
def test_an_old_window_length_becomes_the_nfe_of_the_same_run(name, steps):
    """The run an old length gave (own steps; annealed: steps // 10 a level) is the run its NFE gives now."""
    process = make_process("vp", DATA)
    levels = {"n_levels": ANNEALED_LEVELS} if name == "annealed" else {}
    extra = {"noise_level": 0.3} if name == "langevin" else {}
    old = max(1, steps // ANNEALED_LEVELS) if name == "annealed" else steps
    options = sampler_options(name, process, legacy_window_nfe(name, steps), **levels, **extra)
    assert options[sampler_entry(name).length.length_option] == old


def test_an_old_session_file_is_migrated_to_nfe(tmp_path):
    """A version-1 session (built here as that version wrote it) opens with its length converted to NFE."""
    from scoreviz.core.schedule.training_noise import TrainingNoise
    from scoreviz.lab import frames as fr
    from scoreviz.lab import session_file

    spec = fr.DataSpec(version=0, name="pts", train=DATA.numpy()[:50], heldout=DATA.numpy()[:50])
    path = tmp_path / "old.scoreviz"
    choices = {"sample.sampler": "annealed", "sample.steps": 500, "sample.n": 300}
    session_file.write_session(path, spec=spec, trainer=None, choices=choices, view=(-1, 1, -1, 1), sigma=0.5,
                               overrides={}, noise=TrainingNoise())
    new = session_file.read_session(path)
    assert new.choices == choices                            # a current file: stored as NFE, read as it is
    payload = torch.load(path, weights_only=True)
    payload["session"]["version"] = 1                        # as version 1 wrote it: the panel's old steps
    torch.save(payload, path)
    old = session_file.read_session(path)
    assert old.choices["sample.steps"] == 10 * 50 + 1 and old.choices["sample.n"] == 300
    assert session_file.VERSION == 2
    payload["session"]["version"] = 3
    torch.save(payload, path)
    with pytest.raises(session_file.SessionError, match="version 3 is not supported"):
        session_file.read_session(path)


def test_an_old_lesson_length_is_migrated_to_nfe():
    scene = '[[scene]]\ntitle = "t"\nsampler = "{}"\n{} = {}\n'
    assert parse_lesson(scene.format("annealed", "steps", 1000)).scenes[0].nfe == 10 * 100 + 1
    assert parse_lesson(scene.format("pc", "steps", 300)).scenes[0].nfe == 300 * 2 + 1
    assert parse_lesson(scene.format("langevin", "steps", 500)).scenes[0].nfe == 500
    assert parse_lesson(scene.format("pc", "nfe", 300)).scenes[0].nfe == 300
    with pytest.raises(LessonError, match="not both"):
        parse_lesson(scene.format("em", "nfe", 30) + "steps = 20\n")
    with pytest.raises(LessonError, match="nfe must be a whole number"):
        parse_lesson(scene.format("em", "nfe", 0))
