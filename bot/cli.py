"""The ``mentorbot`` command (also ``python -m bot``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from adapters.plugins import PlatformError
from bot import platforms
from bot.config import ConfigError, Settings, configure_logging, load_settings
from storage.models import Role


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mentorbot", description="A mentoring bot for Slack and Microsoft Teams."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser("demo", help="run a whole fictional programme on a virtual clock")
    demo.add_argument("--full", action="store_true", help="print every card in full")
    demo.add_argument(
        "--database",
        default="./var/demo.sqlite3",
        help="SQLite file to (re)create for the demo (default: %(default)s)",
    )
    sub.add_parser("console", help="chat with the bot in this terminal (same database)")
    serve_parser = sub.add_parser(
        "serve", help="run the web server, planning and delivering in the background"
    )
    platforms.serve_arguments(serve_parser)
    sub.add_parser("worker", help="plan and deliver only, without the web server")
    db = sub.add_parser("db", help="database commands")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations up to the latest")
    admin = sub.add_parser("admin", help="roles, set by the server's operator")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    admin_grant = admin_sub.add_parser(
        "grant", help="give someone a role in a workspace, e.g. its first coordinator"
    )
    admin_grant.add_argument(
        "--workspace", required=True, help="the Slack team id or Teams tenant id"
    )
    admin_grant.add_argument("--user", required=True, help="the person's Slack or Teams user id")
    admin_grant.add_argument("role", choices=[str(role) for role in Role])
    admin_grant.add_argument(
        "--platform",
        choices=platforms.chat_platforms(),
        help="which platform the workspace is on (needed before anyone there used the bot)",
    )
    programs = sub.add_parser("programs", help="bundled curricula")
    programs_sub = programs.add_subparsers(dest="programs_command", required=True, metavar="ACTION")
    programs_sub.add_parser("list", help="list the curricula this install offers")
    validate = programs_sub.add_parser("validate", help="check a curriculum YAML file")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    platforms.add_commands(sub)
    digest = sub.add_parser("digest", help="the executive digest")
    digest_sub = digest.add_subparsers(dest="digest_command", required=True, metavar="ACTION")
    digest_preview = digest_sub.add_parser(
        "preview", help="print the digest an executive would get now, and write its chart"
    )
    digest_preview.add_argument("--program", help="one programme's key (default: all opened)")
    digest_preview.add_argument("--workspace", help="the workspace or tenant id, if several")
    digest_preview.add_argument(
        "--timezone", help="the reader's time zone (default: DEFAULT_TIMEZONE)"
    )
    digest_preview.add_argument(
        "--out", type=Path, default=Path("digest.png"), help="chart file (default: %(default)s)"
    )
    bench = sub.add_parser("bench", help="run a benchmark")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, metavar="NAME")
    matching = bench_sub.add_parser("matching", help="optimal matching against greedy")
    matching.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    matching.add_argument("--mentees", type=int, default=2000)
    matching.add_argument("--mentors", type=int, default=1000)
    matching.add_argument("--capacity", type=int, default=2)
    matching.add_argument("--seed", type=int, default=2026)
    tick = bench_sub.add_parser("tick", help="one planner tick against the bare due-pairs query")
    tick.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    tick.add_argument("--pairs", type=int, default=100_000)
    tick.add_argument("--due", type=float, default=0.05, help="fraction due for an agenda")
    tick.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    tick.add_argument("--postgres-url", help="PostgreSQL server (default: TEST_DATABASE_URL)")
    tick.add_argument("--runs", type=int, default=3, help="fresh copies to tick (median)")
    fanout = bench_sub.add_parser("fanout", help="outbox delivery against a rate-limited fake")
    fanout.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    fanout.add_argument("--messages", type=int, default=10_000)
    fanout.add_argument("--channels", type=int, default=2000)
    fanout.add_argument("--workspace-rate", type=float, default=200.0, help="messages/s")
    fanout.add_argument("--concurrency", type=int, default=64)
    digest_bench = bench_sub.add_parser(
        "digest", help="the executive digest against a bare aggregate query"
    )
    digest_bench.add_argument(
        "--json", action="store_true", help="one JSON object instead of a table"
    )
    digest_bench.add_argument("--pairs", type=int, default=10_000)
    digest_bench.add_argument("--checkins", type=int, default=500_000)
    digest_bench.add_argument(
        "--database", choices=("sqlite", "postgresql", "both"), default="both"
    )
    digest_bench.add_argument(
        "--postgres-url", help="PostgreSQL server (default: TEST_DATABASE_URL)"
    )
    digest_bench.add_argument("--runs", type=int, default=3, help="measured runs (median)")
    inbound = bench_sub.add_parser(
        "inbound", help="/mentor status through mentorbot serve against a bare bolt app"
    )
    memory = bench_sub.add_parser(
        "memory", help="resident memory of mentorbot serve, idle and after the inbound run"
    )
    for server_bench in (inbound, memory):
        server_bench.add_argument(
            "--json", action="store_true", help="one JSON object instead of a table"
        )
        server_bench.add_argument("--requests", type=int, default=3000, help="measured commands")
        server_bench.add_argument("--warmup", type=int, default=300, help="commands not measured")
        server_bench.add_argument("--concurrency", type=int, default=50)
        server_bench.add_argument("--pairs", type=int, default=25, help="pairs seeded")
    every = bench_sub.add_parser("all", help="every benchmark, one table")
    every.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    every.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
    every.add_argument("--postgres-url", help="PostgreSQL server (default: TEST_DATABASE_URL)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "bench" and args.bench_command == "tick":
        from bench import tick

        return tick.main(
            as_json=args.json,
            pairs=args.pairs,
            due=args.due,
            database=args.database,
            postgres_url=args.postgres_url,
            runs=args.runs,
        )
    if args.command == "bench" and args.bench_command == "fanout":
        from bench import fanout

        return fanout.main(
            as_json=args.json,
            messages=args.messages,
            channels=args.channels,
            workspace_rate=args.workspace_rate,
            concurrency=args.concurrency,
        )
    if args.command == "bench" and args.bench_command == "digest":
        from bench import digest as digest_bench

        return digest_bench.main(
            as_json=args.json,
            pairs=args.pairs,
            checkins=args.checkins,
            database=args.database,
            postgres_url=args.postgres_url,
            runs=args.runs,
        )
    if args.command == "bench" and args.bench_command in ("inbound", "memory"):
        from bench import inbound, memory

        return (inbound.main if args.bench_command == "inbound" else memory.main)(
            as_json=args.json,
            requests=args.requests,
            warmup=args.warmup,
            concurrency=args.concurrency,
            pairs=args.pairs,
        )
    if args.command == "bench" and args.bench_command == "all":
        from bench import suite

        return suite.main(as_json=args.json, quick=args.quick, postgres_url=args.postgres_url)
    if args.command == "bench":
        from bench import matching

        return matching.main(
            as_json=args.json,
            mentees=args.mentees,
            mentors=args.mentors,
            capacity=args.capacity,
            seed=args.seed,
        )
    owner = platforms.command_owner(args.command)
    if owner is not None:
        return owner.run_command(args)
    if args.command == "programs":
        from bot import programs_cli

        if args.programs_command == "list":
            return programs_cli.list_curricula()
        return programs_cli.validate(args.files)
    try:
        settings = load_settings()
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"mentorbot: configuration error: {line}", file=sys.stderr)
        return 2
    configure_logging(settings)
    if args.command == "demo":
        from bot.demo import run_demo

        return asyncio.run(run_demo(database=Path(args.database), full=args.full, write=print))
    if args.command == "console":
        from bot.console import run_console

        return asyncio.run(run_console(settings))
    if args.command == "serve":
        try:
            platforms.configured(settings, args)  # a platform that cannot run stops it here
        except PlatformError as exc:
            print(f"mentorbot: configuration error: {exc}", file=sys.stderr)
            return 2
        return serve(settings, args)
    if args.command == "digest":
        from bot.digest_cli import preview

        return asyncio.run(
            preview(
                settings,
                programme_key=args.program,
                workspace=args.workspace,
                out=args.out,
                timezone=args.timezone,
            )
        )
    if args.command == "admin":
        from bot.admin_cli import grant

        return asyncio.run(
            grant(
                settings,
                workspace=args.workspace,
                user=args.user,
                role=args.role,
                platform=args.platform,
            )
        )
    if args.command == "worker":
        return asyncio.run(_worker(settings))
    if args.command == "db":
        return asyncio.run(_upgrade(settings))
    return 2


async def _upgrade(settings: Settings) -> int:
    from storage import db, migrate

    db.ensure_sqlite_directory(settings.database_url)
    engine = db.create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        print(f"database is at revision {await migrate.current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0


async def _worker(settings: Settings) -> int:
    from bot.app import build
    from bot.runtime import run_worker

    return await run_worker(await build(settings))


SHUTDOWN_SECONDS = 5.0
"""Slack and Teams requests are answered within 3 s, so open ones are done well before."""


def serve(settings: Settings, options: argparse.Namespace | None = None) -> int:
    from aiohttp import web

    from bot.app import build
    from bot.server import make_web_app

    async def _make() -> web.Application:
        return make_web_app(await build(settings), background=True, options=options)

    # On SIGTERM aiohttp stops listening and gives open requests SHUTDOWN_SECONDS; then the
    # app's cleanup lets acknowledged replies and in-flight sends finish (bot.server).
    web.run_app(
        _make(),
        port=settings.port,
        print=lambda text: print(text, flush=True),
        shutdown_timeout=SHUTDOWN_SECONDS,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
