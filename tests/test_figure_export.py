"""Figure export (File → Export figure…): PNG at a scale has that many times the pixels, 4K is 3840 px wide,
SVG is XML with vector paths, PDF is a PDF; every plot the dialog offers can be exported."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app_helpers import window  # noqa: F401
from scoreviz.app.recording.figure_export import ExportDialog, export_figure, figure_targets
from scoreviz.app.qt import QtGui

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")   # the offscreen plugin's note on show()


@pytest.fixture
def shown(window, qtbot):  # noqa: F811
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.last_field is not None, timeout=20_000)
    return window


def _png_size(path) -> tuple[int, int]:
    image = QtGui.QImage(str(path))
    assert not image.isNull()
    return image.width(), image.height()


def test_png_at_2x_has_twice_the_pixels_each_way(shown, tmp_path):
    canvas = figure_targets(shown)["canvas"][1]
    w, h = canvas.width(), canvas.height()
    export_figure(canvas, tmp_path / "one.png", scale=1)
    export_figure(canvas, tmp_path / "two.png", scale=2)
    assert _png_size(tmp_path / "one.png") == (w, h)
    assert _png_size(tmp_path / "two.png") == (2 * w, 2 * h)
    export_figure(canvas, tmp_path / "4k.png", scale="4k")
    assert _png_size(tmp_path / "4k.png")[0] == 3840


def test_svg_is_xml_with_paths(shown, tmp_path):
    canvas = figure_targets(shown)["canvas"][1]
    path = export_figure(canvas, tmp_path / "canvas.svg")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert tags & {"path", "line", "polyline"}, tags


def test_pdf_starts_with_the_pdf_magic(shown, tmp_path):
    path = export_figure(figure_targets(shown)["canvas"][1], tmp_path / "canvas.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5_000


def test_every_target_exports(shown, tmp_path):
    targets = figure_targets(shown)
    assert {"canvas", "loss", "per_sigma", "modes"} <= set(targets)
    for key, (_, widget) in targets.items():
        if widget.width() < 2 or widget.height() < 2:
            continue            # a plot that is not laid out (hidden until it has something to show)
        for suffix in (".png", ".svg", ".pdf"):
            assert (export_figure(widget, tmp_path / f"{key}{suffix}")).stat().st_size > 0


def test_dialog_offers_targets_formats_and_scales(shown, qtbot):
    dialog = ExportDialog(shown)
    qtbot.addWidget(dialog)
    assert dialog.what.count() == len(figure_targets(shown))
    assert [dialog.format.itemData(i) for i in range(dialog.format.count())] == [".png", ".svg", ".pdf"]
    assert dialog.choice() == ("canvas", ".png", 2.0)
    dialog.format.setCurrentIndex(1)
    assert not dialog.scale.isEnabled()


def test_unknown_format_is_refused(shown, tmp_path):
    with pytest.raises(ValueError, match=".png, .svg or .pdf"):
        export_figure(shown.scene.widget, tmp_path / "canvas.jpg")
