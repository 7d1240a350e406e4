"""Hugging Face Space entry point: the same app as `make run` (`python -m ui.app`).

On a Space (SPACE_ID is set) the server must listen on all interfaces; everything else comes
from the usual config (env vars such as TUTOR_TEACHER_PASSWORD, set as Space secrets).
"""

from __future__ import annotations

import os
import sys

from ui.app import main

if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    argv = sys.argv[1:]
    if os.environ.get("SPACE_ID") and "--server.host" not in argv:
        argv = ["--server.host", "0.0.0.0", *argv]
    main(argv)
