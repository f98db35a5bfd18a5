"""`python -m scoreviz ...` is the same as the `scoreviz` command."""
import sys

from scoreviz.cli import main

sys.exit(main())
