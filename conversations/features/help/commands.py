"""``help``: the verbs this person can use, or one verb's usage."""

from __future__ import annotations

from conversations import arguments as arg
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.errors import UserError
from conversations.kinds import Kind
from conversations.messages import Card, Message, Section
from conversations.registry import action, home, verb
from conversations.registry import overview as registry_overview


@home(order=90)
async def home_help(ctx: Context) -> list[Message]:
    return [overview(ctx)]


@registry_overview
def overview(ctx: Context) -> Message:
    groups: dict[str, list[str]] = {}
    for each in ctx.registry.verbs.values():
        if each.role is not None and each.role not in ctx.roles:
            continue
        groups.setdefault(each.group, []).append(f"• {each.usage}: {each.summary}")
    sections = tuple(
        Section(text=f"*{group}*\n" + "\n".join(lines)) for group, lines in groups.items()
    )
    text = "\n\n".join(s.text for s in sections)
    return Message(
        text="Here's what you can ask me:\n\n" + text + "\n\nType help <command> for details.",
        card=Card(
            header="How I can help",
            sections=(*sections, Section(text="Type help <command> for details.")),
        ),
        kind=Kind.HELP,
    )


@verb(
    "help",
    summary="this list, or how to use one command",
    arguments=(arg.text("command", label="command", optional=True, rest=True, most=2),),
)
async def help_(ctx: Context, args: Args) -> Reply:
    if args.command is None:
        return [overview(ctx)]
    found, _ = ctx.registry.find(args.command.split())
    if found is None:
        shown = args.command if len(args.command) <= 60 else args.command[:60] + "…"
        raise UserError(f"There's no command called '{shown}'. Type help to see them all.")
    who = f" (for {found.role}s)" if found.role else ""
    return [
        Message(text=f"{found.name}{who}: {found.summary}.\nUsage: {found.usage}", kind=Kind.HELP)
    ]


@action("help")
async def press_help(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    return [overview(ctx)]
