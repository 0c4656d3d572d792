"""``mentorbot programs list|validate``: curricula from the terminal."""

from __future__ import annotations

import sys
from pathlib import Path

from conversations.curriculum import CurriculumError, Library, load_file
from conversations.durations import describe_days


def list_curricula() -> int:
    try:
        library = Library.load()
    except CurriculumError as exc:
        print(exc, file=sys.stderr)
        return 1
    for key in library.available():
        c = library.curricula[key]
        guarded = ", safeguarded" if c.safeguarded else ""
        print(
            f"{key:26} {c.name}: {len(c.sessions)} sessions, {describe_days(c.cadence_days)}, "
            f"{c.duration}{guarded}"
        )
    return 0


def validate(files: list[Path]) -> int:
    failed = 0
    for path in files:
        try:
            curriculum = load_file(path)
        except CurriculumError as exc:
            failed += 1
            for problem in exc.problems:
                print(f"{path}: {problem}", file=sys.stderr)
            continue
        print(f"{path}: ok ({curriculum.name}, {len(curriculum.sessions)} sessions)")
    return 1 if failed else 0
