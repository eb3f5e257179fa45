"""Waiting in tests without a total deadline: wait while something still moves, fail once it went quiet.

A machine shared with other work may be slow, so a test never says "within N seconds"; it says "while the
processes involved still use CPU or write output, keep waiting; after `quiet_seconds` of neither, give up".
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
QUIET_SECONDS = 30.0


def _proc_stats() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU ticks spent) of every process we may read."""
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()  # fields from the 3rd (state) on
        stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return stats


def tree_cpu_ticks(root: int) -> int:
    """CPU ticks of a process and of every live descendant."""
    stats = _proc_stats()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0))[1]
        todo.extend(children.get(pid, []))
    return total


def activity(*processes: subprocess.Popen[bytes], files: tuple[Path, ...] = ()) -> Callable[[], object]:
    """A value that changes while the processes (and their children) work or their output files grow.

    CPU counts in steps of 0.1 s: an idle server (a poller waking now and then) does not look busy."""
    step = max(1, os.sysconf("SC_CLK_TCK") // 10)

    def sign() -> object:
        sizes = tuple(f.stat().st_size if f.exists() else 0 for f in files)
        return (tuple(tree_cpu_ticks(p.pid) // step for p in processes), sizes)

    return sign


def wait_while_moving(
    probe: Callable[[], T | None],
    moving: Callable[[], object],
    what: str,
    quiet_seconds: float = QUIET_SECONDS,
    interval: float = 0.2,
) -> T:
    """Poll `probe` until it returns something truthy; fail when `moving()` stayed the same for
    `quiet_seconds` (nothing is happening any more, so nothing will)."""
    seen, since = moving(), time.monotonic()
    while True:
        found = probe()
        if found:
            return found
        time.sleep(interval)
        now, sign = time.monotonic(), moving()
        if sign != seen:
            seen, since = sign, now
        elif now - since > quiet_seconds:
            raise AssertionError(f"{what}: nothing moved for {quiet_seconds:g} s (last probe: {found!r})")
