"""The join form: a programme's side, department, skills, interests and goals."""

from __future__ import annotations

from conversations.curriculum import Curriculum
from conversations.kinds import Kind
from conversations.messages import Button, Card, CardField, Input, Message, Option, Section
from storage.models import Person, Programme


def join_form(
    *, programme: Programme, curriculum: Curriculum, person: Person, side: str | None = None
) -> Message:
    return Message(
        text=f"To join {programme.name}, reply: join {programme.key} mentor|mentee "
        '--department "..." --skills "a, b" --interests "c, d" --goals "..."',
        card=Card(
            header=f"Join {programme.name}",
            sections=(
                Section(text=curriculum.description),
                Section(
                    fields=(
                        CardField(label="Mentors", value=curriculum.roles.mentor),
                        CardField(label="Mentees", value=curriculum.roles.mentee),
                    )
                ),
            ),
            inputs=(
                Input(
                    name="side",
                    label="I would like to take part as",
                    kind="select",
                    required=True,
                    options=(
                        Option(label="Mentee", value="mentee"),
                        Option(label="Mentor", value="mentor"),
                    ),
                    initial=side or "",
                ),
                Input(name="department", label="Department or team", placeholder="e.g. IT"),
                Input(name="title", label="Role or job title", placeholder="e.g. Analyst"),
                Input(name="skills", label="Strengths you could share (comma-separated)"),
                Input(name="interests", label="Interests (comma-separated)"),
                Input(name="goals", label="What you hope to get from it", kind="multiline"),
                Input(
                    name="capacity",
                    label="Mentors: how many mentees can you take?",
                    kind="number",
                    initial="1",
                ),
                Input(
                    name="timezone",
                    label="Time zone",
                    initial=person.timezone,
                    hint="e.g. America/Halifax",
                ),
            ),
            submit=Button(label="Join", action="join", value=programme.key, style="primary"),
        ),
        kind=Kind.JOIN_FORM,
    )
