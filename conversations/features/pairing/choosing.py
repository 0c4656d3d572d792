"""Which pair a participant means: the one resolver every pair-scoped verb uses.

``met``, ``checkin``, ``agenda``, ``pause``, ``resume``, ``leave`` and ``report`` each take
the partner (``met yes @ben``, declared once as :data:`PARTNER`) and a programme. From what
was given, the person's live pairs that fit are found by ids (the mention resolves to a
person through ``ctx.person``; display names decide nothing):

* one fits: that is the pair;
* none fits: a refusal (:class:`NoPair`) whose example uses the person's own partners;
* several fit and no partner was given: :class:`~conversations.errors.Choose`, a refusal
  that asks with a button per pair, labelled with the partner's name (and the programme's
  when the pairs are in several), each running the same command again with that partner
  added (written with ``codec.mention``, so it resolves by platform id). When the command
  is too long for a button (a long check-in note), the question is a sentence.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Literal

from conversations import arguments as arg
from conversations import cards, codec
from conversations.arguments import Args, Type
from conversations.context import Context
from conversations.errors import Choose, UserError
from conversations.messages import Button
from storage import repositories as repo
from storage.models import Pair, Person, Programme

PARTNER = arg.person("partner", optional=True, anywhere=True)
"""The partner a pair-scoped verb is about, written with @ anywhere among its words
(``met yes @ben``, ``met buddies @ben``)."""

_EXAMPLE_TEXT = 30
"""Free text longer than this is shown as "…" in an example."""
_PARTNER_SHOWN = "@PARTNER_SHOWN"
_TEXT_SHOWN = "TEXT_SHOWN"
"""Placeholders no quoting touches, replaced in an example by the partner's name and "…"."""


class NoPair(UserError):
    """No live pair of this person fits what was given."""


def names(people: Sequence[str], *, last: str = "and") -> str:
    """``Ben``, ``Ben and Cleo``, ``Ben, Cleo and Dev`` (or ``last="or"``)."""
    if len(people) <= 1:
        return "".join(people)
    return f"{', '.join(people[:-1])} {last} {people[-1]}"


def partners(pairs: Sequence[Pair], person: Person) -> str:
    """Each pair's partner, with the programme when the pairs are in several:
    ``Ben and Cleo in Buddies``, ``Ana in Buddies and Dev in Career``."""
    programmes = {p.programme_id for p in pairs}
    if len(programmes) == 1:
        return f"{names([p.other(person.id).label for p in pairs])} in {pairs[0].programme.name}"
    return names([f"{p.other(person.id).label} in {p.programme.name}" for p in pairs])


def _mention(person: Person) -> str | None:
    """The partner as a mention that resolves back to them by platform id, or None."""
    written = codec.mention(person.platform_user_id, person.label)
    ref = codec.person_ref(written)
    return written if ref is not None and ref.user_id == person.platform_user_id else None


def example(
    ctx: Context,
    args: Args,
    *,
    verb: str,
    pair: Pair,
    programme: Literal["keep", "add", "drop"] = "keep",
) -> str:
    """The command as typed, with this pair's partner as ``@Name``; the programme as typed
    (``keep``), this pair's (``add``, when only it tells pairs apart) or none (``drop``,
    when the one typed is not this pair's); long free text shown as "…"."""
    signature = ctx.registry.verbs[verb].signature
    instead: dict[str, str | None] = {"partner": _PARTNER_SHOWN}
    if programme == "add":
        instead["program"] = pair.programme.key
    elif programme == "drop":
        instead["program"] = None
    for param in signature.params:
        taken = args.as_written(param.attribute)
        if param.type == Type.TEXT and taken and len(" ".join(taken)) > _EXAMPLE_TEXT:
            instead[param.attribute] = _TEXT_SHOWN
    line = signature.line(args, instead, quote=_shown)
    return line.replace(_TEXT_SHOWN, '"…"').replace(
        _PARTNER_SHOWN, f"@{pair.other(ctx.actor.id).label}"
    )


