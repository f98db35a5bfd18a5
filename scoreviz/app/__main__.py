"""`python -m scoreviz.app [options]`: the desktop app, the same as `scoreviz-app` and `python main.py`."""
import sys

from scoreviz.app.startup.launch import main

sys.exit(main())
