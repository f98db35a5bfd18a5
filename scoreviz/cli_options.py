"""The `scoreviz` command line's options, once: for every command its help line, its examples and each option's
flags, type, default, choices, metavar and help text.

Each entry is a `cli_arguments.Option` (or a Group of them) of a `cli_arguments.Command`; cli.build_parser
turns this table into argparse parsers, cli_support gives them the formatter and the global
options, and scoreviz.commands reads it for the flag names its messages quote and the defaults it compares
with, so an option's default and help live here and nowhere else. Torch-free, like names.py: the parser is
built (and `scoreviz --version` answers) before torch is imported.

Rule for help texts: a help that says "default" itself is shown as written; any other option with a real
default (not None or False) gets "(default: X)" appended by cli_support.HelpFormatter, so a default written
here is never typed a second time into its help.
"""
from __future__ import annotations

from scoreviz import names
from scoreviz.cli_arguments import Command, Group, Option, comma_separated
from scoreviz.core.sampler_registry import SAMPLERS   # torch-free: the choices at parse time
from scoreviz.paths import cache_dir

__all__ = ["NOISE_FIELDS", "PUBLISHED_FIXES", "SAMPLER_CHOICES", "SCHEDULE_PARAMETERS", "SWEEP_SAMPLERS",
           "command_table", "flag", "option"]

#: --sampler's choices, for every command that has the option: the sampler registry's names.
SAMPLER_CHOICES = list(SAMPLERS)
#: `scoreviz eval --nfe-sweep` without --sampler: EDM's Heun and DPM-Solver++(2M) against the reverse SDE.
SWEEP_SAMPLERS = ("heun", "dpmpp2m", "em")


# --- options several commands share (one text each) ----------------------------------------------------------

DEVICE_HELP = "auto (CUDA, then Apple MPS, then the CPU), cpu, cuda, cuda:N or mps"
CHECKPOINT = Option(("--checkpoint",), "a checkpoint written by `scoreviz train` (or a session saved from the "
                                       "window)", required=True, metavar="CKPT")
SAMPLER = Option(("--sampler",), "sampler (default: em for points; for images the checkpoint's, else pc)",
                 choices=SAMPLER_CHOICES)
SAMPLER_NFE = Option(("--nfe",), "network evaluations of the run (default: the recipe's)", type=int)
SAMPLER_STEPS = Option(("--steps",), "instead of --nfe: the sampler's own steps (annealed Langevin: per level)",
                       type=int)
SEED = Option(("--seed",), "random seed: the same seed, the same result", default=0, type=int)
DEVICE = Option(("--device",), DEVICE_HELP, default="auto")
JSON = Option(("--json",), "print the result as JSON (default: readable text)", default=False, action="store_true")
QUIET = Option(("--quiet",), "no progress bar", default=False, action="store_true")
PROCESS = Option(("--process",), "noise process", default="ve", choices=names.keys(names.PROCESSES))
#: A published schedule (`schedule`: --preset/--from; `train`: --schedule-preset/--schedule-from) and Lin et al.'s
#: fixes for it: one text each, one definition of the two fixes for both commands.
SCHEDULE_PRESET_HELP = "a published schedule from the gallery: " + ", ".join(names.SCHEDULE_PRESETS)
SCHEDULE_FROM_HELP = ("a diffusers scheduler_config.json (or an EDM σ range); keys it does not read are listed and "
                      "ignored")
RESCALE_ZERO_SNR = Option(("--rescale-zero-snr",), "rescale a discrete β schedule to zero terminal SNR (Lin et al. "
                                                   "2024, Alg. 1)", default=False, action="store_true")
TIMESTEP_SPACING = Option(("--timestep-spacing",), "the sampler's timestep spacing for a discrete β schedule "
                                                   "(default: the config's, else leading)",
                          choices=names.keys(names.TIMESTEP_SPACINGS))
#: The fixes' dests (what a resumed run refuses, what `train` checks against the process).
PUBLISHED_FIXES = ("rescale_zero_snr", "timestep_spacing")


