"""`python -m studio.cli` = `shotreel`."""
import sys

from . import main

sys.exit(main())
