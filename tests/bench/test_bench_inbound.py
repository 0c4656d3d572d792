"""The inbound benchmark, tiny: every signed command through ``mentorbot serve`` and the
bare bolt app is answered 200 and every one of our replies reaches its response URL.
No timing is asserted; the figures are only ever read beside their baseline."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bench import inbound
from bot.cli import main
from tests.support.paths import FIXTURES as SUPPORT_FIXTURES

FIXTURES = SUPPORT_FIXTURES / "slack"


def _fields(result: type) -> set[str]:
    return {f.name for f in dataclasses.fields(result)}


def test_the_benchmark_signs_commands_the_way_slack_does() -> None:
    body = (FIXTURES / "slash_command_signing_example.txt").read_text(encoding="utf-8").strip()
    assert inbound.sign(body, 1531420618, secret="8f742231b10e8888abcd99yyyzzz85a5") == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


@pytest.mark.process
@pytest.mark.slow
def test_every_command_is_answered_and_every_status_reply_arrives(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["bench", "inbound", "--json", "--requests", "40", "--warmup", "10"]
    assert main([*argv, "--concurrency", "5", "--pairs", "3"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result.pop("benchmark") == "inbound"
    assert set(result) == _fields(inbound.Result)
    assert (result["requests"], result["warmup"], result["concurrency"]) == (40, 10, 5)
    ours, bare = result["ours"], result["bare"]
    assert set(ours) == set(bare) == _fields(inbound.Side)
    assert ours["server"] == "mentorbot serve" and bare["server"] == "bare slack-bolt"
    assert ours["requests"] == bare["requests"] == 40
    assert ours["http_200"] == bare["http_200"] == 40
    assert ours["replies"] == 40  # each one a status naming the person's pair
    assert ours["wrong_replies"] == 0
    assert bare["replies"] == 0 and bare["reply_p50_ms"] is None  # it only acks
    for side in (ours, bare):
        assert 0 < side["http_p50_ms"] <= side["http_p99_ms"]
        assert side["throughput"] > 0 and side["server_cpu_ms"] > 0
    assert 0 < ours["reply_p50_ms"] <= ours["reply_p99_ms"]
    assert result["ratio"] > 0
    shown = inbound.table(
        inbound.Result(**{**result, "ours": inbound.Side(**ours), "bare": inbound.Side(**bare)})
    )
    for label in ("commands/s", "HTTP p99", "reply p99", "ours ÷ bare", "target"):
        assert label in shown


@pytest.mark.process
@pytest.mark.slow
def test_memory_is_read_from_both_servers_after_a_warm_up_in_which_everyone_spoke(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Six people and a warm-up of two: the warm-up is lengthened so that every person's
    first command (the one that looks up their profile) falls in it, not in the measured
    run; the second memory sample follows both."""
    argv = ["bench", "memory", "--json", "--requests", "12", "--warmup", "2"]
    assert main([*argv, "--concurrency", "3", "--pairs", "3"]) == 0
    memory = json.loads(capsys.readouterr().out)
    assert memory["benchmark"] == "memory"
    assert memory["requests"] == 6 + 12  # the warm-up became one command per person
    assert memory["serve_idle_mb"] > memory["python_aiohttp_mb"] > 0
    assert memory["serve_after_mb"] > 0 and memory["bare_after_mb"] > 0
