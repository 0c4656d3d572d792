#!/usr/bin/env python3
"""One-command setup for a fresh clone: needs nothing but Python 3.11+.

    python3 dev.py demo              set everything up, then run the demo
    python3 dev.py test              set everything up, then run ruff, mypy and the whole
                                     test suite, in parallel on every core
    python3 dev.py test --fast       the same, but only the in-process tests (no `slow`,
                                     no `process` marker): about 1¼ min on SQLite, 2½ with
                                     TEST_DATABASE_URL too, on an idle 2-core machine
    python3 dev.py test <pytest args>  e.g. tests/engine -q -x, or -n 0 to run serially
    python3 dev.py <args>            set everything up, then run `mentorbot <args>`

It creates ``.venv`` beside this file and installs the project (editable, with
its test extras) into it, again only when pyproject.toml has changed.

``test`` runs pytest on every core (pytest-xdist ``-n auto``, work-stealing, since
a few tests take far longer than the rest); pass ``-n 0`` (or your own ``-n``) to
choose. ruff and mypy run beside pytest rather than before it, and their output is
shown after pytest's; any of the three failing fails the command. Set
``TEST_DATABASE_URL`` (as .ci/run does) to run every database test on PostgreSQL
too; each pytest worker makes its own throwaway database there.
Markers: ``slow`` (over ~3 s), ``process`` (starts real processes) and
``postgres`` (the PostgreSQL leg), e.g. ``python3 dev.py test -m "not postgres"``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import IO

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


FAST = ["-m", "not slow and not process"]


def pytest_arguments(args: list[str]) -> list[str]:
    """What ``dev.py test <args>`` hands pytest: ``--fast`` becomes the marker filter, and
    the run is spread over every core unless the caller chose (``-n``, ``-p no:xdist``)."""
    chosen = [arg for arg in args if arg != "--fast"]
    if len(chosen) < len(args):
        chosen = [*FAST, *chosen]
    picked = any(
        arg in ("-n", "--numprocesses", "no:xdist")
        or arg.startswith(("-n", "--numprocesses=", "--dist"))
        for arg in chosen
    )
    if not picked:
        chosen = ["-n", "auto", "--dist", "worksteal", *chosen]
    return chosen


def run_tests(python: str, args: list[str]) -> int:
    """ruff and mypy beside pytest, not before it: on a fresh clone (CI) mypy needs a minute
    or so of one core, which then overlaps the tests instead of delaying their start.
    Their output is printed after pytest's so the two never interleave."""
    checks: list[tuple[list[str], subprocess.Popen[bytes], IO[bytes]]] = []
    for check in (["ruff", "check", "."], ["mypy"]):
        output = tempfile.TemporaryFile(prefix="mentorbot-check-")  # noqa: SIM115 (read after)
        process = subprocess.Popen(
            [python, "-m", *check], cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )
        checks.append((check, process, output))
    tests = subprocess.run([python, "-m", "pytest", *pytest_arguments(args)], cwd=ROOT)
    failed = tests.returncode != 0
    for check, process, captured in checks:
        code = process.wait()
        captured.seek(0)
        print(f"\n$ {' '.join(check)}  (exit {code})", flush=True)
        sys.stdout.buffer.write(captured.read())
        sys.stdout.flush()
        captured.close()
        failed = failed or code != 0
    return tests.returncode or int(failed)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    python = str(ensure_environment())
    if argv[0] == "test":
        return run_tests(python, argv[1:])
    return subprocess.run([python, "-m", "bot", *argv], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
