"""What crosses between the GUI thread and the compute worker: frozen dataclasses of NumPy arrays and numbers.

Never tensors or modules (the worker would keep changing what the GUI reads, and a tensor's storage is freed in
whichever thread drops it last). Arrays are made read-only so that neither side can change what the other
holds; frames are built with keyword arguments. Session → GUI: `ProcessFrame`, `FieldFrame`, `Field1DFrame`,
`ParticleFrame`, `TrainingFrame`, `SigmaInUse`. GUI → session: the commands of `lab.commands`, which carry
`DataSpec` (the data to train on and draw against) and `ParticleRequest`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from scoreviz.core.data import display_bounds


def frozen_array(a, dtype=None) -> np.ndarray:
    """A read-only C-contiguous copy."""
    out = np.array(a, dtype=dtype, copy=True, order="C")
    out.flags.writeable = False
    return out


class ReadOnlyArrays:
    """Every NumPy field becomes a read-only copy, so neither thread can change what the other holds."""

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray) and v.flags.writeable:
                object.__setattr__(self, f.name, frozen_array(v))


# --- GUI → worker ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MixtureSpec(ReadOnlyArrays):
    weights: np.ndarray   # (K,)
    means: np.ndarray     # (K, D)
    covs: np.ndarray      # (K, D, D)


@dataclass(frozen=True)
class GridSpec(ReadOnlyArrays):
    values: np.ndarray                       # (H, W), row 0 = lowest y
    bounds: tuple[float, float, float, float]


@dataclass(frozen=True)
class DataSpec(ReadOnlyArrays):
    """Everything the worker needs to rebuild the dataset on its side."""

    version: int
    name: str
    train: np.ndarray                 # (N, D) float32
    heldout: np.ndarray               # (M, D) float32
    mixture: MixtureSpec | None = None
    grid: GridSpec | None = None
    reset: bool = True                # a new dataset (new process and model) rather than an edit of this one

    @property
    def dim(self) -> int:
        return int(self.train.shape[1]) if self.train.ndim == 2 else 0

    @property
    def empty(self) -> bool:
        return self.train.shape[0] == 0

    def bounds(self, margin: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
        """Display box (lo (D,), hi (D,)), as core.data.Dataset.bounds (`display_bounds`)."""
        return display_bounds(self.train, margin, self.grid.bounds if self.grid is not None else None)


@dataclass(frozen=True)
class ParticleRequest:
    """Release particles: which sampler, how many, from where, following which score."""

    name: str                  # a key of core.sampler_registry.SAMPLERS
    n: int                     # particles
    steps: int                 # the run's NFE, network evaluations (the name is kept; lab.run_lengths)
    origin: tuple[float, ...] | None = None   # start around this point instead of the prior
    source: str = "learned"    # "learned" or "exact" score
    seed: int = 0


# --- worker → GUI ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProcessFrame(ReadOnlyArrays):
    """The noise process in use: what the σ slider spans and how σ maps to t."""

    name: str
    noise_min: float
    noise_max: float
    times: np.ndarray        # (T,) increasing t
    levels: np.ndarray       # (T,) σ(t), increasing
    ladder: np.ndarray       # NCSN's discrete levels (L,) or empty
    is_sde: bool
    device: str
    data_version: int
    sigma: float = math.nan  # the σ the session uses now (NaN: a session that reports it apart, as SigmaInUse)

    def time_of(self, noise_level: float) -> float:
        return float(np.interp(np.log(noise_level), np.log(self.levels), self.times))


@dataclass(frozen=True)
class SigmaInUse:
    """The σ the session uses, sent after every request for one (clamped to the process's range) and after every new
    process: the σ slider shows this value, so the session is σ's one owner."""

    sigma: float


@dataclass(frozen=True)
class FieldFrame(ReadOnlyArrays):
    """Arrows on a grid over the visible area, and the noised density under them."""

    kind: str                  # a key of names.FIELD_KINDS: "learned" | "exact" | "difference" | "denoiser" | ...
    source: str                # what the vectors come from: "learned" | "exact" (denoiser view / no model)
    sigma: float
    points: np.ndarray         # (M, 2) arrow tails (y; x_t for the velocity kinds)
    vectors: np.ndarray        # (M, 2) σ·s (bounded drawing), σ²·s (denoiser displacement) or dx/dt (velocity)
    magnitude: np.ndarray      # (M,) |σ·s|, or |dx/dt|/r(t) (lab.velocity_field): the colour band
    cell: float                # grid spacing
    bounded: bool              # draw the direction with a bounded length
    heat: np.ndarray | None    # (H, W) log p_σ − max (row 0 = lowest y), or None
    heat_rect: tuple[float, float, float, float]   # x, y, width, height
    rel_error: float           # median |s_learned − s_exact| / |s_exact| on this grid (NaN without a model)
    data_version: int
    axes: tuple[int, int] = (0, 1)   # D ≥ 3: the coordinates of the slice the field is drawn on
    t: float = math.nan              # the velocity kinds: the process's time of σ (NaN for the score kinds)


@dataclass(frozen=True)
class Field1DFrame(ReadOnlyArrays):
    sigma: float
    xs: np.ndarray             # (M,)
    density: np.ndarray        # (M,) p_σ(x)
    exact: np.ndarray          # (M,) σ·s_exact
    learned: np.ndarray | None  # (M,) σ·s_learned
    rel_error: float
    data_version: int


@dataclass(frozen=True)
class ParticleFrame(ReadOnlyArrays):
    positions: np.ndarray            # (N, D) float32
    labels: np.ndarray | None        # (N,) int8 component index, or None when the data has no modes
    mode_weights: np.ndarray         # (K,) fraction of particles per component (empty without modes)
    true_weights: np.ndarray         # (K,)
    sampler: str
    step: int
    total: int
    t: float
    noise_level: float
    running: bool
    finished: bool
    serial: int                      # increases with every release (the GUI resets trails on a new one)
    #: (K, S, D) float32: the paths of K chosen particles from the release, S = steps taken + 1 points each
    #: (lab.trajectories); None without a run
    trajectories: np.ndarray | None = None
    trajectory_index: np.ndarray | None = None   # (K,) which particles those are (rows of `positions`)
    nfe: int = 0                     # score-network evaluations the run has made so far
    nfe_total: int = 0               # … and will make in all (the registry's NFERule for its options)


@dataclass(frozen=True)
class TrainingFrame(ReadOnlyArrays):
    """The live training's read-out: losses, rate, and how close the learned field is to the exact one."""

    step: int
    loss: float
    smoothed_loss: float
    loss_history: np.ndarray         # (S,) recent losses, downsampled to at most a few thousand points
    history_steps: np.ndarray        # (S,) the steps they belong to
    level_edges: np.ndarray          # (B+1,)
    level_losses: np.ndarray         # (B,)
    steps_per_second: float
    running: bool
    device: str
    mid_sigma: float
    mid_error: float                 # median relative error of the learned score at the middle σ (NaN: not yet)
    time_to_match: float             # seconds from pressing Train until mid_error ≤ MATCH_THRESHOLD (NaN: not yet)
    train_seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ScheduleFrame(ReadOnlyArrays):
    """A noise schedule as the schedule plots show it, on one log-σ axis (σ̃ the VE-equivalent noise level).

    Built by `lab.schedule_view.schedule_frame`; drawn by `app.schedule.plots`; printed by `scoreviz schedule`.
    Loss arrays are empty until a model trains."""

    process: str                     # a key of names.PROCESSES
    times: np.ndarray                # (T,) t from t_min to t_max
    sigma: np.ndarray                # (T,) σ̃(t) = s(t)/α(t)
    alpha: np.ndarray                # (T,) α(t)
    std: np.ndarray                  # (T,) s(t)
    log_snr: np.ndarray              # (T,) log(α²/s²) = −2 log σ̃
    grid: np.ndarray                 # (S,) σ̃ values, log-spaced over the process's range
    train_density: np.ndarray        # (S,) density of ln σ̃ that training visits (integrates to 1 over ln σ̃)
    weight: np.ndarray               # (S,) λ(σ̃) relative to the ε-MSE loss (1 for σ²)
    levels: np.ndarray               # (L,) the sampler's levels (NCSN's ladder, annealed Langevin's), decreasing
    report: object                   # core.schedule_rules.ScheduleReport: NCSNv2's rules and the warnings
    loss_edges: np.ndarray = field(default_factory=lambda: np.zeros(0))   # (B+1,) σ̃ bin edges
    loss: np.ndarray = field(default_factory=lambda: np.zeros(0))         # (B,) DSM loss per bin (NaN: not visited)
    floor: np.ndarray = field(default_factory=lambda: np.zeros(0))        # (B,) irreducible DSM loss per bin
    rel_error: np.ndarray = field(default_factory=lambda: np.zeros(0))    # (B,) median |s_θ − s|/|s| per bin
    parameters: dict = field(default_factory=dict)   # the process's editable parameters (name → value)
    noise: dict = field(default_factory=dict)        # the training side (core.schedule.training_noise.TrainingNoise config)


@dataclass(frozen=True, kw_only=True)
class RealScheduleFrame(ReadOnlyArrays):
    """The schedule in use read in log-SNR (core.schedule.snr), before and after Lin et al.'s fixes.

    Built by `lab.schedule.real`; drawn by `app.schedule.real_panel`. λ = ln SNR = −2 ln σ̃. The report and the
    training steps are those of the schedule *before* the fixes and, when a fix is on, *after* them; the w(λ)
    curves are the schedule's in use. Steps: the T training steps of a discrete schedule (t_i = i/T), else a
    uniform t grid of the process."""

    process: str                     # a key of names.PROCESSES
    label: str                       # a gallery label, an imported file's name, or the process's label
    source: str                      # its one-line source (a paper, a file's path), "" for the lab's own
    preset: str | None               # the gallery key it came from, if any
    fixable: bool                    # a discrete β schedule: the fixes apply
    rescale_zero_snr: bool           # the fixes in use
    timestep_spacing: str | None     # names.TIMESTEP_SPACINGS key, None: the lab's uniform t
    ignored: tuple[str, ...]         # an imported file's keys that were not read
    pinned: bool                     # a schedule A is pinned (the fixes pin the schedule before them)
    report: object                   # core.schedule.snr.SNRReport before the fixes
    fixed_report: object | None      # the SNRReport after them (None: no fix on)
    targets: tuple[str, ...]         # core.schedule.snr.TARGETS: the rows of `weights`
    log_snr: np.ndarray              # (K,) λ, decreasing (t increasing over the process's range)
    sigma: np.ndarray                # (K,) σ̃ = e^{−λ/2}
    weights: np.ndarray              # (len(targets), K) Kingma–Gao w(λ), each integrating to 1 over λ
    steps_t: np.ndarray              # (T,) t of the training steps
    steps_log_snr: np.ndarray        # (T,) λ before the fixes (−∞ where the SNR is 0)
    fixed_log_snr: np.ndarray        # (T,) λ after them, or (0,)
    sampler_t: np.ndarray            # (N,) t of a discrete sampler's timesteps before the fixes (diffusers'
                                     # leading default), or (0,)
    fixed_sampler_t: np.ndarray      # (N,) after them (the spacing chosen), or (0,)


@dataclass(frozen=True, kw_only=True)
class LevelDiagnosticsFrame(ReadOnlyArrays):
    """A Langevin-type run (annealed Langevin, predictor–corrector) level by level, in the order visited."""

    sampler: str
    levels: np.ndarray               # (L,) σ̃ of each level
    snr: np.ndarray                  # (L,) realised ‖ε s‖ / ‖√(2ε) z‖, mean over the level's steps
    target_snr: float                # PC's r; for annealed Langevin score_sde's r = 0.16 as a reference
    score_norm: np.ndarray           # (L,) mean ‖s‖ over the level's steps
    mode_shares: np.ndarray          # (L, K) share of particles per mode at the end of each level ((L, 0): no modes)
    true_weights: np.ndarray         # (K,)
    serial: int                      # the run these belong to (ParticleFrame.serial)


@dataclass(frozen=True, kw_only=True)
class ScheduleComparison:
    """A / B: two lab.schedule_compare.ScheduleOutcome under the same sampler and seed."""

    a: object
    b: object


@dataclass(frozen=True, kw_only=True)
class SessionOpened:
    """A saved session (or a checkpoint) is now the session's state: what the window shows must follow."""

    spec: DataSpec
    choices: dict
    view: tuple[float, float, float, float]
    sigma: float
    path: str
    has_model: bool


# --- quality against NFE (lab.schedule.nfe) -------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class NFESweepCurve(ReadOnlyArrays):
    """One sampler's runs under one schedule and one score, budget by budget: the rows of
    `core.nfe_sweep.quality_vs_nfe` as arrays (J budgets, K modes)."""

    schedule: str                    # "B" (the schedule in use) or "A" (the pinned one)
    score: str                       # "exact" (of the noised data) or "learned" (the trained model)
    sampler: str                     # a key of core.sampler_registry.SAMPLERS
    nfe_requested: np.ndarray        # (J,) int64 the budgets asked for
    nfe_used: np.ndarray             # (J,) int64 the evaluations each run spent (the registry's NFERule)
    sliced_wasserstein: np.ndarray   # (J,) SW to held-out data
    sw_floor: np.ndarray             # (J,) SW between two data samples of that size (the finite-sample floor)
    sw_ratio: np.ndarray             # (J,) SW ÷ floor: ≈ 1 is as good as the data
    mode_weights: np.ndarray         # (J, K) share of samples per mode ((J, 0) without a mixture)
    true_weights: np.ndarray         # (K,)

    @property
    def mode_error(self) -> np.ndarray:
        """(J,) total variation ½ Σ_k |w_k − w_k,true| between the samples' mode shares and the true weights
        (NaN without modes)."""
        if not self.true_weights.size:
            return np.full(len(self.nfe_used), np.nan)
        return 0.5 * np.abs(self.mode_weights - self.true_weights).sum(axis=1)


@dataclass(frozen=True, kw_only=True)
class NFESweepChoices:
    """What a sweep can be asked for now: the samplers the process in use runs (the others need a different
    process), whether a trained model exists (the learned score) and whether a schedule A is pinned."""

    process: str                     # a key of names.PROCESSES
    supported: tuple[str, ...]       # sampler names whose registry `supports(process)` holds
    learned: bool
    pinned: bool


@dataclass(frozen=True, kw_only=True)
class NFESweepFrame:
    """Quality against NFE (EDM's figure): every sampler × budget under schedule B (and A when pinned), with the
    exact score (and the learned one when asked). Sent after every run, so the figure fills in; `done` of
    `total` runs are in `curves`."""

    process: str                     # B's process
    samplers: tuple[str, ...]
    budgets: tuple[int, ...]
    n: int                           # particles per run
    seed: int
    curves: tuple[NFESweepCurve, ...]
    done: int
    total: int
    seconds: float                   # compute time of the runs so far

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    @property
    def has_modes(self) -> bool:
        return any(c.true_weights.size for c in self.curves)
