"""`python -m ui [PROJECT]`: the studio (same as `python -m ui.app`)."""
import sys

from .app import main

sys.exit(main())
