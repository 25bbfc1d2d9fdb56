"""Qt tests run offscreen unless the caller chose a platform (e.g. xcb under Xvfb for screenshots)."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
