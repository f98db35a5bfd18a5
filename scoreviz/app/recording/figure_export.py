"""Figures for papers and handouts: the canvas and every plot of the window as PNG (at a scale, or 3840 px wide
for "4K"), SVG (pyqtgraph's SVGExporter) or PDF (QPdfWriter), from File → Export figure… (pyqtgraph's own
context menus are switched off in the app).

* PNG: the widget drawn into an image of scale × its size whose device-pixel ratio is the scale, so text,
  cosmetic pens and points are drawn at the higher resolution (not an enlarged screenshot).
* SVG: vector paths for the axes, arrows and curves; the heat map stays an embedded image.
* PDF: one page the widget's size in points, drawn with Qt's PDF engine (vectors, images embedded).
"""
from __future__ import annotations

from pathlib import Path

from scoreviz.app.qt import QtCore, QtGui, QtWidgets, pg

FORMATS = (".png", ".svg", ".pdf")
FOUR_K_WIDTH = 3840
#: Scales offered in the dialog; "4k" is a width of FOUR_K_WIDTH pixels.
SCALES = (("1×", 1.0), ("2×", 2.0), ("3×", 3.0), ("4K (3840 px wide)", "4k"))


def figure_targets(window) -> dict[str, tuple[str, QtWidgets.QWidget]]:
    """What can be exported, key → (label, the pyqtgraph view widget): the canvas (or the 1-D plot when the
    data are 1-D), the loss plot, the loss per σ, the mode weights, the schedule plots and the quality-vs-NFE
    figure, where present."""
    canvas = window.stack.currentWidget() if hasattr(window, "stack") else window.scene.widget
    targets = {"canvas": ("Canvas" if canvas is window.scene.widget else "Canvas (1-D plots)", canvas)}
    tp, sp = window.training_panel, window.sampling_panel
    targets["loss"] = ("Loss plot", tp.loss_plot)
    targets["per_sigma"] = ("Loss per σ", tp.level_plot)
    targets["modes"] = ("Mode weights", sp.modes_plot)
    panel = getattr(getattr(window, "schedule_dock", None), "panel", None)
    if panel is not None:
        targets["schedule"] = ("Schedule plots", panel.plots)
        targets["nfe_sweep"] = ("Quality vs NFE", panel.nfe.plots)
    return targets