def _published_schedule(preset_flag: str, from_flag: str, from_dest: str, preset_note: str,
                        from_note: str) -> Group:
    """--preset/--from (schedule) or --schedule-preset/--schedule-from (train): one of the two."""
    return Group((Option((preset_flag,), SCHEDULE_PRESET_HELP + preset_note,
                         choices=names.keys(names.SCHEDULE_PRESETS), metavar="NAME"),
                  Option((from_flag,), SCHEDULE_FROM_HELP + from_note, dest=from_dest, metavar="JSON")),
                 exclusive=True)


#: The global options, before or after the command name (cli_support adds them to every command).
VERBOSE = Option(("-v", "--verbose"), "log to stderr: -v information, -vv debugging (a log file is always kept: "
                                      "scoreviz info)", default=0, action="count")
DEBUG = Option(("--debug",), "on a failure, print the whole traceback", default=False, action="store_true")


def _sample_count(default: int) -> Option:
    return Option(("--n",), "how many samples to draw", default=default, type=int)


def _process_options(**helps) -> tuple[Option, ...]:
    """The process's schedule parameters (unset: the data-derived defaults); `helps` replaces a help text by the
    option's name (sigma_min, sigma_max, levels, rho) where `train` and `schedule` mean different defaults."""
    text = {"sigma_min": "ve/ncsn: smallest noise level (default: 0.01 × the data std)",
            "sigma_max": "ve/ncsn: largest noise level (default: the largest distance between data points)",
            "levels": "ncsn: number of levels (default: neighbours within a ratio of 1.5)",
            "rho": "EDM's sampling discretisation ρ (default: none, uniform in t)", **helps}
    return (Option(("--sigma-min",), text["sigma_min"], type=float, metavar="S"),
            Option(("--sigma-max",), text["sigma_max"], type=float, metavar="S"),
            Option(("--levels",), text["levels"], type=int, metavar="L"),
            Option(("--beta-min",), "vp/subvp: β at t = 0 (default: 0.1)", type=float, metavar="B"),
            Option(("--beta-max",), "vp/subvp: β at t = 1 (default: 20)", type=float, metavar="B"),
            Option(("--t-min",), "vp/subvp/cosine: the smallest time, in (0, 0.5) (default: 0.001)", type=float,
                   metavar="T"),
            Option(("--rho",), text["rho"], type=float, metavar="RHO"))


def _training_noise_options(images: bool) -> tuple[Option, ...]:
    """The training side of the schedule (core.schedule.training_noise.TrainingNoise; unset: the recipe's)."""
    def on_images(default: str, image_default: str) -> str:
        return f"{default}; images: {image_default}" if images else default

    return (Option(("--noise-dist",), f"where training draws its noise levels (default: "
                                      f"{on_images('process', 'log_normal on ve')})",
                   choices=names.keys(names.NOISE_DISTRIBUTIONS)),
            Option(("--p-mean",), f"log_normal: mean of ln σ (default: {on_images('-1.2', '-1.2 + ln(2σ_data)')})",
                   type=float, metavar="M"),
            Option(("--p-std",), "log_normal: std of ln σ (default: 1.2)", type=float, metavar="S"),
            Option(("--weighting",), f"loss weighting (default: {on_images('sigma2', 'edm with dsm')})",
                   choices=names.keys(names.LOSS_WEIGHTINGS)),
            Option(("--min-snr-gamma",), "min_snr: γ (default: 5)", type=float, metavar="G"),
            Option(("--logit-mean",), "logit_normal: mean of logit t (default: 0, SD3's)", type=float, metavar="M"),
            Option(("--logit-std",), "logit_normal: std of logit t (default: 1)", type=float, metavar="S"))


#: Process parameter (core.processes.schedule_parameters) → the option's dest; t_max (cosine) has no option.
SCHEDULE_PARAMETERS = {"sigma_min": "sigma_min", "sigma_max": "sigma_max", "n_levels": "levels",
                       "beta_min": "beta_min", "beta_max": "beta_max", "t_min": "t_min", "rho": "rho"}