def _shown(word: str) -> str:
    """A word as a person would type it: in double quotes when it has spaces."""
    quoted = shlex.quote(word)
    if quoted == word or '"' in word or "\\" in word:
        return quoted
    return f'"{word}"'


async def live_pairs(
    ctx: Context, *, partner: Person | None, programme: Programme | None
) -> list[Pair]:
    """This person's live pairs (active or paused) that fit the partner and programme."""
    pairs = await repo.live_pairs_of(
        ctx.session, person_id=ctx.actor.id, programme_id=programme.id if programme else None
    )
    if partner is not None:
        pairs = [p for p in pairs if p.other(ctx.actor.id).id == partner.id]
    return pairs


async def one_pair(ctx: Context, args: Args, *, verb: str, program: str | None = None) -> Pair:
    """The one live pair the command ``verb`` (parsed as ``args``) is about.

    ``program`` is the programme's key when the handler read it from somewhere else than
    ``args.program`` (``checkin 4 buddies``, whose one word is the note or the programme).
    """
    key = program if program is not None else args.program
    programme = await ctx.programme(key) if key is not None else None
    partner = await ctx.person(args.partner) if args.partner is not None else None
    pairs = await live_pairs(ctx, partner=partner, programme=programme)
    if len(pairs) == 1:
        return pairs[0]
    if not pairs:
        raise await none_fit(ctx, args, verb=verb, partner=partner, programme=programme)
    raise which(ctx, args, verb=verb, pairs=pairs)


async def none_fit(
    ctx: Context,
    args: Args,
    *,
    verb: str,
    partner: Person | None,
    programme: Programme | None,
) -> NoPair:
    """Why no pair fits, with an example from the person's own pairs."""
    everyone = await repo.live_pairs_of(ctx.session, person_id=ctx.actor.id)
    if not everyone:
        return NoPair(
            "You don't have a mentoring partner right now."
            + (" Type status to see your programmes." if programme is None else "")
        )
    where = f" in {programme.name}" if programme is not None else ""
    if partner is not None and partner.id == ctx.actor.id:
        said = "That's you."
    elif partner is not None:
        said = f"You're not paired with {partner.label}{where} right now."
    else:
        said = f"You don't have a partner{where} right now."
    # An example from the pairs in the programme as typed, else from them all (without
    # the programme typed, which is not theirs); with the programme when pairs are in several.
    shown = [p for p in everyone if programme is None or p.programme_id == programme.id]
    sample = shown or everyone
    how: Literal["keep", "add", "drop"] = "keep" if shown else "drop"
    if len({p.programme_id for p in sample}) > 1:
        how = "add"
    e_g = example(ctx, args, verb=verb, pair=sample[0], programme=how)
    return NoPair(f"{said} You're paired with {partners(everyone, ctx.actor)}: e.g. {e_g}")


def which(
    ctx: Context,
    args: Args,
    *,
    verb: str,
    pairs: Sequence[Pair],
    also: Sequence[Button] = (),
) -> UserError:
    """Several pairs fit: ask which, with a button per pair (and ``also`` after them)."""
    signature = ctx.registry.verbs[verb].signature
    several = len({p.programme_id for p in pairs}) > 1
    buttons: list[Button] = []
    for pair in pairs:
        other = pair.other(ctx.actor.id)
        mention = _mention(other)
        if mention is None:
            buttons = []
            break
        instead: dict[str, str | None] = {"partner": mention}
        if several:
            instead["program"] = pair.programme.key
        command = signature.line(args, instead)
        if not codec.fits(command):
            buttons = []
            break
        label = f"{other.label} ({pair.programme.name})" if several else other.label
        buttons.append(cards.command_button(label, command))
    e_g = example(ctx, args, verb=verb, pair=pairs[0], programme="add" if several else "keep")
    lead = f"You have more than one partner: {partners(pairs, ctx.actor)}."
    if not buttons:
        each = names([f"@{p.other(ctx.actor.id).label}" for p in pairs], last="or")
        return UserError(f"{lead} Add the partner it's about ({each}), e.g. {e_g}")
    return Choose(
        f"{lead} Which one is this about? Press a name, or add the partner, e.g. {e_g}",
        buttons=(*buttons, *also),
    )