def export_figure(widget: QtWidgets.QWidget, path, scale: float | str = 2.0) -> Path:
    """Write `widget` (a pyqtgraph view) to `path`; the format from its suffix (.png/.svg/.pdf). `scale`: the
    PNG's size over the widget's (a number) or "4k" (3840 px wide); SVG and PDF are vectors at 1×.
    Raises ValueError for an unknown format, OSError if the file cannot be written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: export as .png, .svg or .pdf (got {suffix or 'no suffix'!r})")
    if not path.expanduser().resolve().parent.is_dir():
        raise OSError(f"{path}: its folder does not exist")
    size = _size(widget)
    if suffix == ".png":
        factor = FOUR_K_WIDTH / size.width() if scale == "4k" else float(scale)
        if not factor > 0:
            raise ValueError(f"the scale must be positive (got {scale})")
        image = render_image(widget, factor)
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
    elif suffix == ".svg":
        _export_svg(widget, path)
    else:
        _export_pdf(widget, path, size)
    return path


def render_image(widget: QtWidgets.QWidget, scale: float = 1.0) -> QtGui.QImage:
    """`widget` drawn into an image round(scale × its size) pixels, at a device-pixel ratio of `scale`."""
    size = _size(widget)
    w, h = max(1, round(size.width() * scale)), max(1, round(size.height() * scale))
    image = QtGui.QImage(w, h, QtGui.QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(w / size.width())
    image.fill(_background(widget))
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
    widget.render(painter)
    painter.end()
    return image


def _size(widget) -> QtCore.QSize:
    widget.ensurePolished()
    size = widget.size()
    if size.width() < 2 or size.height() < 2:
        raise ValueError("the figure has no size yet (is it shown?)")
    return size


def _background(widget) -> QtGui.QColor:
    brush = widget.backgroundBrush() if hasattr(widget, "backgroundBrush") else None
    if brush is not None and brush.style() != QtCore.Qt.BrushStyle.NoBrush:
        return brush.color()
    return widget.palette().color(QtGui.QPalette.ColorRole.Window)


def _scene_item(widget):
    """The item an exporter walks: a PlotWidget's PlotItem, a GraphicsLayoutWidget's layout."""
    if isinstance(widget, pg.PlotWidget):
        return widget.getPlotItem()
    if hasattr(widget, "ci"):
        return widget.ci
    return widget.scene()


def _export_svg(widget, path: Path) -> None:
    from pyqtgraph.exporters import SVGExporter

    _accept_closed_paths()
    exporter = SVGExporter(_scene_item(widget))
    exporter.params["background"] = _background(widget)
    exporter.export(fileName=str(path))
    if not path.is_file():
        raise OSError(f"could not write {path}")


def _accept_closed_paths() -> None:
    """pyqtgraph 0.13–0.14 re-parses the paths Qt's SVG engine writes as "x,y" tokens; Qt ≥ 6.8 ends closed
    paths (the view's background rectangle) with a "Z" token, which that parser cannot split. Qt also writes
    the closing point itself, so dropping the "Z" changes nothing drawn: do that before pyqtgraph parses."""
    import importlib

    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    correct = module.correctCoordinates
    if getattr(correct, "_closed_paths_ok", False):
        return

    def tolerant(node, defs, item, options):
        for element in node.getElementsByTagName("path"):
            d = element.getAttribute("d")
            if "Z" in d or "z" in d:
                element.setAttribute("d", " ".join(t for t in d.split() if t not in ("Z", "z")))
        return correct(node, defs, item, options)

    tolerant._closed_paths_ok = True
    module.correctCoordinates = tolerant


def _export_pdf(widget, path: Path, size: QtCore.QSize) -> None:
    writer = QtGui.QPdfWriter(str(path))
    writer.setResolution(72)                         # one point per pixel of the widget
    writer.setPageSize(QtGui.QPageSize(QtCore.QSizeF(size.width(), size.height()), QtGui.QPageSize.Unit.Point))
    writer.setPageMargins(QtCore.QMarginsF(0, 0, 0, 0))
    writer.setCreator("scoreviz")
    painter = QtGui.QPainter()
    if not painter.begin(writer):
        raise OSError(f"could not write {path}")
    painter.fillRect(QtCore.QRect(0, 0, size.width(), size.height()), _background(widget))
    widget.render(painter)
    painter.end()


class ExportDialog(QtWidgets.QDialog):
    """File → Export figure…: what (canvas or a plot), format and scale; `ask_export` asks for the file."""

    def __init__(self, window):
        super().__init__(window)
        self.setWindowTitle("Export figure")
        self.targets = figure_targets(window)
        self.what = QtWidgets.QComboBox()
        for key, (label, _) in self.targets.items():
            self.what.addItem(label, key)
        self.format = QtWidgets.QComboBox()
        for label, suffix in (("PNG image", ".png"), ("SVG (vector)", ".svg"), ("PDF (vector)", ".pdf")):
            self.format.addItem(label, suffix)
        self.scale = QtWidgets.QComboBox()
        for label, value in SCALES:
            self.scale.addItem(label, value)
        self.scale.setCurrentIndex(1)
        self.format.currentIndexChanged.connect(lambda _i: self.scale.setEnabled(self.format.currentData() == ".png"))
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout(self)
        form.addRow("Export", self.what)
        form.addRow("Format", self.format)
        form.addRow("Scale", self.scale)
        form.addRow(buttons)

    def choice(self) -> tuple[str, str, float | str]:
        """(target key, suffix, scale)."""
        return self.what.currentData(), self.format.currentData(), self.scale.currentData()


def ask_export(window) -> None:
    """The dialog, then a file name, then the file; errors become a message in the window."""
    dialog = ExportDialog(window)
    if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
        return
    key, suffix, scale = dialog.choice()
    label, widget = dialog.targets[key]
    name = f"scoreviz-{key}{suffix}"
    path, _ = QtWidgets.QFileDialog.getSaveFileName(window, f"Export {label.lower()}", name, f"*{suffix}")
    if not path:
        return
    if not path.lower().endswith(suffix):
        path += suffix
    try:
        export_figure(widget, path, scale)
    except (OSError, ValueError) as exc:
        window.show_message("error", f"Export failed: {exc}")
        return
    window.show_message("info", f"Exported the {label.lower()} to {path}.")
