"""`python -m scoreviz.app.image_mode [--data DIR] [--model cpu|unet|gpu|tiny] [--quit-after MS]`.

Choices are remembered between runs (the window's settings, keys ``images.*``), except in a scripted run
(``--quit-after``), which neither reads nor writes them."""
from __future__ import annotations

import argparse
import sys

from scoreviz.names import IMAGE_MODEL_SIZES, keys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scoreviz.app.image_mode")
    parser.add_argument("--data", default=None, help="folder with the IDX files, or an .npz file")
    parser.add_argument("--model", default="cpu", choices=keys(IMAGE_MODEL_SIZES))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quit-after", type=int, default=0, metavar="MS", help="close after MS ms (smoke tests)")
    args = parser.parse_args(argv)
    from scoreviz.app.qt import QtCore, QtWidgets
    from scoreviz.app.window.settings import Settings
    from scoreviz.app.image_mode.widget import ImageModeWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    settings = None if args.quit_after else Settings()
    window = ImageModeWindow(data_dir=args.data, model_size=args.model, device=args.device, settings=settings)
    window.show()
    if args.quit_after:
        QtCore.QTimer.singleShot(args.quit_after, window.close)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
