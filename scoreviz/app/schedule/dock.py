"""The Schedule dock: the schedule panel beside the canvas (a tab next to Controls), wired to the session's
schedule commands, and the σ_max circle it draws on the canvas (NCSNv2 technique 1: σ_max ≈ the largest
distance between two data points). The published schedules' report (`RealScheduleFrame`, sent only when the
schedule changes) and the quality-vs-NFE sweep's frames (`NFESweepFrame` after every run, `NFESweepChoices`)
come straight from the worker's signal (`on_worker_frame`), not through the canvas's mailbox: each one is drawn,
none may be dropped for a newer one of another kind."""
from __future__ import annotations

import math

from scoreviz.core.sampler_registry import sampler_entry
from scoreviz.lab import commands as cmd
from scoreviz.lab import frames as fr

from scoreviz.app.panels.common import dock_contents
from scoreviz.app.schedule.panel import SchedulePanel
from scoreviz.app.qt import QtCore, QtGui, QtWidgets

MIN_WIDTH = 420


class ScheduleDock(QtWidgets.QDockWidget):
    """`show(frame)` takes ScheduleFrame, RealScheduleFrame, LevelDiagnosticsFrame, ScheduleComparison,
    NFESweepFrame and NFESweepChoices frames.
    `process_named(str)`: the process a published schedule made the lab's (the training panel shows it)."""

    process_named = QtCore.Signal(str)

    def __init__(self, parent, send, particle_options, scene, data_centre):
        super().__init__("Schedule", parent)
        self.setObjectName("schedule")
        self.send, self.particle_options, self.scene, self.data_centre = send, particle_options, scene, data_centre
        self.panel = SchedulePanel()
        dock_contents(self, self.panel, MIN_WIDTH)
        self.last_schedule: fr.ScheduleFrame | None = None
        self.last_levels: fr.LevelDiagnosticsFrame | None = None
        self.last_comparison: fr.ScheduleComparison | None = None
        self.last_real: fr.RealScheduleFrame | None = None
        self.last_sweep: fr.NFESweepFrame | None = None
        self.last_sweep_choices: fr.NFESweepChoices | None = None
        self._circles = [_circle(scene, QtCore.Qt.PenStyle.DashLine), _circle(scene, QtCore.Qt.PenStyle.SolidLine)]
        p = self.panel
        p.changed.connect(lambda options: self.send(cmd.SetSchedule(process=options["process"],
                                                                    noise=options["noise"])))
        p.reset_requested.connect(lambda: self.send(cmd.ResetSchedule()))
        p.pin_requested.connect(lambda: self.send(cmd.PinSchedule()))
        p.compare_requested.connect(self.request_comparison)
        p.nfe.sweep_requested.connect(lambda options: self.send(cmd.SweepNFE(**options)))
        p.real.gallery_chosen.connect(self.use_gallery)
        p.real.import_requested.connect(self.ask_import)
        p.real.fix_requested.connect(lambda rescale, spacing: self.send(cmd.FixSchedule(rescale, spacing)))
        self.visibilityChanged.connect(self._on_visible)

    def _on_visible(self, visible: bool) -> None:
        self.send(cmd.ShowSchedule(bool(visible)))
        self.set_circles_visible(visible)

    def use_gallery(self, name: str) -> None:
        self.send(cmd.UseGallerySchedule(name))

    def ask_import(self) -> None:
        """Schedule → Import…: a diffusers scheduler_config.json, chosen in a file dialog."""
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Import a diffusers scheduler config", "",
                                                        "Scheduler configs (*.json);;All files (*)")
        if path:
            self.import_schedule(path)

    def import_schedule(self, path: str) -> None:
        self.send(cmd.ImportSchedule(str(path)))

    @QtCore.Slot(object)
    def on_worker_frame(self, frame) -> None:
        """The worker's frames (queued, GUI thread): the real-schedule report and the sweep's are this dock's alone."""
        if isinstance(frame, (fr.RealScheduleFrame, fr.NFESweepFrame, fr.NFESweepChoices)):
            self.show(frame)

    def request_comparison(self) -> None:
        o = self.particle_options()
        self.panel.clear_comparison("Sampling A and B …")
        # the panel's NFE; a sampler walking levels keeps the recipe's length over each process's own ladder
        per_level = sampler_entry(o["sampler"]).length.per_level
        self.send(cmd.CompareSchedules(sampler=o["sampler"], n=o["n"], seed=0,
                                       nfe=None if per_level else o["steps"]))

    def show(self, frame) -> None:
        if isinstance(frame, fr.ScheduleFrame):
            first = self.last_schedule is None or frame.parameters != self.last_schedule.parameters \
                or frame.noise != self.last_schedule.noise
            if first:
                self.panel.show_schedule(frame, frame.parameters, frame.noise)
            else:
                self.panel.show_frame(frame)
            self.last_schedule = frame
            self._show_circles(frame)
        elif isinstance(frame, fr.RealScheduleFrame):
            self.panel.real.show_frame(frame)
            if frame.pinned:           # a fix pins the schedule before it as A
                self.panel.compare.setEnabled(True)
            self.last_real = frame
            self.process_named.emit(frame.process)
        elif isinstance(frame, fr.LevelDiagnosticsFrame):
            self.panel.show_levels(frame)
            self.last_levels = frame
        elif isinstance(frame, fr.ScheduleComparison):
            self.panel.show_comparison(frame.a, frame.b)
            self.last_comparison = frame
        elif isinstance(frame, fr.NFESweepFrame):
            self.panel.nfe.show_frame(frame)
            self.last_sweep = frame
        elif isinstance(frame, fr.NFESweepChoices):
            self.panel.nfe.set_choices(frame)
            self.last_sweep_choices = frame

    def _show_circles(self, frame: fr.ScheduleFrame) -> None:
        """Dashed: NCSNv2's σ_max (the largest pairwise distance); solid: the σ_max in use; both centred on the
        data's mean, so a solid circle inside the dashed one says 'annealing cannot move mass between modes'."""
        rule = getattr(frame.report, "sigma_max_rule", None)
        centre = self.data_centre()
        sigma_max = float(frame.grid[-1]) if len(frame.grid) else math.nan
        for item, radius in zip(self._circles, (rule, sigma_max)):
            ok = centre is not None and radius is not None and math.isfinite(radius) and len(centre) == 2
            item.setVisible(bool(ok))
            if ok:
                item.setRect(QtCore.QRectF(centre[0] - radius, centre[1] - radius, 2 * radius, 2 * radius))

    def set_circles_visible(self, on: bool) -> None:
        for item in self._circles:
            item.setVisible(on and self.last_schedule is not None)


def _circle(scene, style) -> QtWidgets.QGraphicsEllipseItem:
    item = QtWidgets.QGraphicsEllipseItem()
    pen = QtGui.QPen(QtGui.QColor(255, 204, 102, 200))
    pen.setCosmetic(True)
    pen.setWidthF(1.5)
    pen.setStyle(style)
    item.setPen(pen)
    item.setZValue(30)
    item.setVisible(False)
    scene.viewbox.addItem(item)
    return item
