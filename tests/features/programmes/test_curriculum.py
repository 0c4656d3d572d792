"""Curricula are data: bundled ones load, broken ones are reported precisely."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from conversations.curriculum import BUNDLED, CurriculumError, Library, load_file

GOOD = yaml.safe_load((BUNDLED / "new-hire-buddy.yaml").read_text())


def _write(tmp_path: Path, data: object, name: str = "new-hire-buddy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def _problems(tmp_path: Path, data: object, name: str = "new-hire-buddy.yaml") -> list[str]:
    with pytest.raises(CurriculumError) as caught:
        load_file(_write(tmp_path, data, name))
    return caught.value.problems


def test_the_four_bundled_curricula_load_with_their_promised_shape() -> None:
    library = Library.load()
    shape = {
        key: (len(c.sessions), c.cadence_days, c.duration_days, c.safeguarded)
        for key, c in library.curricula.items()
    }
    assert shape == {
        "new-hire-buddy": (6, 7, 42, False),
        "cross-department-career": (12, 14, 180, False),
        "teacher-peer-mentoring": (8, 21, 180, False),
        "stem-youth-mentoring": (8, 14, 120, True),
    }
    assert library.curricula["cross-department-career"].matching.prefer_cross_department


def test_an_empty_prompt_list_is_reported_by_session_and_field(tmp_path: Path) -> None:
    data = {**GOOD, "sessions": [dict(s) for s in GOOD["sessions"]]}
    data["sessions"][3]["prompts"] = []
    assert _problems(tmp_path, data) == ["sessions[3].prompts: must not be empty"]


def test_every_error_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    data = {**GOOD, "sessions": [dict(s) for s in GOOD["sessions"]]}
    del data["name"]
    data["colour"] = "blue"
    data["sessions"][0]["title"] = "x" * 61
    data["sessions"][2]["goal"] = "   "
    data["cadence"] = "now and then"
    problems = _problems(tmp_path, data)
    assert "name: is required" in problems
    assert "colour: is not a known field" in problems
    assert "sessions[0].title: is too long (at most 60 characters)" in problems
    assert "sessions[2].goal: must not be empty" in problems
    assert any(p.startswith("cadence: 'now and then' is not a duration") for p in problems)
    assert len(problems) == 5


def test_a_schedule_longer_than_the_programme_is_refused(tmp_path: Path) -> None:
    data = {**GOOD, "duration": "2 weeks"}
    assert _problems(tmp_path, data) == ["(file): 6 sessions every week take longer than 2 weeks"]


def test_milestones_must_fall_inside_the_programme_in_order(tmp_path: Path) -> None:
    data = {
        **GOOD,
        "milestones": [
            {"day": 40, "title": "a", "questions": ["q"]},
            {"day": 10, "title": "b", "questions": ["q"]},
        ],
    }
    assert _problems(tmp_path, data) == [
        "(file): milestones must be in order of day, each day once"
    ]


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "key: a\nsessions: [\n  - title: x\n")
    assert len(problems) == 1 and problems[0].startswith("line ")
    assert "not valid YAML" in problems[0]


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    assert _problems(tmp_path, "- just\n- a list\n") == [
        "the file must be a mapping of fields (key: value)"
    ]


def test_the_key_must_match_the_file_name(tmp_path: Path) -> None:
    assert _problems(tmp_path, GOOD, name="buddies.yaml") == [
        "key: 'new-hire-buddy' must match the file name 'buddies'"
    ]


def test_programs_validate_reports_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = {**GOOD, "sessions": [dict(s) for s in GOOD["sessions"]]}
    data["sessions"][3]["prompts"] = []
    broken = _write(tmp_path, data)
    assert main(["programs", "validate", str(broken)]) == 1
    assert capsys.readouterr().err == f"{broken}: sessions[3].prompts: must not be empty\n"
    assert main(["programs", "validate", str(BUNDLED / "stem-youth-mentoring.yaml")]) == 0
    assert "ok (Women in STEM youth mentoring, 8 sessions)" in capsys.readouterr().out


def test_programs_list_names_every_bundled_curriculum(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["programs", "list"]) == 0
    out = capsys.readouterr().out
    for key in (
        "new-hire-buddy",
        "cross-department-career",
        "teacher-peer-mentoring",
        "stem-youth-mentoring",
    ):
        assert key in out
    assert "8 sessions, every 2 weeks, 4 months, safeguarded" in out
