"""A person's own data: ``my-data`` hands them a copy, ``forget-me`` deletes it.

Both are for everyone and act only on the person asking. Deleting cannot be
undone, so ``forget-me`` only asks; the deletion happens when the same person
presses the button it sends. The button carries the id of the person it was
made for, and nobody else's press is honoured, coordinators included: no one
can forget someone else. What is kept and what is deleted is explained in
``conversations.features.privacy.privacy``.
"""

from __future__ import annotations

from conversations import codec
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.counting import counted
from conversations.errors import NotAllowed, UserError
from conversations.features.privacy import privacy
from conversations.kinds import Kind
from conversations.messages import Attachment, Button, Card, Message, Section
from conversations.registry import action, verb
from storage import repositories as repo
from storage.models import Person, Role

YOUR_DATA = "Your data"
FORGET = "privacy.forget"
KEEP = "privacy.keep"


@verb(
    "my-data",
    summary="get a copy of everything I keep about you, as a file",
    group=YOUR_DATA,
)
async def my_data(ctx: Context, args: Args) -> Reply:
    data = await privacy.personal_data(
        ctx.session,
        person=ctx.actor,
        workspace=ctx.workspace,
        now=ctx.now,
        hooks=ctx.registry.personal_data,
    )
    await ctx.audit("privacy.my-data", target="{0}", people=(ctx.actor,))
    file = Attachment(
        name="my-data.json", media_type="application/json", data=privacy.as_json_file(data)
    )
    contents = (
        f"your profile and settings; your roles; {counted(len(data['enrolments']), 'enrolment')} "
        f"with profiles and consent; {counted(len(data['pairs']), 'pairing')} (your partners' "
        f"names only) and {counted(len(data['meetings']), 'meeting')}; "
        f"{counted(len(data['check_ins']), 'check-in')} with your private notes and any lines "
        f"you shared; {counted(len(data['pulse_responses']), 'pulse answer')}; the questions I "
        f"asked you; {counted(len(data['concerns_you_reported']), 'concern')} you reported, in "
        "your words; your digest subscriptions; audit log entries about what you did or what "
        "was done for you; and the kinds and times of messages I sent you"
    )
    return [
        Message(
            text=f"Here is everything I keep about you, in my-data.json: {contents}. Concerns "
            "that other people reported are not included, to protect the people who report. "
            "The technical details your chat platform needs to reach you exist but aren't "
            "included. Type forget-me if you'd like me to delete your data.",
            kind=Kind.MY_DATA,
            attachments=(file,),
        )
    ]


@verb(
    "forget-me",
    summary="delete your data (I ask you to confirm first)",
    group=YOUR_DATA,
)
async def forget_me(ctx: Context, args: Args) -> Reply:
    what = (
        "This deletes what I keep about you in this workspace, and it can't be undone: your "
        "name, email and profiles, your private notes, shared lines and pulse comments, the "
        "questions I asked you, your digest subscriptions and your roles. Any pairing you're "
        "in ends, and your partner is told only that it has ended."
    )
    stays = (
        "What stays, without your name: ratings and counts, so the programme's figures stay "
        "true, and any concern you reported, as a safety record. Type my-data first if you'd "
        "like a copy."
    )
    coordinators = await repo.people_with_role(
        ctx.session, workspace_id=ctx.workspace.id, role=Role.COORDINATOR
    )
    warning = (
        "You're the only coordinator here: afterwards nobody could run the programmes, so "
        "first give someone else the role with admin grant @person coordinator."
        if [p.id for p in coordinators] == [ctx.actor.id]
        else ""
    )
    value = codec.Ref(ctx.actor.id).encode()
    return [
        Message(
            text=f"{what} {stays} {warning}".rstrip() + " Press 'Yes, delete my data' to go ahead.",
            card=Card(
                header="Delete your data?",
                sections=tuple(Section(text=t) for t in (what, stays, warning) if t),
                buttons=(
                    Button(label="Yes, delete my data", action=FORGET, value=value, style="danger"),
                    Button(label="No, keep it", action=KEEP, value=value),
                ),
            ),
            kind=Kind.FORGET_CONFIRM,
        )
    ]


async def _owner(ctx: Context, value: str) -> Person:
    """The person a confirmation button was made for; only they may press it."""
    target = await ctx.session.get(Person, codec.Ref.decode(value).id)
    if target is None or target.workspace_id != ctx.workspace.id:
        raise codec.OutOfDate
    if target.forgotten_at is not None:
        raise UserError("That's already done: the data was deleted.")
    if target.id != ctx.actor.id:
        raise NotAllowed(
            "Only the person who asked can confirm this. Nobody can delete someone else's "
            "data; each person types forget-me for themselves."
        )
    return target


@action(FORGET)
async def confirm_forget(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    person = await _owner(ctx, value)
    done = await privacy.forget(
        ctx.session,
        person=person,
        now=ctx.now,
        default_timezone=ctx.settings.default_timezone,
        hooks=ctx.registry.personal_data,
    )
    ended = (
        f" Your {counted(done.pairs_ended, 'pairing has', 'pairings have')} ended; each partner "
        "was told only that it has ended."
        if done.pairs_ended
        else ""
    )
    return [
        Message(
            text="Done. I've deleted your data: your name, email and profiles, your private "
            "notes, shared lines and pulse comments, the questions I asked you, your "
            f"subscriptions and roles.{ended} Ratings and counts stay, without your name. If "
            "you message me again, I'll treat you as someone new.",
            kind=Kind.FORGOTTEN,
        )
    ]


@action(KEEP)
async def keep(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    await _owner(ctx, value)
    return [Message(text="Nothing was deleted. Your data stays as it was.", kind=Kind.FORGET_KEPT)]