#: TrainingNoise field → the option's dest.
NOISE_FIELDS = {"distribution": "noise_dist", "p_mean": "p_mean", "p_std": "p_std", "weighting": "weighting",
                "min_snr_gamma": "min_snr_gamma", "logit_mean": "logit_mean", "logit_std": "logit_std"}


# --- the commands ----------------------------------------------------------------------------------------------

def _train() -> Command:
    return Command(
        "train a score model on a preset, a point file or a density image",
        (Option(("--data",), "a preset name (see `scoreviz presets`), a .npy/.csv point file (N×D, D ≤ 8), a .png "
                             "density, or mnist[:DIR] (required, except with --resume: then the checkpoint's data)",
                metavar="SPEC"),
         Option(("--out",), "checkpoint file to write (and CKPT.log.csv beside it: step, loss, lr, seconds, loss "
                            "per σ)", required=True, metavar="CKPT"),
         Option(("--steps",), "optimiser steps (default: the recipe's)", type=int),
         Option(("--minutes",), "train for this long instead of a step count", type=float),
         PROCESS,
         Option(("--loss",), "score-matching loss", default="dsm", choices=names.keys(names.LOSSES)),
         Group(_process_options(rho="EDM's sampling discretisation ρ (EDM: 7; default: uniform in t; images: 7 on "
                                    "ve)") + _training_noise_options(images=True),
               title="noise schedule (each applies to the processes that have it)"),
         _published_schedule("--schedule-preset", "--schedule-from", "schedule_from",
                             " (instead of --process and the schedule's parameters)", " (instead of --process)"),
         Group((RESCALE_ZERO_SNR, TIMESTEP_SPACING),
               title="published schedules: Lin et al.'s fixes (a discrete β schedule: --process discrete, "
                     "--schedule-preset or --schedule-from)"),
         Option(("--model",), f"model size: {', '.join(names.POINT_MODEL_SIZES)} "
                              f"(images: {', '.join(names.IMAGE_MODEL_SIZES)})"),
         Option(("--batch",), "batch size", type=int),
         Option(("--lr",), "peak learning rate", type=float),
         Option(("--device",), ", ".join(names.DEVICES), default="auto"),
         SEED,
         Group((Option(("--conditional",), "images: class-conditional with classifier-free guidance (the default "
                                           "when there are labels)", action="store_true", dest="conditional"),
                Option(("--unconditional",), "images: ignore the labels", default=True, action="store_false",
                       dest="conditional")), exclusive=True),
         QUIET,
         Option(("--resume",), "continue CKPT's run (optimizer, EMA, step, schedule, RNG; its data and options) for "
                               "--steps or --minutes more, or to the end of its planned steps", metavar="CKPT"),
         Option(("--tensorboard",), "also write TensorBoard scalars to DIR (needs pip install "
                                    "'scoreviz[tensorboard]')", metavar="DIR")),
        """\
examples:
  scoreviz train --data moons --out moons.ckpt                 a 2-D preset with its recipe's defaults
  scoreviz train --data points.csv --out mine.ckpt --minutes 2 your own points, for two minutes
  scoreviz train --data mnist --out mnist.ckpt --minutes 10    MNIST (class-conditional; see `scoreviz download`)
  scoreviz train --data moons --schedule-preset sd --rescale-zero-snr --out sd.ckpt   SD's β's, zero terminal SNR
  scoreviz train --data mnist --process flow --loss fm --noise-dist logit_normal --out flow.ckpt   flow matching
  scoreviz train --resume mnist.ckpt --out mnist.ckpt --minutes 10   continue a run""")


