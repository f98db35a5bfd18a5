"""Sampling: sampler, NFE, seed, class and guidance (conditional) or autoguidance (unconditional); sample,
save the grid as a PNG; the run's progress."""
from __future__ import annotations

from scoreviz.core.recipes.images import DEFAULT_AUTOGUIDANCE, DEFAULT_GUIDANCE, DEFAULT_SAMPLER, default_nfe
from scoreviz.core.sampler_registry import sampler_labels
from scoreviz.lab.images.frames import ImageSampleRequest

from scoreviz.app.panels.common import button, combo, row, select, spin_box, value_label
from scoreviz.app.qt import QtCore, QtWidgets


class ImageSamplingPanel(QtWidgets.QGroupBox):
    sample_requested = QtCore.Signal()
    save_png_requested = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__("Sampling", parent)
        self.sampler = combo([(label, key) for key, label in sampler_labels().items()], "How the images are drawn")
        select(self.sampler, DEFAULT_SAMPLER)
        # the run's length is its NFE, as everywhere (core.sampler_registry); the option keeps the name "steps"
        self.steps = spin_box(1, 10_000, default_nfe(DEFAULT_SAMPLER), 1,
                              "Network evaluations (NFE) of the run (the recipe's by default)")
        self.seed = spin_box(0, 2**31 - 1, 0, 1, "Random seed of the run")
        self.class_combo = combo([("all classes", None)], "The class to draw (conditional models)")
        self.guidance = spin_box(0.0, 10.0, DEFAULT_GUIDANCE, 0.5, "Classifier-free guidance weight (conditional models)")
        self.autoguidance = spin_box(1.0, 5.0, DEFAULT_AUTOGUIDANCE, 0.5,
                                     "Unconditional models: step this far away from an early copy of the model "
                                     "(autoguidance, Karras et al. 2024); 1 turns it off")
        self.sample = button("Sample", "Draw 64 images from noise")
        self.save_png = button("Save PNG…", "Save the last finished grid")
        self.save_png.setEnabled(False)
        self.status = value_label("")

        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(6, 4, 6, 4)
        form.addRow("Sampler", self.sampler)
        form.addRow("NFE", row(self.steps, QtWidgets.QLabel("seed"), self.seed))
        form.addRow("Class", row(self.class_combo, QtWidgets.QLabel("guidance"), self.guidance))
        form.addRow("Autoguidance", self.autoguidance)
        form.addRow(row(self.sample, self.save_png))
        form.addRow(self.status)
        self.set_classes(False, ())

        self.sampler.currentIndexChanged.connect(self._on_sampler)
        self.sample.clicked.connect(self.sample_requested)
        self.save_png.clicked.connect(self.save_png_requested)

    def _on_sampler(self, _i: int) -> None:
        self.steps.setValue(default_nfe(self.sampler.currentData()))

    # --- outgoing --------------------------------------------------------------------------------------------
    def request(self, conditional: bool) -> ImageSampleRequest:
        """What to sample: class and guidance for a conditional model, autoguidance for an unconditional one."""
        return ImageSampleRequest(
            sampler=self.sampler.currentData(), steps=self.steps.value(), seed=self.seed.value(),
            class_label=self.class_combo.currentData() if conditional else None,
            guidance=self.guidance.value() if conditional else 0.0,
            autoguidance=1.0 if conditional else self.autoguidance.value())

    def options(self) -> dict:
        return {"sampler": self.sampler.currentData(), "steps": self.steps.value(), "seed": self.seed.value(),
                "guidance": self.guidance.value(), "autoguidance": self.autoguidance.value()}

    def set_options(self, o: dict) -> None:
        if "sampler" in o:
            select(self.sampler, o["sampler"])          # sets the recipe's steps ...
        if "steps" in o:
            self.steps.setValue(int(o["steps"]))        # ... which the remembered ones replace
        if "seed" in o:
            self.seed.setValue(int(o["seed"]))
        for box, key in ((self.guidance, "guidance"), (self.autoguidance, "autoguidance")):
            if key in o:
                box.setValue(float(o[key]))

    # --- incoming --------------------------------------------------------------------------------------------
    def set_classes(self, conditional: bool, class_names) -> None:
        """The data's classes; class and guidance for conditional models, autoguidance for the others."""
        current = self.class_combo.currentData()
        self.class_combo.clear()
        self.class_combo.addItem("all classes", None)
        for k, name in enumerate(class_names):
            self.class_combo.addItem(name, k)
        if current is not None and current < len(class_names):
            self.class_combo.setCurrentIndex(current + 1)
        self.class_combo.setEnabled(conditional)
        self.guidance.setEnabled(conditional)
        self.autoguidance.setEnabled(not conditional)

    def show_frame(self, s) -> None:
        """A SampleFrame."""
        self.status.setText(f"step {s.index}/{s.total}   σ = {s.noise_level:.3g}" + ("   done" if s.done else ""))
        if s.done:
            self.save_png.setEnabled(True)
