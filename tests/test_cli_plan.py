"""The command line's seams: the option table (cli_options) builds the parsers with the defaults users have
always had, and `scoreviz train`'s arguments become one typed TrainPlan (commands.plan) before anything runs."""
from __future__ import annotations

import argparse
import dataclasses

import pytest

from scoreviz import cli, cli_options
from scoreviz.core.sampler_registry import SAMPLERS
from scoreviz.commands.errors import UserError
from scoreviz.commands.plan import TrainPlan, plan_from_args


def _parse(*argv: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(list(argv))


def _plan(*argv: str) -> TrainPlan:
    return plan_from_args(_parse("train", *argv))


# --- the option table ------------------------------------------------------------------------------------------

#: Each command's parsed defaults (the user-visible contract; `--nfe` came with the sampler registry, and render's
#: length moved from --steps 500 to --nfe, whose default the command applies).
DEFAULTS = {
    "train": (["--out", "x"], dict(data=None, out="x", steps=None, minutes=None, process="ve", loss="dsm",
                                   sigma_min=None, sigma_max=None, levels=None, beta_min=None, beta_max=None,
                                   t_min=None, rho=None, noise_dist=None, p_mean=None, p_std=None, weighting=None,
                                   min_snr_gamma=None, logit_mean=None, logit_std=None, schedule_preset=None,
                                   schedule_from=None, rescale_zero_snr=False, timestep_spacing=None, model=None,
                                   batch=None, lr=None, device="auto", seed=0,
                                   conditional=None, quiet=False, resume=None, tensorboard=None)),
    "sample": (["--checkpoint", "c", "--out", "o.npy"], dict(checkpoint="c", n=1000, out="o.npy", sampler=None,
                                                              nfe=None, steps=None, seed=0, device="auto", png=None,
                                                              class_label=None, unconditional=False, guidance=None,
                                                              autoguidance=None)),
    "eval": (["--checkpoint", "c"], dict(checkpoint="c", n=4000, sampler=None, nfe=None, steps=None, nfe_sweep=None,
                                         seed=0, device="auto", json=False)),
    "bench": ([], dict(json=False, quick=False, only=None, out=None)),
    # --process has no parsed default since --preset / --from came (it may not be given with them; ve otherwise)
    "schedule": (["--dim", "3"], dict(data=None, dim=3, preset=None, from_config=None, process=None,
                                      rescale_zero_snr=False, timestep_spacing=None, sampling_steps=50,
                                      prediction_type=None, sigma_min=None, sigma_max=None, levels=None,
                                      beta_min=None, beta_max=None, t_min=None, rho=None, steps_each=100,
                                      noise_dist=None, p_mean=None, p_std=None, weighting=None, min_snr_gamma=None,
                                      logit_mean=None, logit_std=None, json=False, png=None)),
    "render": (["--data", "moons", "--out", "c.mp4"], dict(checkpoint=None, data="moons", score=None,
                                                           sampler="annealed", n=2000, nfe=None, steps=None, out="c.mp4",
                                                           fps=30,
                                                           size=None, seconds=None, seed=0, sigma=None, field=None,
                                                           grid=None, process="ve", theme="dark", presentation=False,
                                                           no_caption=False, no_trails=False, trajectories=False,
                                                           device="auto")),
    "download": (["mnist"], dict(dataset="mnist", dir=None, mirror=None, timeout=30.0, quiet=False)),
    "info": ([], dict(json=False)),
    "install-desktop": ([], dict(uninstall=False)),
    "presets": ([], {}),
}


@pytest.mark.parametrize("command", sorted(DEFAULTS))
def test_the_table_gives_every_command_its_old_defaults(command):
    argv, expected = DEFAULTS[command]
    parsed = vars(_parse(command, *argv))
    assert parsed == {"command": command, "verbose": 0, "debug": False, **expected}


def test_each_argument_of_each_parser_is_its_table_entry():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    table = cli_options.command_table()
    assert list(sub.choices) == list(table)
    for name, command in table.items():
        actions = {tuple(a.option_strings) or (a.dest,): a for a in sub.choices[name]._actions}
        for opt in command.options():
            action = actions[opt.flags]
            assert (action.dest, action.help, action.default) == (opt.name, opt.help, opt.default), (name, opt)


def test_sampler_choices_come_from_one_place():
    assert cli_options.SAMPLER_CHOICES == list(SAMPLERS)
    for command in ("sample", "render"):
        assert cli_options.option(command, "sampler").choices is cli_options.SAMPLER_CHOICES
    # eval's --sampler is a comma-separated list (--nfe-sweep compares several), each name one of the same choices
    assert _parse("eval", "--checkpoint", "c", "--sampler", "heun,dpmpp2m,em").sampler == ("heun", "dpmpp2m", "em")
    assert set(cli_options.SWEEP_SAMPLERS) <= set(cli_options.SAMPLER_CHOICES)
    for name in cli_options.SAMPLER_CHOICES:
        assert _parse("eval", "--checkpoint", "c", "--sampler", name).sampler == (name,)
        assert name in cli_options.option("eval", "sampler").help


def test_a_default_in_the_table_shows_in_the_help_once():
    help_text = cli.build_parser()._subparsers._group_actions[0].choices["schedule"].format_help()
    assert help_text.count("(default: 50)") == 1 and help_text.count("(default: 100)") == 1


def test_option_lookup_names_a_missing_option():
    assert cli_options.flag("train", "levels") == "--levels"
    assert cli_options.flag("sample", "class_label") == "--class"
    with pytest.raises(KeyError, match="no option 'levles'"):
        cli_options.option("train", "levles")


# --- the train plan ---------------------------------------------------------------------------------------------

def test_the_plan_of_a_plain_run():
    plan = _plan("--data", "moons", "--out", "m.ckpt", "--steps", "200")
    assert plan == TrainPlan(out="m.ckpt", data="moons", steps=200)
    assert (plan.process, plan.loss, plan.device, plan.seed) == ("ve", "dsm", "auto", 0)
    assert plan.seconds is None and not plan.image_data and not plan.process_given()
    assert plan.schedule == {} and plan.noise == {} and plan.model_flags() == []


def test_the_plan_gathers_the_schedule_and_the_training_noise():
    plan = _plan("--data", "mnist:/d", "--out", "x", "--process", "ncsn", "--levels", "8", "--sigma-max", "5",
                 "--noise-dist", "log_normal", "--p-mean", "-0.5", "--minutes", "1.5", "--unconditional",
                 "--model", "small", "--tensorboard", "tb")
    assert dict(plan.schedule) == {"sigma_max": 5.0, "n_levels": 8}
    assert dict(plan.noise) == {"distribution": "log_normal", "p_mean": -0.5}
    assert plan.seconds == 90.0 and plan.image_data and plan.conditional is False and plan.tensorboard == "tb"
    assert plan.process_given() and not plan.loss_given()
    assert plan.model_flags() == ["--sigma-max", "--levels", "--noise-dist", "--p-mean", "--model",
                                  "--conditional/--unconditional"]


def test_the_plan_of_a_resumed_run():
    plan = _plan("--resume", "a.ckpt", "--out", "b.ckpt", "--batch", "64", "--lr", "1e-3", "--quiet")
    assert (plan.resume, plan.data, plan.batch, plan.lr, plan.quiet) == ("a.ckpt", None, 64, 1e-3, True)


def test_every_train_option_lands_in_the_plan():
    fields = {f.name for f in dataclasses.fields(TrainPlan)} - {"schedule", "noise"}
    gathered = set(cli_options.SCHEDULE_PARAMETERS.values()) | set(cli_options.NOISE_FIELDS.values())
    options = {opt.name for opt in cli_options.command_table()["train"].options()}
    assert options == fields | gathered and not fields & gathered


def test_the_plan_is_frozen_and_a_misspelt_field_is_an_error():
    plan = _plan("--data", "moons", "--out", "x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.steps = 5
    with pytest.raises(TypeError):
        dataclasses.replace(plan, stpes=5)
    with pytest.raises(TypeError):
        plan.schedule["rho"] = 7.0       # read-only
    args = _parse("train", "--data", "moons", "--out", "x")
    del args.tensorboard                 # a parser without an option the plan reads: a bug, never a silent None
    with pytest.raises(AttributeError, match="tensorboard"):
        plan_from_args(args)


@pytest.mark.parametrize("argv,message", [
    (["--steps", "0"], r"--steps must be positive \(got 0\)"),
    (["--minutes", "-1"], "--minutes must be positive"),
    (["--batch", "0"], "--batch must be positive"),
    (["--lr", "0"], "--lr must be positive"),
])
def test_a_plan_with_a_count_that_is_not_positive_is_the_users_error(argv, message):
    with pytest.raises(UserError, match=message):
        _plan("--data", "moons", "--out", "x", *argv)