def _sample() -> Command:
    return Command(
        "draw samples from a checkpoint into a .npy file",
        (CHECKPOINT, _sample_count(1000),
         Option(("--out",), "the .npy file to write the samples to", required=True, metavar="FILE.npy"),
         SAMPLER, SAMPLER_NFE, SAMPLER_STEPS, SEED, DEVICE,
         Option(("--png",), "images: also save a grid PNG (all classes: one class per column)"),
         Option(("--class",), "images: the class to draw (default for class-conditional models: all classes "
                              "evenly)", type=int, dest="class_label"),
         Option(("--unconditional",), "images: a class-conditional model's no-label branch (with autoguidance)",
                default=False, action="store_true"),
         Option(("--guidance",), "images: classifier-free guidance weight (default: 2 for class-conditional "
                                 "samples)", type=float),
         Option(("--autoguidance",), "images: step W away from the checkpoint's early model (1 = off; default 3 "
                                     "for unconditional samples when the checkpoint has one)", type=float,
                metavar="W")),
        """\
examples:
  scoreviz sample --checkpoint moons.ckpt --n 5000 --out samples.npy
  scoreviz sample --checkpoint mnist.ckpt --n 64 --out digits.npy --png digits.png   all classes, evenly
  scoreviz sample --checkpoint mnist.ckpt --n 16 --class 3 --out threes.npy --png threes.png""")


def _eval() -> Command:
    samplers = Option(("--sampler",), f"sampler (default: em); with --nfe-sweep a comma-separated list (default: "
                                      f"{','.join(SWEEP_SAMPLERS)}); choose from {', '.join(SAMPLER_CHOICES)}",
                      type=comma_separated(str, "sampler names", SAMPLER_CHOICES), metavar="NAME[,NAME…]")
    sweep = Option(("--nfe-sweep",), "comma-separated NFE budgets: each sampler at each budget, one row each "
                                     "(NFE asked and used, sliced Wasserstein × floor, mode weights where known)",
                   type=comma_separated(int, "positive integers", minimum=1), metavar="N[,N…]")
    return Command(
        "quality figures of a checkpoint's samples against held-out data",
        (CHECKPOINT, _sample_count(4000), samplers, Group((SAMPLER_NFE, SAMPLER_STEPS, sweep), exclusive=True),
         SEED, DEVICE, JSON),
        """\
examples:
  scoreviz eval --checkpoint moons.ckpt                     sliced Wasserstein, mode coverage, …
  scoreviz eval --checkpoint moons.ckpt --nfe-sweep 10,20,50,100 --sampler heun,dpmpp2m,em
                                                            quality against NFE, a row per sampler and budget
  scoreviz eval --checkpoint mnist.ckpt --n 1000 --json     recognisable digits, per-class histogram""")


def _bench() -> Command:
    return Command(
        "performance and quality benchmarks",
        (Option(("--json",), "print the figures as JSON", default=False, action="store_true"),
         Option(("--quick",), "fewer presets and shorter runs (a smoke test)", default=False, action="store_true"),
         Option(("--only",), "comma-separated groups: train,throughput,modes,gui,images,highdim,flow,samplers"),
         Option(("--out",), "also write the JSON to this file")),
        """\
examples:
  scoreviz bench --quick                      a smoke test of every group
  scoreviz bench --only gui,throughput --json --out bench.json""")


