"""Customs kernel throughput on one core: logic checks of a 50-line declaration, and DecMessage build + parse.

    uv run python bench/customs.py [--seconds 3]

Prints declarations per second; the target (≥ 2,000 checked/s) is printed next to the figure, never
asserted: the machine is shared and absolute numbers are noisy.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import statistics
import time
from collections.abc import Callable
from datetime import date

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs.codes import load_default_tables
from guanwu.customs.rules import Level, check

CHECK_TARGET = 2_000


def fifty_line_declaration() -> DeclarationDocument:
    from guanwu.customs.fixtures import fifty_line_export

    return fifty_line_export()


def per_second(fn: Callable[[], object], seconds: float, windows: int = 5) -> tuple[float, float]:
    """(best, median) rate over `windows` windows: on a shared machine the best window is the one least
    disturbed by neighbours, the median shows what a busy machine gives."""
    fn()  # warm caches (rule plans, code tables) outside the clock
    rates = []
    for _ in range(windows):
        count, start = 0, time.perf_counter()
        deadline = start + seconds / windows
        while time.perf_counter() < deadline:
            for _ in range(20):
                fn()
            count += 20
        rates.append(count / (time.perf_counter() - start))
    return max(rates), statistics.median(rates)


def xml_round_trip(doc: DeclarationDocument) -> Callable[[], object] | None:
    """build + parse, imported lazily: the messages module belongs to another part of the work."""
    try:
        module = importlib.import_module("guanwu.customs.messages.dec_message")
        build, parse = module.build_dec_message, module.parse_dec_message
    except (ImportError, AttributeError):
        return None
    return lambda: parse(build(doc))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    doc = fifty_line_declaration()
    tables = load_default_tables()
    today = date(2024, 7, 21)
    print(f"machine: {platform.python_implementation()} {platform.python_version()} {platform.machine()}")
    print(
        f"document: {len(doc.goods)} goods lines, {len(check(doc, Level.DECLARE, tables, today=today))} findings"
    )

    for level in (Level.STAGE, Level.DECLARE):
        best, median = per_second(lambda level=level: check(doc, level, tables, today=today), args.seconds)
        verdict = "ok" if best >= CHECK_TARGET else "BELOW TARGET"
        print(
            f"RESULT customs.check.{level.name.lower()}: best={best:,.0f}/s median={median:,.0f}/s "
            f"declarations target>={CHECK_TARGET:,} ({verdict})"
        )

    round_trip = xml_round_trip(doc)
    if round_trip is None:
        print("RESULT customs.xml.build_parse: n/a (guanwu.customs.messages.dec_message not available)")
    else:
        best, median = per_second(round_trip, args.seconds)
        print(f"RESULT customs.xml.build_parse: best={best:,.0f}/s median={median:,.0f}/s declarations")


if __name__ == "__main__":
    main()
