"""Reading a participants CSV: every row checked, every problem reported at once.

Coordinators keep rosters in spreadsheets, so an import must say exactly which
cell is wrong ("line 7, column timezone: …") and list all of them in one go;
fixing a file one error per attempt is miserable. This module only reads and
validates text; it never touches the database, so the import command can
decide, with the whole picture, whether to refuse the file or skip bad rows.
Profile fields are checked by the same validators as ``join`` and ``enroll``
(``conversations.profiles``), so a value accepted here is accepted everywhere.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from conversations import inbound
from conversations.errors import UserError
from conversations.grammar import person_ref
from conversations.profiles import Profile, parse_profile, side
from storage.models import Side
from storage.repositories import PLACEHOLDER_PREFIX

COLUMNS = (
    "id",
    "email",
    "name",
    "role",
    "department",
    "title",
    "seniority",
    "manager",
    "skills",
    "interests",
    "goals",
    "capacity",
    "timezone",
    "languages",
)
COLUMN_LIST = ", ".join(COLUMNS)
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
LIST_COLUMNS = ("skills", "interests", "languages")
PROFILE_COLUMNS = ("department", "title", "seniority", "goals", "capacity", "timezone")
_MAX_ITEMS = 20
_MAX_ITEM_LENGTH = 60
_MAX_NAME = 200
_MAX_EMAIL = 320
_EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+$")
_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@])")
"""Our export prefixes cells that start like a formula with ``'`` (so a spreadsheet
doesn't run them); strip it again so an exported file imports cleanly."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the file, where a spreadsheet user can find it."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportRow:
    """A valid row: one person's place in the programme, as mentor or mentee."""

    line: int
    user_id: str
    """The platform id from the id column ("" when only an email was given)."""
    email: str
    name: str
    side: Side
    profile: Profile
    capacity_given: bool
    """Whether the capacity cell was filled: a blank one keeps a mentor's current capacity."""
    manager: str
    """The manager's id or email as written ("" for none)."""

    @property
    def label(self) -> str:
        return self.name or self.user_id or self.email


@dataclass(frozen=True, slots=True)
class Directory:
    """Who the workspace already knows, so a manager outside the file can be named."""

    ids: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    """Lower-cased."""

    def knows(self, ref: str) -> bool:
        return ref in self.ids or ref.lower() in self.emails


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: tuple[ImportRow, ...]
    problems: tuple[Problem, ...]
    bad_lines: frozenset[int] = field(default_factory=frozenset)
    """Lines with at least one problem: the rows --skip-invalid leaves out."""


def looks_like_email(value: str) -> bool:
    return len(value) <= _MAX_EMAIL and bool(_EMAIL.match(value))


def _split_items(value: str) -> tuple[str, ...]:
    """A multi-valued cell: ";"-separated, or ","-separated when there is no ";"."""
    separator = ";" if ";" in value else ","
    return tuple(dict.fromkeys(i.strip() for i in value.split(separator) if i.strip()))


def _without_prefix(message: str, column: str) -> str:
    """A profile validator's message minus its own "capacity:" lead; the column says that."""
    for lead in (f"{column}: ", f"{column} "):
        if message.startswith(lead):
            return message[len(lead) :]
    return message


def _explained(message: str, column: str, value: str) -> str:
    """A validator's message for a cell, showing the value when it helps and is short."""
    message = _without_prefix(message, column)
    if f"'{value}'" in message or len(value) > 40:
        return message
    return f"{message.rstrip('.')} (got '{value}')."


class _Rows:
    """The file's records with the line each one starts on (quoted cells may span lines)."""

    def __init__(self, text: str) -> None:
        self._reader = csv.reader(io.StringIO(text, newline=""), strict=True)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        start = 1
        while True:
            try:
                record = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise UserError(
                    f"I couldn't read line {start} of the file as CSV ({exc}). Check for a "
                    "stray quote mark, and save the file again as CSV (UTF-8)."
                ) from None
            yield start, record
            start = self._reader.line_num + 1