def _schedule() -> Command:
    return Command(
        "NCSNv2's rules, the log-SNR report, the levels, the Langevin step and the warnings for a noise schedule, "
        "yours or a published one (no display needed)",
        (Group((Option(("--data",), "a preset, a .npy/.csv point file or a .png density: the data-derived defaults "
                                    "and the data rules (σ_max, prior W₂)", metavar="SPEC"),
                Option(("--dim",), "no data, D dimensions of unit scale (e.g. 3072 for CIFAR-10, 784 for MNIST; "
                                   "one of the two is required, except with --preset or --from)",
                       type=int, metavar="D")), exclusive=True),
         _published_schedule("--preset", "--from", "from_config", " (its D unless --dim or --data)",
                             " (D: 3072 unless --dim or --data)"),
         Option(("--process",), "noise process, without --preset or --from (default: ve)",
                choices=names.keys(names.PROCESSES)),
         Group((RESCALE_ZERO_SNR, TIMESTEP_SPACING,
                Option(("--sampling-steps",), "the sampler's N for the spacing check", default=50, type=int,
                       metavar="N"),
                Option(("--prediction-type",), "what the model predicts (default: the config's, else epsilon; "
                                               "v_prediction after --rescale-zero-snr)",
                       choices=names.keys(names.PREDICTION_TYPES))),
               title="real schedules: the fixes and the log-SNR report"),
         Group(_process_options(
             sigma_min="ve/ncsn: smallest noise level (default: 0.01 × the data std; --dim: 0.01)",
             sigma_max="ve/ncsn: largest noise level (default: the largest distance between data points; "
                       "--dim: max(10, √(2D)))",
             levels="the sampler's number of levels, and ncsn's ladder (default: ncsn's ladder, else neighbours "
                    "within a ratio of 1.5; ncsn with --dim D ≥ 5: NCSNv2's ratio rule)")
             + (Option(("--steps-each",), "annealed Langevin steps per level, for the step-size rule", default=100,
                       type=int, metavar="T"),),
             title="the schedule (each applies to the processes that have it; unset: the defaults)"),
         Group(_training_noise_options(images=False),
               title="the training side (the density and weight plots, the untrained-levels check)"),
         Option(("--json",), "print the analysis as JSON (default: readable text)", default=False,
                action="store_true"),
         Option(("--png",), "also draw the schedule plots into this PNG (default: none)", metavar="FILE")),
        """\
examples:
  scoreviz schedule --data 8gaussians                     the levels, Langevin step and warnings for a preset
  scoreviz schedule --dim 3072 --process ncsn             NCSNv2's rules for CIFAR-10-sized data
  scoreviz schedule --data moons --process vp --png schedule.png
  scoreviz schedule --preset sd --rescale-zero-snr --timestep-spacing trailing   Lin et al.'s fixes for SD
  scoreviz schedule --from scheduler_config.json --json   a diffusers schedule's log-SNR report""")


def _render() -> Command:
    return Command(
        "render a clip (.mp4 or .gif) of particles following a sampler over the score field, without a window",
        (Group((Option(("--checkpoint",), "a 2-D checkpoint from `scoreviz train`: its model and data",
                       metavar="CKPT"),
                Option(("--data",), "a preset, a .npy/.csv point file or a .png density (the exact score of its "
                                    "noised data)", metavar="SPEC")), exclusive=True, required=True),
         Option(("--score",), "the score the particles follow (default: learned with --checkpoint, exact with "
                              "--data)", choices=names.keys(names.SCORE_SOURCES)),
         Option(("--sampler",), "the sampler", default="annealed", choices=SAMPLER_CHOICES),
         Option(("--n",), "particles", default=2000, type=int),
         Option(("--nfe",), "network evaluations of the run, as the window's Particles panel (default: 500)",
                type=int),
         Option(("--steps",), "instead of --nfe, the old length: the sampler's own steps (annealed Langevin: over "
                              "its 10 levels), converted to the NFE of the same run", type=int),
         Option(("--out",), "the clip to write: .mp4 (H.264) or .gif", required=True, metavar="CLIP"),
         Option(("--fps",), "frames per second", default=30, type=int),
         Option(("--size",), "frame size in pixels (default: 1280x720 for .mp4, 640x360 for .gif; odd sizes lose a "
                             "pixel)", metavar="WxH"),
         Option(("--seconds",), "the clip's length, its last second holding the samples (default: one frame per "
                                "sampler step, steps skipped evenly past 10 s, then a 1 s hold)", type=float,
                metavar="S"),
         Option(("--seed",), "random seed: the same options give the same clip", default=0, type=int),
         Option(("--sigma",), "noise level σ of the field drawn under the particles (and of plain Langevin) "
                              "(default: 0.5, or the middle of the process's range when 0.5 is outside it)",
                type=float, metavar="S"),
         Option(("--field",), "which field the arrows show (default: the score the particles follow)",
                choices=names.keys(names.FIELD_KINDS)),
         Option(("--grid",), "arrows across the view, 4–96 (default: one per 40 px of width, 12–48: 32 at 1280 px)",
                type=int, metavar="N"),
         Option(("--process",), "noise process with --data (a checkpoint brings its own)", default="ve",
                choices=names.keys(names.PROCESSES)),
         Option(("--theme",), "colours of the app's themes", default="dark", choices=("dark", "light")),
         Option(("--presentation",), "the app's presentation style: thicker arrows, bigger particles and text, "
                                     "Okabe–Ito modes", default=False, action="store_true"),
         Option(("--no-caption",), "leave out the caption line (sampler, level, σ)", default=False,
                action="store_true"),
         Option(("--no-trails",), "leave out the particles' fading trails", default=False, action="store_true"),
         Option(("--trajectories",), "draw the whole paths of a dozen particles (first vs second order, ODE vs SDE)",
                default=False, action="store_true"),
         Option(("--device",), "where the sampler runs (drawing is on the CPU)", default="auto")),
        """\
examples:
  scoreviz render --data 8gaussians --score exact --out clip.mp4             annealed Langevin, 1280x720, 30 fps
  scoreviz render --checkpoint moons.ckpt --sampler ode --out ode.mp4 --seconds 6
  scoreviz render --data moons --score exact --n 1500 --out moons.gif --size 480x360 --fps 20""")


