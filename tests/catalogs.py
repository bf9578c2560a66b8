"""The app-level zh_Hans catalogs of scoring, reports, nightly and webhooks, for the tests that read them.

`make install` compiles the catalogs; a test run from a checkout where the .mo files are missing or older than
their .po compiles them first (atomically, so parallel workers do not read half a file) and drops Django's
cached translations so the fresh ones are read.
"""

import os
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_APPS = ("scoring", "reports", "nightly", "webhooks")


def domain_catalogs() -> list[Path]:
    return [ROOT / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po" for app in DOMAIN_APPS]


def compile_domain_catalogs() -> None:
    compiled = False
    for po in domain_catalogs():
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        handle, tmp = tempfile.mkstemp(dir=po.parent, suffix=".tmp.mo")
        os.close(handle)
        subprocess.run(["msgfmt", "--check-format", "-o", tmp, str(po)], check=True)  # noqa: S603, S607
        os.replace(tmp, mo)
        compiled = True
    if compiled:
        from asgiref.local import Local
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._default = None
        trans_real._active = Local()