def _header(line: int, record: list[str]) -> dict[int, str]:
    """Column positions by name; raises one error naming every unusable header cell."""
    positions: dict[int, str] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for index, raw in enumerate(record):
        name = raw.strip().lower()
        if not name:
            continue  # a trailing comma after the last heading: ignore the empty column
        if name not in COLUMNS:
            unknown.append(raw.strip())
        elif name in positions.values():
            repeated.append(name)
        else:
            positions[index] = name
    troubles: list[str] = []
    if unknown:
        quoted = ", ".join(f"'{u[:40]}'" for u in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        column = "column" if len(unknown) == 1 else "columns"
        troubles.append(f"I don't know the {column} {quoted}{more}.")
    if repeated:
        troubles.append(f"These columns appear twice: {', '.join(sorted(set(repeated)))}.")
    present = set(positions.values())
    if not unknown and "role" not in present:
        troubles.append("A role column (mentor or mentee) is required.")
    if not unknown and not present & {"id", "email"}:
        troubles.append("An id or an email column is required, to know who each row is.")
    if troubles:
        raise UserError(
            f"Line {line} (the header) has a problem: " + " ".join(troubles) + " The columns I "
            f"know are: {COLUMN_LIST}. Only role, and id or email, are required."
        )
    return positions


def parse_participants(text: str, *, known: Directory | None = None) -> ImportResult:
    """Read and check a whole participants file.

    Whole-file trouble (empty, too big, a bad header, broken CSV quoting) raises
    ``UserError`` at once, since no row can be trusted then. Row trouble is
    collected, every cell of every row, into ``problems``.
    """
    known = known or Directory()
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise UserError(
            f"That file is over {MAX_BYTES // (1024 * 1024)} MB, more than I can import at "
            f"once. Split it into files of up to {MAX_ROWS:,} rows and import each one."
        )
    text = text.removeprefix("\ufeff")
    records = iter(_Rows(inbound.text(text)))  # no NULs or lone surrogates: they get stored
    header: dict[int, str] | None = None
    for line, record in records:
        if any(cell.strip() for cell in record):
            header = _header(line, record)
            break
    if header is None:
        raise UserError(
            "That file is empty. Put a header row first, then one row per person. "
            f"The columns I know are: {COLUMN_LIST}."
        )
    width = max(header) + 1
    problems: list[Problem] = []
    candidates: list[ImportRow] = []
    everyone: list[tuple[int, str, str]] = []  # (line, id, email) of every row, for managers
    count = 0
    for line, record in records:
        if not any(cell.strip() for cell in record):
            continue  # blank lines between rows are harmless
        count += 1
        if count > MAX_ROWS:
            raise UserError(
                f"That file has more than {MAX_ROWS:,} rows, more than I can import at once. "
                "Split it into smaller files and import each one."
            )
        cells = {
            name: _FORMULA_GUARD.sub("", record[index].strip()) if index < len(record) else ""
            for index, name in header.items()
        }
        everyone.append((line, _reference(cells.get("id", "")), cells.get("email", "").lower()))
        if len(record) < width or any(cell.strip() for cell in record[width:]):
            problems.append(
                Problem(
                    line,
                    None,
                    f"this row has {len(record)} cells but the header has {width}; check for "
                    "a missing or extra comma, or a value with a comma that needs quotes.",
                )
            )
            continue
        row = _row(line, cells, problems)
        if row is not None:
            candidates.append(row)
    problems += _duplicates(candidates)
    bad = {p.line for p in problems}
    problems += _managers([r for r in candidates if r.line not in bad], everyone, known, bad)
    bad = {p.line for p in problems}
    problems.sort(key=lambda p: (p.line, COLUMNS.index(p.column) if p.column else -1))
    return ImportResult(
        rows=tuple(r for r in candidates if r.line not in bad),
        problems=tuple(problems),
        bad_lines=frozenset(bad),
    )


def _row(line: int, cells: dict[str, str], problems: list[Problem]) -> ImportRow | None:
    """One row's cells checked column by column; None (with problems noted) if any is bad."""
    found: list[Problem] = []

    def problem(column: str | None, message: str) -> None:
        found.append(Problem(line, column, message))

    user_id = ""
    if cells.get("id"):
        ref = person_ref(cells["id"])
        if ref is None:
            problem("id", f"'{cells['id'][:60]}' doesn't look like a platform user id.")
        elif ref.user_id.lower().startswith(PLACEHOLDER_PREFIX):
            problem("id", f"ids can't start with '{PLACEHOLDER_PREFIX}'; put the address in email.")
        else:
            user_id = ref.user_id
    email = cells.get("email", "")
    if email and not looks_like_email(email):
        problem("email", f"'{email[:60]}' doesn't look like an email address.")
    if not cells.get("id") and not email:
        column = "id" if "id" in cells else "email"
        problem(column, "give an id or an email, so I know who this is.")
    name = cells.get("name", "")
    if len(name) > _MAX_NAME:
        problem("name", f"keep it under {_MAX_NAME} characters.")
    chosen: Side | None = None
    if not cells.get("role"):
        problem("role", "say mentor or mentee.")
    else:
        try:
            chosen = side(cells["role"])
        except UserError as error:
            problem("role", error.message)
    for column in PROFILE_COLUMNS:
        if cells.get(column):
            try:
                parse_profile({column: cells[column]})
            except UserError as error:
                problem(column, _explained(error.message, column, cells[column]))
    lists: dict[str, tuple[str, ...]] = {}
    for column in LIST_COLUMNS:
        items = _split_items(cells.get(column, ""))
        if len(items) > _MAX_ITEMS:
            problem(column, f"list at most {_MAX_ITEMS}, separated by ';' (found {len(items)}).")
        elif any(len(i) > _MAX_ITEM_LENGTH for i in items):
            problem(column, f"keep each item under {_MAX_ITEM_LENGTH} characters.")
        lists[column] = items
    manager = ""
    written = cells.get("manager", "")
    if written and looks_like_email(written):
        manager = written
        if email and manager.lower() == email.lower():
            problem("manager", "a person can't be their own manager.")
    elif written:
        manager_ref = person_ref(written)
        if manager_ref is None:
            problem("manager", f"'{written[:60]}' isn't an id or an email address.")
        else:
            manager = manager_ref.user_id
            if manager == user_id:
                problem("manager", "a person can't be their own manager.")
    problems += found
    if found or chosen is None:
        return None
    profile = parse_profile({c: cells[c] for c in PROFILE_COLUMNS if cells.get(c)})
    profile = replace(
        profile,
        skills=lists["skills"],
        interests=lists["interests"],
        languages=lists["languages"],
    )
    return ImportRow(
        line=line,
        user_id=user_id,
        email=email,
        name=name,
        side=chosen,
        profile=profile,
        capacity_given=bool(cells.get("capacity")),
        manager=manager,
    )


def _duplicates(rows: list[ImportRow]) -> list[Problem]:
    """The same person in the same role twice, or one id and one email not matching up."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str, Side], int] = {}
    emails: dict[str, tuple[str, int]] = {}
    ids: dict[str, tuple[str, int]] = {}
    for row in rows:
        keys = [("id", row.user_id)] if row.user_id else []
        keys += [("email", row.email.lower())] if row.email else []
        for column, value in keys:
            first = seen.setdefault((column, value, row.side), row.line)
            if first != row.line:
                problems.append(
                    Problem(
                        row.line,
                        column,
                        f"'{value}' is already listed as a {row.side} on line {first}.",
                    )
                )
                break
        if row.user_id and row.email:
            email, line = emails.setdefault(row.user_id, (row.email.lower(), row.line))
            user_id, id_line = ids.setdefault(row.email.lower(), (row.user_id, row.line))
            if email != row.email.lower():
                problems.append(
                    Problem(
                        row.line,
                        "email",
                        f"line {line} gives '{row.user_id}' the email {email}; one person, "
                        "one email.",
                    )
                )
            elif user_id != row.user_id:
                problems.append(
                    Problem(
                        row.line,
                        "email",
                        f"line {id_line} gives {row.email} to '{user_id}'; one email, one person.",
                    )
                )
    return problems + _both_sides(rows)


ONE_SIDE = "a person takes one side of a programme"


def _keys(row: ImportRow) -> list[tuple[str, str]]:
    return [("email", row.email.lower())] * bool(row.email) + [("id", row.user_id)] * bool(
        row.user_id
    )


def _shown(row: ImportRow, column: str, value: str) -> str:
    """Who a row is, for a problem: the email as written, else the name, else the id."""
    return value if column == "email" else row.name or f"'{value}'"


def _both_sides(rows: list[ImportRow]) -> list[Problem]:
    """The same person as mentor on one line and mentee on another: neither line is
    imported, and each names the other."""
    first: dict[tuple[str, str, Side], int] = {}
    for row in rows:
        for column, value in _keys(row):
            first.setdefault((column, value, row.side), row.line)
    problems: list[Problem] = []
    for row in rows:
        other = Side.MENTEE if row.side == Side.MENTOR else Side.MENTOR
        for column, value in _keys(row):
            line = first.get((column, value, other))
            if line is not None:
                problems.append(
                    Problem(
                        row.line,
                        "role",
                        f"{_shown(row, column, value)} is also on line {line}, as a {other}; "
                        f"{ONE_SIDE}, so neither row is imported.",
                    )
                )
                break
    return problems


def _reference(word: str) -> str:
    """The platform id in an id cell (``@ana`` and ``<@U1|ana>`` name ``ana`` and ``U1``)."""
    ref = person_ref(word) if word else None
    return ref.user_id if ref else ""


def _managers(
    good: list[ImportRow], everyone: list[tuple[int, str, str]], known: Directory, bad: set[int]
) -> list[Problem]:
    """Every manager must be someone in this file or someone the workspace already knows."""
    in_file: dict[str, int] = {}
    for line, user_id, email in everyone:
        for key in (user_id, email):
            if key:
                in_file.setdefault(key, line)
    problems: list[Problem] = []
    for row in good:
        if not row.manager:
            continue
        target = in_file.get(row.manager) or in_file.get(row.manager.lower())
        if target is not None and target in bad and not known.knows(row.manager):
            problems.append(
                Problem(
                    row.line,
                    "manager",
                    f"'{row.manager}' is on line {target}, which has problems of its own.",
                )
            )
        elif target is None and not known.knows(row.manager):
            problems.append(
                Problem(
                    row.line,
                    "manager",
                    f"no one with id or email '{row.manager[:60]}' in this file or workspace.",
                )
            )
    return problems
