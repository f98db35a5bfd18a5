"""Model: network size, noise process, class-conditional, train/pause, new model, open/save a checkpoint; what is
in use."""
from __future__ import annotations

from pathlib import Path

from scoreviz.names import IMAGE_MODEL_SIZES
from scoreviz.lab.images.commands import PROCESS_CHOICES

from scoreviz.app.panels.common import button, combo, hint, row, select, show_toggle
from scoreviz.app.qt import QtCore, QtWidgets


class ImageModelPanel(QtWidgets.QGroupBox):
    configure = QtCore.Signal(dict)         # ConfigureModel's fields (size, conditional, process, …): a new model
    train_toggled = QtCore.Signal(bool)
    open_requested = QtCore.Signal()
    save_requested = QtCore.Signal()

    def __init__(self, model_size: str = "cpu", parent=None):
        super().__init__("Model", parent)
        self.size = combo([(label, key) for key, label in IMAGE_MODEL_SIZES.items()], "The score network")
        select(self.size, model_size)
        self.process = combo([(label, key) for key, (label, _) in PROCESS_CHOICES.items()],
                             "The noise process: the recipe's VE, VP, flow matching (fm loss, logit-normal times) or "
                             "a published β schedule (DDIM samples it; Heun samples flow matching)")
        self.conditional = QtWidgets.QCheckBox("class-conditional")
        self.conditional.setToolTip("Train with the labels (classifier-free guidance): far more recognisable "
                                    "digits, and you choose the class")
        self.conditional.setChecked(True)   # the session's default
        self.train = button("Train", "Start / pause training", checkable=True)
        self.new = button("New model", "Forget the model and start from scratch")
        self.open = button("Open…", "Sample from a saved image checkpoint")
        self.save = button("Save…", "Save the model trained here")
        self.info = hint("")

        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(6, 4, 6, 4)
        form.addRow("Size", self.size)
        form.addRow("Process", self.process)
        form.addRow(self.conditional)
        form.addRow(row(self.train, self.new, self.open, self.save))
        form.addRow(self.info)

        self.size.activated.connect(self._emit_config)
        self.process.activated.connect(self._emit_config)
        self.conditional.toggled.connect(self._emit_config)
        self.new.clicked.connect(self._emit_config)
        self.train.toggled.connect(self._on_train)
        self.open.clicked.connect(self.open_requested)
        self.save.clicked.connect(self.save_requested)

    # --- outgoing --------------------------------------------------------------------------------------------
    def options(self) -> dict:
        """ConfigureModel's fields for the choices shown."""
        return {"size": self.size.currentData(), "conditional": self.conditional.isChecked(),
                **self.process_fields()}

    def process_fields(self) -> dict:
        """ConfigureModel's process, schedule_preset and rescale_zero_snr for the process shown."""
        return dict(PROCESS_CHOICES[self.process.currentData()][1])

    def set_options(self, options: dict) -> None:
        """Show these choices without asking for a model (the page sends its configuration itself)."""
        self.conditional.blockSignals(True)
        if "size" in options:
            select(self.size, options["size"])
        if "conditional" in options:
            self.conditional.setChecked(bool(options["conditional"]))
        if "process" in options:
            select(self.process, options["process"])     # a key of PROCESS_CHOICES
        self.conditional.blockSignals(False)

    def _emit_config(self, *_) -> None:
        self.train.setChecked(False)          # a fresh model starts paused
        self.configure.emit(self.options())

    def _on_train(self, on: bool) -> None:
        self.train.setText("Pause" if on else "Train")
        self.train_toggled.emit(on)

    # --- incoming --------------------------------------------------------------------------------------------
    def show_running(self, running: bool) -> None:
        show_toggle(self.train, running, "Pause", "Train")

    def show_frame(self, info) -> None:
        """A ModelInfo."""
        source = "" if info.source == "new" else f" from {Path(info.source).name}"
        self.info.setText(f"{info.size}: {info.parameters / 1e6:.2f} M parameters"
                          f"{', class-conditional' if info.conditional else ''}{source} on {info.device}")
