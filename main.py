"""Start the scoreviz desktop app: `python main.py [options]` (see `python main.py --help`)."""
import sys

from scoreviz.app.startup.launch import main

if __name__ == "__main__":
    sys.exit(main())
