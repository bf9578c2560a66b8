"""What every browser test shares: Debian's Chromium (Playwright never downloads a browser), its flags, and the
marks that skip a test where Chromium is missing."""

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MARKS = [pytest.mark.browser, pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"needs Chromium at {CHROMIUM}")]
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"

# The live server runs in the test's thread while Playwright's sync API holds an event loop.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
