#!/usr/bin/env python3
"""One-command setup for a fresh clone: needs nothing but Python 3.11+.

    python3 dev.py demo      set everything up, then run the demo
    python3 dev.py test      set everything up, then run ruff, mypy and the whole test suite
    python3 dev.py <args>    set everything up, then run `mentorbot <args>`

It creates ``.venv`` beside this file and installs the project (editable, with
its test extras) into it, again only when pyproject.toml has changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".mentorbot-installed"


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _healthy() -> bool:
    if not _python().exists():
        return False
    probe = subprocess.run(
        [str(_python()), "-c", "import sys; assert sys.version_info >= (3, 11)"],
        capture_output=True,
    )
    return probe.returncode == 0


def ensure_environment() -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036 (this file must run on any python3)
        sys.exit(f"mentorbot needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not _healthy():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != digest:
        print("Installing mentorbot and its dependencies into .venv …", flush=True)
        pip = [str(_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True, cwd=ROOT)
        STAMP.write_text(digest)
    return _python()


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    python = str(ensure_environment())
    if argv[0] == "test":
        for check in (["ruff", "check", "."], ["mypy"]):
            if subprocess.run([python, "-m", *check], cwd=ROOT).returncode != 0:
                return 1
        return subprocess.run([python, "-m", "pytest", *argv[1:]], cwd=ROOT).returncode
    return subprocess.run([python, "-m", "bot", *argv], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
