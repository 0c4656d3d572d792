"""User stories: a coordinator brings a roster in from a spreadsheet and takes the pairs out.

Every file goes through the real engine as an attachment on the command, the way
Slack and Teams deliver it, on both databases.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from conversations.events import Actor, CommandSent
from conversations.features.csv.commands import EXPORT_COLUMNS
from conversations.features.csv.csv_import import Directory, parse_participants
from conversations.messages import Attachment, Message
from storage.models import (
    AuditEntry,
    Enrolment,
    EnrolmentStatus,
    Pair,
    PairStatus,
    Person,
    Programme,
)
from tests.support.console import scripted_console
from tests.support.harness import Chat

HEADER = (
    "id,email,name,role,department,title,seniority,manager,skills,interests,goals,"
    "capacity,timezone,languages"
)
ROSTER = f"""{HEADER}
ana,ana@example.org,Ana Silva,mentor,Engineering,Staff engineer,7,,python; data,climbing,,2,America/Toronto,English; Portuguese
ben,ben@example.org,Ben Okafor,mentee,Sales,Account executive,2,ana,,"data, climbing",learn python,,America/Halifax,English
,cleo@example.org,Cleo,mentee,Design,,,ana@example.org,,,"find my feet",,Europe/London,
"""  # noqa: E501


async def _accepted(chat: Chat, *ids: str) -> None:
    """Record that these people accepted the code of conduct, straight in the database.

    For tests about the export, not consent: someone known only by email can't press
    "I agree" until they first message the bot.
    """
    async with chat.app.sessions.begin() as session:
        for enrolment in await session.scalars(
            select(Enrolment).join(Person).where(Person.platform_user_id.in_(ids))
        ):
            enrolment.consented_at = chat.clock.now()
            enrolment.consent_version = 1


async def _programme(chat: Chat, key: str = "buddies") -> None:
    await chat.say("maya", f"program create {key} --curriculum new-hire-buddy")
    await chat.say("maya", f"program open {key}")


async def _send(
    chat: Chat, who: str, text: str, *files: Attachment, actor: Actor | None = None
) -> list[Message]:
    event = CommandSent(actor=actor or chat.actor(who), text=text, attachments=files)
    replies = await chat.app.engine.handle(event)
    chat.replies.setdefault(who, []).extend(replies)
    await chat.dispatcher.deliver_due()
    return replies


async def _import(
    chat: Chat, content: str | bytes, command: str = "import buddies", name: str = "people.csv"
) -> str:
    data = content.encode("utf-8") if isinstance(content, str) else content
    replies = await _send(chat, "maya", command, Attachment(name=name, data=data))
    return "\n".join(r.text for r in replies)


async def _people(chat: Chat) -> dict[str, Person]:
    async with chat.app.sessions() as session:
        return {p.email or p.platform_user_id: p for p in await session.scalars(select(Person))}


async def _enrolments(chat: Chat) -> dict[tuple[str, str], Enrolment]:
    async with chat.app.sessions() as session:
        rows = (await session.scalars(select(Enrolment))).unique().all()
        return {(e.person.email or e.person.platform_user_id, e.side): e for e in rows}


async def test_a_roster_import_enrols_everyone_with_profiles_managers_and_time_zones(
    chat: Chat,
) -> None:
    await _programme(chat)
    reply = await _import(chat, ROSTER)
    assert reply.startswith("Imported 3 people into New-hire buddy: 3 new, 0 updated.")
    assert "1 person is known only by email so far" in reply

    people = await _people(chat)
    ana, ben, cleo = (people[f"{n}@example.org"] for n in ("ana", "ben", "cleo"))
    assert (ana.platform_user_id, ana.display_name, ana.timezone) == (
        "ana",
        "Ana Silva",
        "America/Toronto",
    )
    assert (ben.timezone, ben.manager_id) == ("America/Halifax", ana.id)
    assert (cleo.platform_user_id, cleo.timezone, cleo.manager_id) == (
        "email:cleo@example.org",
        "Europe/London",
        ana.id,
    )
    enrolments = await _enrolments(chat)
    mentor = enrolments[("ana@example.org", "mentor")]
    assert (mentor.department, mentor.title, mentor.seniority, mentor.capacity) == (
        "Engineering",
        "Staff engineer",
        7,
        2,
    )
    assert mentor.skills == ["python", "data"]
    assert mentor.languages == ["English", "Portuguese"]
    mentee = enrolments[("ben@example.org", "mentee")]
    assert (mentee.interests, mentee.goals) == (["data", "climbing"], "learn python")
    assert enrolments[("cleo@example.org", "mentee")].goals == "find my feet"
    # Ana and Ben are sent the code of conduct to accept; Cleo, known only by email, will
    # see it when she first messages the bot.
    assert [m.kind for m in chat.inbox("ana")] == ["conduct"]
    assert [m.kind for m in chat.inbox("ben")] == ["conduct"]
    assert "You've been enrolled in New-hire buddy" in chat.inbox("ben")[0].text
    await _accepted(chat, "ana", "ben")
    assert "Ana Silva (mentor) with Ben Okafor (mentee)" in await chat.say(
        "maya", "pair @ana @ben buddies"
    )
    async with chat.app.sessions() as session:
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "import"))
    assert audit is not None and audit.target == "buddies"
    assert audit.after == {
        "file": "people.csv",
        "rows": 3,
        "people": 3,
        "new": 3,
        "updated": 0,
        "skipped_rows": 0,
        "left_not_reenrolled": 0,
    }


async def test_importing_again_updates_people_instead_of_duplicating_them(chat: Chat) -> None:
    await _programme(chat)
    await _import(chat, ROSTER)
    counts = await chat.counts()
    changed = ROSTER.replace("Ana Silva,mentor,Engineering", "Ana Silva,mentor,Research")
    changed = changed.replace(",2,America/Toronto", ",,America/Toronto")  # capacity left blank
    reply = await _import(chat, changed)
    assert reply.startswith("Imported 3 people into New-hire buddy: 0 new, 3 updated.")
    after = await chat.counts()
    assert {t: after[t] for t in ("people", "enrolments")} == {
        t: counts[t] for t in ("people", "enrolments")
    }
    mentor = (await _enrolments(chat))[("ana@example.org", "mentor")]
    assert (mentor.department, mentor.capacity) == ("Research", 2)  # blank keeps the capacity


async def test_a_nul_in_a_cell_is_dropped_not_a_database_error(chat: Chat) -> None:
    """Regression (found by the hostile CSV property on PostgreSQL): a NUL byte in a cell
    reached the database, which refuses it, so the person got "something went wrong"."""
    await _programme(chat)
    first = "email,role,goals\r\np0@example.org,mentee,learn\r\np1@example.org,mentee,x\r\n"
    await _import(chat, first)
    reply = await _import(
        chat,
        b"email,role,goals\r\np0@example.org,mentee,learn\r\np1@example.org,mentee,\x03a\x00b\r\n",
    )
    assert reply.startswith("Imported 2 people into New-hire buddy: 0 new, 2 updated."), reply
    mentee = (await _enrolments(chat))[("p1@example.org", "mentee")]
    assert mentee.goals == "\x03ab"


async def test_ids_alone_emails_alone_and_a_mix_all_find_the_right_people(chat: Chat) -> None:

    await _programme(chat)
    await chat.say("dev", "help")  # Dev already talks to the bot
    reply = await _import(chat, "ID,Role , Department\ndev,mentee,Finance\n")
    assert reply.startswith("Imported 1 person into New-hire buddy: 1 new, 0 updated.")
    assert "waiting for you to accept the code of conduct" in await chat.say("dev", "status")
    reply = await _import(chat, "email,role\neve@example.org,mentor\n")
    assert "known only by email" in reply
    mixed = "id,email,role\ndev,dev@example.org,mentee\n,eve@example.org,mentor\n"
    assert (await _import(chat, mixed)).startswith(
        "Imported 2 people into New-hire buddy: 0 new, 2 updated."
    )
    people = await _people(chat)
    assert people["dev@example.org"].platform_user_id == "dev"
    assert people["eve@example.org"].platform_user_id == "email:eve@example.org"
    assert len(people) == 3  # maya, dev, eve: nobody twice


async def test_someone_imported_by_email_is_recognised_when_they_first_speak(chat: Chat) -> None:
    await _programme(chat)
    await _import(chat, "email,name,role\neve@example.org,Eve Park,mentee\n")
    eve = Actor(
        platform="console",
        workspace="acme",
        user_id="U-EVE-42",
        display_name="Eve P.",
        email="Eve@Example.org",
    )
    replies = await _send(chat, "eve", "status", actor=eve)
    assert (
        "New-hire buddy (mentee): waiting for you to accept the code of conduct "
        "(type conduct buddies)" in replies[0].text
    )
    assert chat.inbox("eve") == []  # nothing was sent to an address the bot can't reach
    people = await _people(chat)
    assert len(people) == 2
    assert people["Eve@Example.org"].platform_user_id == "U-EVE-42"
    # A later import by id or by email updates the adopted record, not a new one.
    await _import(chat, "id,email,role,department\nU-EVE-42,eve@example.org,mentee,Ops\n")
    assert len(await _people(chat)) == 2


def _rows(n: int) -> str:
    return "id,role\n" + "".join(f"p{i},mentee\n" for i in range(n))


BAD = [
    ("id,role\nana,wizard\n", "line 2, column role: 'wizard' isn't a role here"),
    ("id,role\nana,\n", "line 2, column role: say mentor or mentee."),
    (
        "id,role,capacity\nana,mentor,lots\n",
        "line 2, column capacity: must be a whole number from 1 to 20 (got 'lots').",
    ),
    ("id,role,capacity\nana,mentor,21\n", "line 2, column capacity: must be a whole number"),
    ("id,role,capacity\nana,mentor,2.5\n", "line 2, column capacity: must be a whole number"),
    ("id,role,seniority\nana,mentor,11\n", "line 2, column seniority: must be a whole number"),
    (
        "id,role,timezone\nana,mentor,Mars/Olympus\n",
        "line 2, column timezone: 'Mars/Olympus' isn't a time zone I know.",
    ),
    (
        "email,role\nnot-an-email,mentor\n",
        "line 2, column email: 'not-an-email' doesn't look like an email address.",
    ),
    ("id,email,role\n,,mentor\n", "line 2, column id: give an id or an email"),
    (
        "id,role\nana,mentor\nben,mentee\nana,mentor\n",
        "line 4, column id: 'ana' is already listed as a mentor on line 2.",
    ),
    (
        "email,role\nA@x.org,mentee\na@X.org,mentee\n",
        "line 3, column email: 'a@x.org' is already listed as a mentee on line 2.",
    ),
    (
        "id,email,role\nana,a@x.org,mentor\nana,b@x.org,mentee\n",
        "line 3, column email: line 2 gives 'ana' the email a@x.org; one person, one email.",
    ),
    (
        "id,email,role\nana,a@x.org,mentor\nbob,A@x.org,mentee\n",
        "line 3, column email: line 2 gives A@x.org to 'ana'; one email, one person.",
    ),
    (
        "id,role,manager\nana,mentor,zed\n",
        "line 2, column manager: no one with id or email 'zed' in this file or workspace.",
    ),
    (
        "id,email,role,manager\nana,ana@x.org,mentor,ana@x.org\n",
        "line 2, column manager: a person can't be their own manager.",
    ),
    ("id,role,manager\nana,mentor,@ana\n", "line 2, column manager: a person can't be"),
    (
        "id,role,department\nana,mentor,IT\nben,mentee\n",
        "line 3: this row has 2 cells but the header has 3",
    ),
    ("id,role\nana,mentor,extra\n", "line 2: this row has 3 cells but the header has 2"),
    (
        'id,role,goals\nana,mentor,"one\ntwo\nthree"\nben,boss,\n',
        "line 5, column role: 'boss' isn't a role here",
    ),
    ("id,role\nana,mentor\n" + "x,y\n" * 25, "• … and 5 more."),
    (
        "id,role,shoe size,Favourite\nana,mentor,9,tea\n",
        "I don't know the columns 'shoe size', 'Favourite'. The columns I know are: id, "
        "email, name, role",
    ),
    ("id,name\nana,Ana\n", "A role column (mentor or mentee) is required."),
    ("name,role\nAna,mentor\n", "An id or an email column is required"),
    ("", "That file is empty. Put a header row first"),
    ("\n\n", "That file is empty."),
    ("id,role\n", "has a header but no rows"),
    ('id,role\nana,"mentor\n', "I couldn't read line 2 of the file as CSV"),
    (_rows(5001), "more than 5,000 rows"),
    ("id,role,goals\n" + "a,mentee,x\n" * 200_000, "is 2.1 MB, more than the 2 MB"),
    (b"id,role\n\xff\xfeana,mentor\n", "isn't UTF-8 text"),
]


@pytest.mark.parametrize(("content", "expected"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
async def test_a_bad_file_is_refused_with_every_problem_located_and_nothing_changes(
    chat: Chat, content: str | bytes, expected: str
) -> None:
    await _programme(chat)
    await chat.say("ana", "help")
    before = await chat.snapshot()
    reply = await _import(chat, content)
    assert expected in reply
    assert "Traceback" not in reply and "Imported" not in reply
    assert await chat.snapshot() == before


async def test_every_problem_in_a_file_is_listed_at_once(chat: Chat) -> None:
    await _programme(chat)
    before = await chat.snapshot()
    reply = await _import(
        chat,
        "id,email,role,capacity,timezone\n"
        "ana,ana@x.org,mentor,2,Europe/London\n"
        "ben,ben@,mentee,,Mars/Base\n"
        "cleo,,mentor,0,\n",
    )
    assert reply == (
        "Nothing was imported: 2 rows of 3 have problems.\n"
        "• line 3, column email: 'ben@' doesn't look like an email address.\n"
        "• line 3, column timezone: 'Mars/Base' isn't a time zone I know. Use a name like "
        "Europe/London or America/Halifax.\n"
        "• line 4, column capacity: must be a whole number from 1 to 20 (got '0').\n"
        "Fix them and import the file again, or add --skip-invalid to import the 1 good "
        "row and skip these."
    )
    assert await chat.snapshot() == before


async def test_a_manager_already_in_the_workspace_or_later_in_the_file_is_linked(
    chat: Chat,
) -> None:
    await _programme(chat)
    roster = "id,role,manager\nben,mentee,maya\ncleo,mentee,dev\ndev,mentor,\n"
    assert (await _import(chat, roster)).startswith("Imported 3 people")
    people = await _people(chat)
    assert people["ben"].manager_id == people["maya"].id
    assert people["cleo"].manager_id == people["dev"].id


async def test_a_utf8_file_with_a_byte_order_mark_and_semicolons_imports(chat: Chat) -> None:
    await _programme(chat)
    content = '\ufeffid,name,role,skills\nana,Ana Tomás,mentor,"C, C++; Go"\n'.encode()
    assert (await _import(chat, content)).startswith("Imported 1 person")
    enrolment = (await _enrolments(chat))[("ana", "mentor")]
    assert enrolment.skills == ["C, C++", "Go"]
    assert enrolment.person.display_name == "Ana Tomás"


async def test_skip_invalid_imports_the_good_rows_and_reports_the_rest(chat: Chat) -> None:
    await _programme(chat)
    roster = (
        "id,role,manager,timezone\n"
        "ana,mentor,,\n"
        "ben,boss,,\n"
        "cleo,mentee,ben,\n"
        "dev,mentee,ana,Asia/Kolkata\n"
        "eve,mentee,,Moon/Base\n"
    )
    reply = await _import(chat, roster, "import buddies --skip-invalid")
    assert reply == (
        "Imported 2 people into New-hire buddy: 2 new, 0 updated; 3 rows skipped:\n"
        "• line 3, column role: 'boss' isn't a role here: choose mentor or mentee.\n"
        "• line 4, column manager: 'ben' is on line 3, which has problems of its own.\n"
        "• line 6, column timezone: 'Moon/Base' isn't a time zone I know. Use a name like "
        "Europe/London or America/Halifax."
    )
    people = await _people(chat)
    assert set(people) == {"maya", "ana", "dev"}
    assert people["dev"].manager_id == people["ana"].id
    assert people["dev"].timezone == "Asia/Kolkata"


async def test_skip_invalid_with_nothing_good_still_imports_nothing(chat: Chat) -> None:
    await _programme(chat)
    before = await chat.snapshot()
    reply = await _import(chat, "id,role\nana,boss\n", "import buddies --skip-invalid")
    assert reply.startswith("Nothing was imported: 1 row of 1 has problems.")
    assert reply.endswith("Fix them and import the file again.")
    assert await chat.snapshot() == before


async def test_people_who_left_or_paused_keep_their_choice_on_reimport(chat: Chat) -> None:
    await _programme(chat)
    await _import(chat, "id,role\nana,mentor\nben,mentee\n")
    await chat.say("ana", "leave buddies")
    await chat.say("ben", "pause")
    reply = await _import(chat, "id,role,department\nana,mentor,IT\nben,mentee,Sales\n")
    assert reply.startswith("Imported 1 person into New-hire buddy: 0 new, 1 updated.")
    assert "Not re-enrolled, because they left New-hire buddy: Ana (line 2)." in reply
    enrolments = await _enrolments(chat)
    assert enrolments[("ana", "mentor")].status == EnrolmentStatus.LEFT
    assert enrolments[("ben", "mentee")].status == EnrolmentStatus.PAUSED
    assert enrolments[("ben", "mentee")].department == "Sales"


async def test_an_email_that_belongs_to_someone_else_is_refused(chat: Chat) -> None:
    await _programme(chat)
    await _import(chat, "id,email,name,role\nana,ana@example.org,Ana Silva,mentor\n")
    before = await chat.snapshot()
    reply = await _import(chat, "id,email,role\nanna,ana@example.org,mentee\n")
    assert (
        "line 2, column email: ana@example.org already belongs to Ana Silva (id 'ana'), "
        "not to 'anna'." in reply
    )
    assert await chat.snapshot() == before


async def test_import_without_a_file_explains_what_to_attach(chat: Chat) -> None:
    await _programme(chat)
    before = await chat.snapshot()
    reply = await chat.say("maya", "import buddies")
    assert reply.startswith("Attach a CSV file to the import command")
    assert "id, email, name, role, department" in reply
    workbook = Attachment(name="people.xlsx", media_type="application/octet-stream", data=b"PK")
    replies = await _send(chat, "maya", "import buddies", workbook)
    assert "people.xlsx is a spreadsheet workbook" in replies[0].text
    assert await chat.snapshot() == before


async def test_a_closed_or_missing_programme_imports_nothing(chat: Chat) -> None:
    await _programme(chat)
    assert "I can't find a programme called 'nope'" in await _import(chat, ROSTER, "import nope")
    await chat.say("maya", "program close buddies")
    assert "has closed, so nobody can be imported" in await _import(chat, ROSTER)


async def test_participants_cannot_import_or_export(chat: Chat) -> None:
    await _programme(chat)
    await chat.say("ben", "help")
    before = await chat.snapshot()
    replies = await _send(chat, "ben", "import buddies", Attachment.text("p.csv", ROSTER))
    assert replies[0].text.startswith("Only coordinators can use import. Ask Maya")
    assert (await chat.say("ben", "export buddies")).startswith("Only coordinators can use export.")
    assert await chat.snapshot() == before


async def test_the_pairs_export_has_progress_but_never_ratings_or_private_notes(
    chat: Chat,
) -> None:
    await _programme(chat)
    await _import(chat, ROSTER)
    await _accepted(chat, "ana", "ben", "email:cleo@example.org")
    await chat.say("maya", "pair @ana @ben buddies")
    await chat.say("maya", "pair @ana cleo@example.org buddies")  # imported by email
    secret = "I worry my manager thinks I'm slow"
    await chat.say("ben", "met")
    await chat.say("ben", f'checkin 1 "{secret}"')
    async with chat.app.sessions.begin() as session:
        people = {p.platform_user_id: p for p in await session.scalars(select(Person))}
        programme = await session.scalar(select(Programme).where(Programme.key == "buddies"))
        assert programme is not None
        session.add(
            Pair(
                programme_id=programme.id,
                mentor_id=people["maya"].id,
                mentee_id=people["ana"].id,
                status=PairStatus.PROPOSED,
                created_at=chat.clock.now(),
            )
        )
    chat.clock.advance(timedelta(days=2))

    replies = await _send(chat, "maya", "export buddies")
    assert replies[0].text.startswith("Exported 2 pairs from New-hire buddy")
    (attachment,) = replies[0].attachments
    assert (attachment.name, attachment.media_type) == ("buddies-pairs.csv", "text/csv")
    text = attachment.data.decode("utf-8-sig")
    assert secret not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [(r["mentor_id"], r["mentee_id"], r["mentee_email"]) for r in rows] == [
        ("ana", "ben", "ben@example.org"),
        ("ana", "", "cleo@example.org"),  # Cleo is known only by email so far
    ]
    assert rows[0] == {
        "programme": "buddies",
        "mentor_id": "ana",
        "mentor_name": "Ana Silva",
        "mentor_email": "ana@example.org",
        "mentee_id": "ben",
        "mentee_name": "Ben",
        "mentee_email": "ben@example.org",
        "status": "active",
        "started_at": "2026-03-02",
        "session": "2 of 6",
        "meetings_met": "1",
        "sessions_skipped": "0",
        "sessions_not_heard": "0",
        "check_ins": "1",
        "last_met_at": "2026-03-02",
        "ended_at": "",
        "end_reason": "",
    }
    assert rows[1]["session"] == "1 of 6" and rows[1]["check_ins"] == "0"

    await chat.say("ben", "leave buddies")
    ended = list(
        csv.DictReader(
            io.StringIO(
                (await _send(chat, "maya", "export buddies"))[0]
                .attachments[0]
                .data.decode("utf-8-sig")
            )
        )
    )
    assert (ended[0]["status"], ended[0]["ended_at"], ended[0]["end_reason"]) == (
        "ended",
        "2026-03-04",
        "left",
    )
    async with chat.app.sessions() as session:
        audits = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "export"))
        ).all()
    assert [a.after for a in audits] == [{"pairs": 2}, {"pairs": 2}]


async def test_an_exported_cell_that_looks_like_a_formula_is_defused(chat: Chat) -> None:
    await _programme(chat)
    await _import(chat, "id,name,role\nana,=HYPERLINK(1),mentor\nben,-Ben,mentee\n")
    await _accepted(chat, "ana", "ben")
    await chat.say("maya", "pair @ana @ben buddies")
    replies = await _send(chat, "maya", "export buddies")
    row = next(csv.DictReader(io.StringIO(replies[0].attachments[0].data.decode("utf-8-sig"))))
    assert (row["mentor_name"], row["mentee_name"]) == ("'=HYPERLINK(1)", "'-Ben")


def test_a_defused_cell_reads_back_as_it_was_written() -> None:
    result = parse_participants("id,name,role\nana,'=x,mentor\n", known=Directory())
    assert [r.name for r in result.rows] == ["=x"]


async def test_the_console_attaches_a_file_and_saves_the_export(
    chat: Chat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "people.csv").write_text(
        "id,name,role,skills\nana,Ana Silva,mentor,python\nben,Ben Okafor,mentee,\n",
        encoding="utf-8",
    )
    console, said = scripted_console(
        chat,
        [
            "as maya",
            "program create buddies --curriculum new-hire-buddy",
            "program open buddies",
            "import buddies",
            "import buddies people.csv",
            "as ana",
            "conduct buddies agree",
            "as ben",
            "conduct buddies agree",
            "as maya",
            "pair @ana @ben buddies",
            "export buddies",
            "export buddies",
            "quit",
        ],
    )
    assert await console.run() == 0
    transcript = "\n".join(said)
    assert "bot: Attach a CSV file to the import command" in transcript
    assert "bot: Imported 2 people into New-hire buddy: 2 new, 0 updated." in transcript
    assert f"📎 saved {tmp_path / 'buddies-pairs.csv'}" in transcript
    assert f"📎 saved {tmp_path / 'buddies-pairs-1.csv'}" in transcript
    saved = (tmp_path / "buddies-pairs.csv").read_text(encoding="utf-8-sig")
    # Once Ana and Ben have spoken to the bot (to accept the code of conduct), their
    # names are the ones their chat accounts give.
    assert saved.splitlines()[1].startswith("buddies,ana,Ana,,ben,Ben,,active,")
    assert saved == (tmp_path / "buddies-pairs-1.csv").read_text(encoding="utf-8-sig")


async def test_the_same_email_on_both_sides_is_refused_by_line_and_imports_nothing(
    chat: Chat,
) -> None:
    await _programme(chat)
    before = await chat.snapshot()
    roster = (
        "email,name,role\n"
        "ana@example.org,Ana,mentor\n"
        "ben@example.org,Ben,mentee\n"
        "ANA@example.org,Ana,mentee\n"
    )
    reply = await _import(chat, roster)
    assert reply.startswith("Nothing was imported: 2 rows of 3 have problems.\n"), reply
    assert (
        "• line 2, column role: ana@example.org is also on line 4, as a mentee; a person "
        "takes one side of a programme, so neither row is imported." in reply
    ), reply
    assert (
        "• line 4, column role: ana@example.org is also on line 2, as a mentor; a person "
        "takes one side of a programme, so neither row is imported." in reply
    ), reply
    assert "#" not in reply
    assert await chat.snapshot() == before
    skipped = await _import(chat, roster, "import buddies --skip-invalid")
    assert skipped.startswith("Imported 1 person into New-hire buddy: 1 new, 0 updated; 2 rows")
    assert set(await _enrolments(chat)) == {("ben@example.org", "mentee")}


async def test_a_row_on_the_other_side_from_someone_already_enrolled_is_refused(
    chat: Chat,
) -> None:
    await _programme(chat)
    await chat.say("ana", "join buddies mentor")
    before = await chat.snapshot()
    reply = await _import(chat, "id,email,role\nana,ana@example.org,mentee\nben,,mentee\n")
    assert reply.startswith("Nothing was imported: 1 row of 2 has problems.\n"), reply
    assert (
        "• line 2, column role: ana@example.org is already in New-hire buddy as a mentor; a "
        "person takes one side of a programme (to change sides, they leave buddies first)." in reply
    ), reply
    assert await chat.snapshot() == before
