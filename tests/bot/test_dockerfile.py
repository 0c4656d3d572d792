"""The Dockerfile builds what pyproject packages and runs what docs/deploying.md documents.

No Docker daemon runs where the tests do, so the image itself is not built here; this
keeps the file true to the project as it changes (a new package folder that the image
would miss, a port or command that drifted), which is how such files usually break.
"""

from __future__ import annotations

import json
import re
import tomllib

from bot.config import Settings
from tests.support.paths import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions(name: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [
        line.split(None, 1)[1]
        for line in joined.splitlines()
        if line.strip() and not line.startswith("#") and line.split(None, 1)[0] == name
    ]


def test_every_packaged_folder_is_copied_into_the_build() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packaged = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = {c.split()[0] for c in instructions("COPY") if not c.startswith("--from")}
    assert packaged <= copied
    for source in copied:
        assert (ROOT / source).exists(), f"COPY {source}: no such file"
    # The README is the package's long description: the wheel build needs it.
    assert {"pyproject.toml", "README.md"} <= {
        word for c in instructions("COPY") for word in c.split()[:-1]
    }


def test_the_image_serves_on_the_default_port_and_checks_liveness() -> None:
    port = Settings.model_fields["port"].default
    assert instructions("EXPOSE") == [str(port)]
    assert f"PORT={port}" in DOCKERFILE
    assert json.loads(instructions("CMD")[-1]) == ["mentorbot", "serve"]
    [health] = instructions("HEALTHCHECK")
    assert "/healthz" in health
    assert instructions("USER") == ["mentorbot"]
    assert instructions("STOPSIGNAL") == ["SIGTERM"]


def test_the_deploying_page_describes_this_image() -> None:
    page = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
    port = Settings.model_fields["port"].default
    assert f"listens on `PORT` ({port})" in page
    assert "checks its own `/healthz`" in page
    assert f"-p {port}:{port}" in page


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for local in (".venv", "var", ".git", "*.sqlite3", ".env"):
        assert local in ignored
