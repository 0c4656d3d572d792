"""The console and the demo: the engine in a terminal, as a newcomer meets it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.console.render import render
from adapters.console.repl import link_mentions
from bot.demo import JOINS
from conversations.messages import Button, Card, CardField, Input, Message, Option, Section
from tests.support.cards import grouped_stalls
from tests.support.console import scripted_console
from tests.support.harness import Chat


async def test_a_whole_pairing_can_be_run_from_the_console(chat: Chat) -> None:
    console, said = scripted_console(
        chat,
        [
            "as maya America/Toronto",
            "program create buddies --curriculum new-hire-buddy",
            "program open buddies",
            "as ana",
            "join buddies mentor --skills python",
            "1",  # "I agree" on the code of conduct that comes with the welcome
            "as ben America/Halifax",
            "join buddies",
            "1",  # press "Join" on the form …
            "1",
            "Sales",
            "",
            "",
            "python",
            "learn",
            "",
            "",  # … and fill it in
            "1",  # "I agree" on the code of conduct
            "as maya",
            "pair @ana @ben buddies",
            "as ben",
            "1",  # "We met" on the introduction
            "press 1",  # "We met" again, now on session 2's agenda
            "wait 1w",
            "status",
            "press 9",
            "quit",
        ],
    )
    assert await console.run() == 0
    transcript = "\n".join(said)
    assert "You've joined as a mentee" in transcript
    assert transcript.count("Thank you for accepting the code of conduct for New-hire") == 2
    assert "✉ to Ana and Ben (pair):\n    ┌─ Meet your mentoring partner" in transcript
    assert "Logged session 1 as met" in transcript
    assert "Logged session 2 as met" in transcript
    assert "… 1 week later, the clock is now Mon 09 Mar 2026" in transcript
    # A week on, session 3 fell due unlogged: the pair is asked, and stays on it.
    assert "┌─ Did you meet?" in transcript
    assert "session 3 of 6: How things really" in transcript
    assert "There's no button 9 on your last card." in transcript


async def test_the_console_asks_who_you_are_first_and_handles_end_of_input(chat: Chat) -> None:
    console, said = scripted_console(chat, ["help", "wait soon"])
    assert await console.run() == 0
    assert "Say who you are first, e.g. 'as maya'." in said
    assert "'soon' is not a duration I understand" in "\n".join(said)
    assert said[-1].endswith("<EOF>")


def test_mentions_are_linked_the_way_slack_escapes_them() -> None:
    assert link_mentions("pair @ana @Ben career", {"ana": "Ana Silva"}) == (
        "pair <@ana|Ana Silva> <@ben|Ben> career"
    )
    assert link_mentions("mail me at a@b.c") == "mail me at a@b.c"


def test_cards_render_with_numbered_buttons_and_form_fields() -> None:
    message = Message(
        text="t",
        card=Card(
            header="Check in",
            sections=(
                Section(text="*Bold* words", fields=(CardField(label="Rating", value="5"),)),
            ),
            inputs=(
                Input(
                    name="r",
                    label="How was it?",
                    kind="select",
                    required=True,
                    options=(Option(label="Good", value="5"),),
                ),
            ),
            buttons=(Button(label="Skip", action="a"),),
            submit=Button(label="Send", action="b"),
        ),
    )
    assert render(message) == (
        "┌─ Check in\n│ Bold words\n│   Rating: 5\n│\n│ ▭ How was it? * (Good)\n"
        "│ [1] Skip  [2] Send\n└─"
    )


@pytest.mark.process
@pytest.mark.slow
def test_a_grouped_card_numbers_each_lines_buttons_under_it() -> None:
    [card] = grouped_stalls(2)
    shown = render(card).splitlines()
    assert shown[0] == "┌─ 2 pairs may need a hand"
    first = next(n for n, line in enumerate(shown) if "Ana 1 and" in line)
    second = next(n for n, line in enumerate(shown) if "Ana 2 and" in line)
    buttons = [line for line in shown if line.startswith("│ [")]
    assert buttons == [
        "│ [1] Nudge both  [2] Pause the pair  [3] End the pair",
        "│ [4] Nudge both  [5] Pause the pair  [6] End the pair",
    ]
    assert first < shown.index(buttons[0]) < second < shown.index(buttons[1])
    assert [b.label for b in card.buttons()][3] == "Nudge both"  # [4] presses the second line's


@pytest.mark.process
def test_the_demo_runs_a_whole_programme_from_a_fresh_install(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--database", str(tmp_path / "demo.sqlite3")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert done.stderr == ""
    assert "┌─ Code of conduct: Career mentoring 2026" in out
    assert "Ben ▸ [I agree] (code of conduct)" in out  # everyone accepts before matching
    assert out.count("Thank you for accepting the code of conduct") == len(JOINS)
    assert "Maya ▸ match career" in out and "Daniel → Ben (score" in out
    assert "Published 5 pairs in Career mentoring 2026" in out
    assert "✉ to Daniel and Ben (pair):\n    ┌─ Meet your mentoring partner" in out
    assert "Why you were paired: Daniel brings leadership" in out
    summary = out.split("Programme summary", 1)[1]
    rows = {line.split()[0]: line for line in summary.splitlines()[2:7]}
    assert "12/12" in rows["Daniel"] and "completed" in rows["Daniel"]
    assert "left on" in rows["Grace"] and "no-fault exit" in rows["Grace"]
    assert "stalled: no meeting logged after" in rows["Tomás"]
    assert "felt new" not in out  # private reflections never printed
    assert "Traceback" not in out
    digest = out.split("The weekly digest Helen (executive) received on", 1)[1]
    assert "Mentoring this week: Career mentoring 2026" in digest
    assert "Pairs that met:" in digest and "What to do:" in digest
    for name in ("Daniel", "Ben", "Aisha", "Omar"):
        assert name not in digest, name  # aggregates only
    assert (tmp_path / "demo-digest.png").read_bytes().startswith(b"\x89PNG")


async def test_wait_30_minutes_moves_the_clock_half_an_hour_not_thirty_months(chat: Chat) -> None:
    console, said = scripted_console(
        chat, ["as maya", "wait 30 minutes", "wait 30m", "wait 1 month", "wait 2 hours"]
    )
    assert await console.run() == 0
    transcript = "\n".join(said)
    assert "… 30 minutes later, the clock is now Mon 02 Mar 2026 14:30 UTC" in transcript
    assert "… 30 minutes later, the clock is now Mon 02 Mar 2026 15:00 UTC" in transcript
    assert "… 1 month later, the clock is now Wed 01 Apr 2026 15:00 UTC" in transcript
    assert "… 2 hours later, the clock is now Wed 01 Apr 2026 17:00 UTC" in transcript
    assert "minutes later" not in transcript.split("1 month later")[1]


async def test_an_unclear_wait_is_refused_with_examples_and_the_clock_stays(chat: Chat) -> None:
    start = chat.clock.now()
    console, said = scripted_console(chat, ["as maya", "wait 1.5 weeks", "wait 5 m o", "wait -3d"])
    assert await console.run() == 0
    refusals = [line for line in said if "e.g." in line]
    assert len(refusals) == 3, said
    assert chat.clock.now() == start