#: data set name in `scoreviz download` → the data layer's name
DOWNLOADABLE = {"mnist": "mnist", "fashion-mnist": "fashion"}


def _housekeeping() -> dict[str, Command]:
    """info, download, gui and install-desktop."""
    info = Command("versions, devices, and where data, caches and logs are looked for", (JSON,), """\
examples:
  scoreviz info                               versions, devices and folders, to read or paste into a bug report
  scoreviz info --json""")
    download = Command(
        "download MNIST or Fashion-MNIST (checksum-verified, with a progress bar)",
        (Option(("dataset",), "the data set", choices=sorted(DOWNLOADABLE)),
         Option(("--dir",), f"the folder to fill (default: {cache_dir()}/mnist or …/fashion-mnist, where scoreviz "
                            "looks without being told)", metavar="DIR"),
         Option(("--mirror",), "a base URL holding the four files, tried before the built-in mirrors (repeatable)",
                action="append", metavar="URL"),
         Option(("--timeout",), "seconds to connect and per read", default=30.0, type=float, metavar="S"),
         QUIET),
        f"""\
examples:
  scoreviz download mnist                     into {cache_dir() / 'mnist'}
  scoreviz download fashion-mnist --dir ~/data/fashion
Files are verified against their published MD5 checksums; files already present are kept. On Debian and
Ubuntu, `sudo apt-get install dataset-fashion-mnist` installs Fashion-MNIST where scoreviz finds it.""")
    gui = Command("open the desktop app; the options are scoreviz-app's (scoreviz gui --help)", (), """\
examples:
  scoreviz gui                                the same as scoreviz-app
  scoreviz gui --help                         the window's own options""", own_help=False)
    desktop = Command(
        "add scoreviz to this user's application menu (Linux, freedesktop)",
        (Option(("--uninstall",), "remove the menu entry and icons again", default=False, action="store_true"),),
        """\
examples:
  scoreviz install-desktop                    a menu entry and icon for this user (XDG_DATA_HOME honoured)
  scoreviz install-desktop --uninstall""")
    return {"info": info, "download": download, "gui": gui, "install-desktop": desktop}


def command_table() -> dict[str, Command]:
    """Every command, in the order `scoreviz --help` lists them. A function, not a constant: two texts name the
    user's cache folder, which is read when the parser is built (so XDG_CACHE_HOME set by then is honoured)."""
    presets = Command("list the built-in data presets with their dimension", (), """\
example:
  scoreviz presets                            then: scoreviz train --data NAME --out NAME.ckpt""")
    return {"train": _train(), "sample": _sample(), "eval": _eval(), "bench": _bench(), "schedule": _schedule(),
            "render": _render(), "presets": presets, **_housekeeping()}


def option(command: str, dest: str) -> Option:
    """`command`'s option whose parsed attribute is `dest` (a KeyError names both when there is none)."""
    for found in command_table()[command].options():
        if found.name == dest:
            return found
    raise KeyError(f"scoreviz {command} has no option {dest!r}")


def flag(command: str, dest: str) -> str:
    """The flag users type for `command`'s option `dest` (its first option string): "--sigma-min"."""
    return option(command, dest).flags[0]
