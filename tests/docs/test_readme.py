"""The README, SECURITY.md and the manual in docs/ tell the truth: every command and every
environment variable is documented, no variable is documented that the bot does not read, the
README stays a few screens long, and no link leads nowhere."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import variable_names
from conversations.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
README_PATH = ROOT / "README.md"
README = README_PATH.read_text(encoding="utf-8")
DOCS = ROOT / "docs"
PAGES = [README_PATH, ROOT / "SECURITY.md", *sorted(DOCS.glob("*.md"))]

# A markdown link or image: [text](target) — the target up to the first space or ")".
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
ENV_NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")


def _prose(text: str) -> str:
    """The text outside code blocks and code spans, where links are links."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    """Every heading's anchor on a page; a repeated heading gets -1, -2… as on GitHub."""
    seen: dict[str, int] = {}
    anchors = set()
    for line in FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        if match := re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line):
            anchor = _anchor(match.group(1))
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            anchors.add(anchor if count == 0 else f"{anchor}-{count}")
    return anchors


def _page_text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _configuration_names() -> set[str]:
    """The variables docs/configuration.md documents: the first column of its table."""
    names: set[str] = set()
    for line in _page_text("configuration.md").splitlines():
        if line.startswith("|"):
            first = line.strip("|").split(" | ", 1)[0]
            names.update(ENV_NAME.findall(first))
    return names


def test_every_command_is_in_the_commands_page() -> None:
    commands = _page_text("commands.md")
    missing = [
        v.usage
        for v in Registry.discover().verbs.values()
        if f"`{v.usage.replace('|', chr(92) + '|')}`" not in commands
    ]
    assert missing == []


def test_every_command_in_the_commands_page_is_a_verb_the_engine_knows() -> None:
    """The other way round: a verb lost from the registry shows as a row it cannot answer."""
    chat_table = _page_text("commands.md").split("## The mentorbot command", 1)[0]
    usages = [
        line.split("`", 2)[1].replace(chr(92) + "|", "|")
        for line in chat_table.splitlines()
        if line.startswith("| `")
    ]
    registry = Registry.discover()
    unknown = [u for u in usages if registry.find(u.split())[0] is None]
    assert len(usages) >= 40  # the table was found at all
    assert unknown == []


def test_the_configuration_page_documents_every_setting_and_nothing_else() -> None:
    documented = _configuration_names()
    settings = variable_names()
    assert "DATABASE_URL" in documented  # the table was found at all
    assert sorted(settings - documented) == [], "settings missing from docs/configuration.md"
    assert sorted(documented - settings) == [], "docs/configuration.md names unknown variables"


def test_the_configuration_page_names_variables_only_in_its_table() -> None:
    """A variable named elsewhere on the page would escape the check above."""
    prose = "\n".join(
        line for line in _page_text("configuration.md").splitlines() if not line.startswith("|")
    )
    assert set(ENV_NAME.findall(prose)) <= variable_names()


def test_the_quick_start_has_exactly_two_commands() -> None:
    block = README.split("## Quick start", 1)[1].split("```", 2)[1]
    assert [line for line in block.splitlines() if line.strip()] == [
        "python3 dev.py demo",
        "python3 dev.py test",
    ]


def test_the_readme_is_a_few_screens_long() -> None:
    assert len(README.encode("utf-8")) < 12_000


def test_the_manual_index_lists_every_page() -> None:
    index = _page_text("index.md")
    listed = set(LINK.findall(_prose(index)))
    assert {p.name for p in DOCS.glob("*.md")} - {"index.md"} <= listed
    assert "docs/index.md" in {t.partition("#")[0] for t in LINK.findall(_prose(README))}


def test_every_relative_link_leads_to_a_file_and_heading_that_exist() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(_prose(page.read_text(encoding="utf-8"))):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: …
                continue
            path, _, anchor = target.partition("#")
            destination = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(ROOT)}: {target}"
            if not destination.exists():
                broken.append(f"{where} (no such file)")
            elif anchor and (destination.suffix != ".md" or anchor not in _anchors(destination)):
                broken.append(f"{where} (no such heading)")
    assert broken == []


def test_the_link_checker_sees_links_and_headings() -> None:
    """The link test would pass on pages it could not read: make sure it reads these."""
    assert _anchors(DOCS / "deploying.md") >= {"graceful-shutdown", "in-a-container"}
    assert _anchor("Taking a break, leaving, and staying safe") == (
        "taking-a-break-leaving-and-staying-safe"
    )
    assert "docs/using.md" in LINK.findall(_prose(README))
    assert LINK.findall(_prose("`[not](a-link.md)` and [a](b.md#c)")) == ["b.md#c"]
