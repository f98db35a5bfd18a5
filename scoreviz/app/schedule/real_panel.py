"""The Schedule tab's published schedules: the gallery and Import…, the log-SNR report in words, Lin et al.'s fixes
as controls, and the real-schedule plots (`app.schedule.real_plots`). It shows `lab.frames.RealScheduleFrame`s
and asks for `lab.commands.UseGallerySchedule` / `ImportSchedule` / `FixSchedule` through its signals."""
from __future__ import annotations

import math

from scoreviz.core.schedule.gallery import GALLERY
from scoreviz.names import PREDICTION_TYPES, SCHEDULE_PRESETS, TIMESTEP_SPACINGS

from scoreviz.app.panels.common import button, combo, hint, row, select, value_label
from scoreviz.app.qt import QtCore, QtWidgets
from scoreviz.app.schedule.real_plots import RealSchedulePlots

_CHOOSE = "choose a published schedule …"
#: The spacing combo: "" is the lab's own sampling times (uniform t; None in the command), then diffusers' three.
#: Rule: a combo's keys are strings, because Qt stores None as an empty item data that findData cannot match.
SPACINGS = {"": "uniform t (the lab's samplers)", **TIMESTEP_SPACINGS}


def _number(v: float, digits: int = 3) -> str:
    """A report's number in words: 0, ±∞ as symbols, else `digits` significant digits."""
    if v == 0:
        return "0"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:.{digits}g}".replace("-", "−")


def report_lines(report) -> list[str]:
    """A core.schedule.snr.SNRReport in words: terminal and initial SNR, the σ̃ range, the coarsest step and the
    sampler's spacing (its warnings are shown apart)."""
    lines = [f"terminal SNR {_number(report.terminal_snr)} (log-SNR {_number(report.terminal_log_snr)}) at the "
             f"last training step · initial SNR {_number(report.initial_snr)} "
             f"(log-SNR {_number(report.initial_log_snr)})",
             f"σ̃ from {_number(report.sigma_min_equivalent)} to {_number(report.sigma_max_equivalent, 4)}; the "
             f"samplers start at σ̃ {_number(report.sampler_sigma_max, 4)}",
             f"coarsest step Δλ = {_number(report.coarsest_step)} at t = {_number(report.coarsest_at, 4)} · "
             f"prediction: {PREDICTION_TYPES.get(report.prediction_type, report.prediction_type)}"]
    s = report.sampling
    if s:
        start = "T, pure noise" if s["starts_at_terminal"] else f"timestep {s['first_timestep']}, not the last"
        lines.append(f"{s['spacing']} spacing, {s['steps']} sampler steps: the first at {start} "
                     f"(of 0 … {report.steps - 1})")
    return lines + [f"note: {n}" for n in report.notes]


