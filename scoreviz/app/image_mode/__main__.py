"""`python -m scoreviz.app.image_mode [--data DIR] [--model cpu|unet|gpu|tiny] [--quit-after MS]`."""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scoreviz.app.image_mode")
    parser.add_argument("--data", default=None, help="folder with the IDX files, or an .npz file")
    from scoreviz.core.recipes.images import RECIPES

    parser.add_argument("--model", default="cpu", choices=list(RECIPES))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quit-after", type=int, default=0, metavar="MS", help="close after MS ms (smoke tests)")
    args = parser.parse_args(argv)
    from ..qt import QtCore, QtWidgets
    from .widget import ImageModeWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    window = ImageModeWindow(data_dir=args.data, model_size=args.model, device=args.device)
    window.show()
    if args.quit_after:
        QtCore.QTimer.singleShot(args.quit_after, window.close)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
