"""Programmes as data: curricula are YAML files, validated on load.

A curriculum is the structure that carries a new pair until trust forms:
ordered sessions with a goal, prompts and check-in questions, milestone pulses
and a closing reflection. Validation reports every problem with the file,
the place and the field (``sessions[3].prompts: must not be empty``) so an
author can fix them all in one go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from conversations.durations import parse_days

BUNDLED = Path(__file__).with_name("curricula")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Session(_Strict):
    title: Title
    goal: Text
    preparation: Text | None = None
    prompts: list[Prompt] = Field(min_length=1)
    checkin: list[Prompt] = Field(default_factory=list)


class Milestone(_Strict):
    day: int = Field(ge=1)
    title: Title
    questions: list[Prompt] = Field(min_length=1)


class Closing(_Strict):
    title: Title
    prompts: list[Prompt] = Field(min_length=1)


class Matching(_Strict):
    prefer_cross_department: bool = False


class Roles(_Strict):
    mentor: Text
    mentee: Text


class Curriculum(_Strict):
    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    version: int = Field(ge=1)
    name: Text
    description: Text
    audience: Text
    cadence: Text
    duration: Text
    safeguarded: bool = False
    matching: Matching = Matching()
    roles: Roles
    code_of_conduct: Text
    introduction: Text
    sessions: list[Session] = Field(min_length=1)
    milestones: list[Milestone] = Field(default_factory=list)
    closing: Closing

    @field_validator("cadence", "duration")
    @classmethod
    def _understood(cls, value: str) -> str:
        parse_days(value)
        return value

    @property
    def cadence_days(self) -> int:
        return parse_days(self.cadence)

    @property
    def duration_days(self) -> int:
        return parse_days(self.duration)

    @model_validator(mode="after")
    def _fits(self) -> Curriculum:
        cadence, duration = self.cadence_days, self.duration_days
        if (len(self.sessions) - 1) * cadence > duration:
            raise ValueError(
                f"{len(self.sessions)} sessions {self.cadence} take longer than {self.duration}"
            )
        days = [m.day for m in self.milestones]
        if days != sorted(set(days)):
            raise ValueError("milestones must be in order of day, each day once")
        if days and days[-1] > duration:
            raise ValueError(f"milestone on day {days[-1]} falls after the {self.duration} end")
        return self


class CurriculumError(Exception):
    """A curriculum file is not valid; ``problems`` lists every error found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


_FRIENDLY = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "string_too_short": "must not be empty",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "list_type": "must be a list",
    "string_type": "must be text",
    "model_type": "must be a mapping of fields",
    "model_attributes_type": "must be a mapping of fields",
}


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(file)"


def _friendly(error: Any) -> str:
    kind = error["type"]
    if kind == "too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long (at most {error['ctx']['max_length']} characters)"
    if kind == "string_pattern_mismatch":
        return "must be lower-case letters, digits and hyphens"
    if kind == "greater_than_equal":
        return f"must be at least {error['ctx']['ge']}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return _FRIENDLY.get(kind, str(error["msg"]).lower())


def parse(data: Any, *, source: str, expected_key: str | None = None) -> Curriculum:
    """Validate already-loaded YAML data."""
    if not isinstance(data, dict):
        raise CurriculumError(source, ["the file must be a mapping of fields (key: value)"])
    try:
        curriculum = Curriculum.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_location(e['loc'])}: {_friendly(e)}" for e in exc.errors()]
        raise CurriculumError(source, problems) from None
    if expected_key is not None and curriculum.key != expected_key:
        raise CurriculumError(
            source, [f"key: {curriculum.key!r} must match the file name {expected_key!r}"]
        )
    return curriculum


def load_file(path: Path) -> Curriculum:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CurriculumError(source, [f"cannot be read: {exc}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise CurriculumError(source, [f"{where}not valid YAML ({reason})"]) from None
    key = path.stem if re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", path.stem) else None
    return parse(data, source=source, expected_key=key)


@dataclass(frozen=True)
class Library:
    """The curricula a deployment offers, by key."""

    curricula: dict[str, Curriculum]

    @classmethod
    def load(cls, *folders: Path) -> Library:
        found: dict[str, Curriculum] = {}
        for folder in folders or (BUNDLED,):
            for path in sorted(folder.glob("*.yaml")):
                curriculum = load_file(path)
                found[curriculum.key] = curriculum
        return cls(found)

    def get(self, key: str) -> Curriculum | None:
        return self.curricula.get(key)

    def available(self) -> list[str]:
        return sorted(self.curricula)