class RealSchedulePanel(QtWidgets.QGroupBox):
    """`gallery_chosen(str)`: a names.SCHEDULE_PRESETS key; `import_requested`; `fix_requested(bool, object)`:
    rescale to zero terminal SNR, and the timestep spacing (a names.TIMESTEP_SPACINGS key or None)."""

    gallery_chosen = QtCore.Signal(str)
    import_requested = QtCore.Signal()
    fix_requested = QtCore.Signal(bool, object)

    def __init__(self, parent=None):
        super().__init__("Published schedules: diagnose and fix", parent)
        self.gallery = combo([(_CHOOSE, "")] + [(label, key) for key, label in SCHEDULE_PRESETS.items()],
                             "A schedule people train with, applied as published to these 2-D data "
                             "(a new noise process and model)")
        self.spacing = combo(list((label, key) for key, label in SPACINGS.items()),
                             "Where the sampler's N steps fall among the T training steps (diffusers' "
                             "timestep_spacing; Lin et al. 2024, Table 2)")
        for box, letters in ((self.gallery, 16), (self.spacing, 10)):   # long labels must not widen the tab
            box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(letters)
        for i in range(1, self.gallery.count()):
            self.gallery.setItemData(i, GALLERY[self.gallery.itemData(i)].source, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.import_button = button("Import…", "Read a diffusers scheduler_config.json (Schedule → Import…)")
        self.in_use = value_label("")
        self.in_use.setWordWrap(True)
        self.source = hint("The gallery's schedules are made for images at a data scale ≈ 1: applied as they are, "
                           "the 2-D data show what they do, with the exact score, in seconds.")
        self.report = value_label("")
        self.report.setWordWrap(True)
        self.warnings = QtWidgets.QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setObjectName("warningLabel")
        self.zero_snr = QtWidgets.QCheckBox("Zero terminal SNR")
        self.zero_snr.setToolTip("Rescale the β's so that the last step is pure noise (Lin et al. 2024, Alg. 1): "
                                 "√ᾱ shifted and scaled, the first step unchanged")
        self.plots = RealSchedulePlots()
        self.plots.setMinimumHeight(360)
        self._loading = False
        self._build()
        self.gallery.activated.connect(self._on_gallery)
        self.import_button.clicked.connect(self.import_requested)
        self.zero_snr.toggled.connect(self._emit_fix)
        self.spacing.activated.connect(self._emit_fix)

    def _build(self) -> None:
        # a column, not form rows: wrapped labels in a QFormLayout keep the height of their first width
        form = QtWidgets.QFormLayout()
        form.addRow("Gallery", row(self.gallery, self.import_button))
        form.addRow("In use", self.in_use)
        column = QtWidgets.QVBoxLayout(self)
        column.addLayout(form)
        for widget in (self.source, self.report, self.warnings,
                       row(QtWidgets.QLabel("Fixes"), self.zero_snr, QtWidgets.QLabel("spacing"), self.spacing),
                       self.plots):
            column.addWidget(widget)

    # --- outgoing --------------------------------------------------------------------------------------------
    def choose(self, name: str) -> None:
        """Pick a gallery schedule as a person would."""
        select(self.gallery, name)
        self._on_gallery()

    def _on_gallery(self, *_) -> None:
        name = self.gallery.currentData()
        if name and not self._loading:
            self.gallery_chosen.emit(name)

    def _emit_fix(self, *_) -> None:
        if not self._loading:
            self.fix_requested.emit(self.zero_snr.isChecked(), self.spacing.currentData() or None)

    # --- incoming --------------------------------------------------------------------------------------------
    def show_frame(self, frame) -> None:
        """A RealScheduleFrame: what is in use, its report before (and after) the fixes, the fixes, the plots."""
        self._loading = True
        try:
            select(self.gallery, frame.preset or "")
            self.zero_snr.setChecked(frame.rescale_zero_snr)
            select(self.spacing, frame.timestep_spacing or "")
        finally:
            self._loading = False
        for control in (self.zero_snr, self.spacing):
            control.setEnabled(frame.fixable)
        self.in_use.setText(frame.label)
        source = [frame.source] if frame.source else []
        if frame.preset:
            source.append("made for images at a data scale ≈ 1, applied here as published")
        if frame.ignored:
            source.append(f"keys not read: {', '.join(frame.ignored)}")
        self.source.setText(" · ".join(source) or "the lab's own process, fitted to the data")
        self.source.setToolTip(frame.source)
        fixed = frame.fixed_report
        if fixed is None:
            text = report_lines(frame.report)
        else:
            text = (["As published:"] + [f"  {line}" for line in report_lines(frame.report)]
                    + ["After the fix:"] + [f"  {line}" for line in report_lines(fixed)])
        self.report.setText("\n".join(text))
        self.warnings.setText(self._warnings(frame))
        self.plots.show_frame(frame)

    @staticmethod
    def _warnings(frame) -> str:
        """The warnings of the schedule in use; after the fix, what it changed first."""
        report = frame.fixed_report if frame.fixed_report is not None else frame.report
        lines = []
        fixed = frame.fixed_report
        if fixed is not None and fixed.terminal_snr == 0 < frame.report.terminal_snr:
            lines.append(f"✓ terminal SNR 0 after the fix (as published: {_number(frame.report.terminal_snr)}): "
                         f"the last training step is pure noise, where the samplers start")
        lines += [f"⚠ {w}" for w in report.warnings]
        return "\n".join(lines) if lines else "✓ no warnings"
