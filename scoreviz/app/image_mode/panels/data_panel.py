"""Data: MNIST or Fashion-MNIST, a folder to load from, and the "not found — download?" offer with progress."""
from __future__ import annotations

from scoreviz.lab.images import frames as fr
from scoreviz.names import IMAGE_DATA

from scoreviz.app.panels.common import button, combo, hint, row, select
from scoreviz.app.qt import QtCore, QtWidgets

PROGRESS_STEPS = 1000


class ImageDataPanel(QtWidgets.QGroupBox):
    kind_changed = QtCore.Signal(str)
    folder_requested = QtCore.Signal()
    download_requested = QtCore.Signal()
    cancel_requested = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__("Data", parent)
        self.kind = combo([(label, key) for key, label in IMAGE_DATA.items()], "Which image data set to train on")
        self.folder_button = button("Choose folder…", "A folder with the IDX files, or an .npz file's folder")
        self.data_label = hint("Looking for data…")
        self.download_frame = QtWidgets.QFrame()
        self.download_label = hint("MNIST not found — download it (about 11 MB)?")
        self.download_button = button("Download MNIST")
        self.cancel_button = button("Cancel", "Stop the download")
        self.cancel_button.setEnabled(False)
        self.download_progress = QtWidgets.QProgressBar()
        self.download_progress.setRange(0, PROGRESS_STEPS)
        self.download_progress.setValue(0)

        offer = QtWidgets.QVBoxLayout(self.download_frame)
        offer.setContentsMargins(0, 0, 0, 0)
        offer.addWidget(self.download_label)
        offer.addWidget(row(self.download_button, self.cancel_button))
        offer.addWidget(self.download_progress)
        self.download_frame.setVisible(False)
        form = QtWidgets.QVBoxLayout(self)
        form.setContentsMargins(6, 4, 6, 4)
        form.addWidget(row(self.kind, self.folder_button))
        form.addWidget(self.data_label)
        form.addWidget(self.download_frame)

        self.kind.activated.connect(self._on_kind)
        self.folder_button.clicked.connect(self.folder_requested)
        self.download_button.clicked.connect(self.download_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)

    def _on_kind(self, _i: int) -> None:
        self.kind_changed.emit(self.kind.currentData())

    # --- options ---------------------------------------------------------------------------------------------
    def options(self) -> dict:
        return {"kind": self.kind.currentData()}

    def set_options(self, options: dict) -> None:
        if "kind" in options:
            select(self.kind, options["kind"])

    # --- incoming --------------------------------------------------------------------------------------------
    def show_looking(self) -> None:
        self.data_label.setStyleSheet("")
        self.data_label.setText("Looking for data…")

    def show_downloading(self, on: bool) -> None:
        self.download_button.setEnabled(not on)
        self.cancel_button.setEnabled(on)
        if on:
            self.download_progress.setValue(0)

    def show_frame(self, frame, download_dir: str | None = None) -> None:
        """DataReady, DataMissing (``download_dir``: where a download would go instead of the default) or
        DownloadProgress."""
        if isinstance(frame, fr.DataReady):
            self.download_frame.setVisible(False)
            self.data_label.setStyleSheet("")
            self.data_label.setText(f"{frame.name}: {frame.n:,} images from {frame.source}")
        elif isinstance(frame, fr.DataMissing):
            self.data_label.setStyleSheet("color: #e0554f")
            self.data_label.setText(frame.reason)
            self.download_frame.setVisible(frame.can_download)
            self.download_label.setText(f"MNIST not found — download it (about 11 MB, verified) into "
                                        f"{download_dir or frame.download_dir}?")
        elif isinstance(frame, fr.DownloadProgress):
            if frame.finished:
                self.show_downloading(False)
                self.download_progress.setValue(PROGRESS_STEPS if frame.ok else 0)
            else:
                fraction = frame.done / frame.total if frame.total else 0.0
                self.download_progress.setValue(int(PROGRESS_STEPS * fraction))
                self.download_progress.setFormat(f"{frame.filename} %p%")
