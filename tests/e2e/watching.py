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


def _tree(root: int, stats: dict[int, tuple[int, int]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def descendants(root: int) -> list[int]:
    """Live processes started by `root`, directly or not."""
    return _tree(root, _proc_stats())[1:]


def tree_cpu_ticks(root: int) -> int:
    """CPU ticks of a process and of every live descendant."""
    stats = _proc_stats()
    return sum(stats.get(pid, (0, 0))[1] for pid in _tree(root, stats))


class Activity:
    """Counts the moments the processes (and their children) work or their output files grow.

    Working means using at least `busy_share` of a core over a sample of at least a second: an idle server
    (pollers, heartbeats) uses a little CPU all the time and must not look busy."""

    def __init__(
        self, processes: tuple[subprocess.Popen[bytes], ...], files: tuple[Path, ...], busy_share: float
    ) -> None:
        self.processes, self.files = processes, files
        self.busy_ticks_per_second = busy_share * os.sysconf("SC_CLK_TCK")
        self.moves = 0
        self._sizes = self._file_sizes()
        self._ticks, self._at = self._cpu(), time.monotonic()

    def _file_sizes(self) -> tuple[int, ...]:
        return tuple(f.stat().st_size if f.exists() else 0 for f in self.files)

    def _cpu(self) -> int:
        return sum(tree_cpu_ticks(p.pid) for p in self.processes)

    def __call__(self) -> int:
        if (sizes := self._file_sizes()) != self._sizes:
            self._sizes = sizes
            self.moves += 1
        now = time.monotonic()
        if now - self._at >= 1.0:
            ticks = self._cpu()
            if ticks - self._ticks >= self.busy_ticks_per_second * (now - self._at):
                self.moves += 1
            self._ticks, self._at = ticks, now
        return self.moves


def activity(
    *processes: subprocess.Popen[bytes], files: tuple[Path, ...] = (), busy_share: float = 0.2
) -> Activity:
    """A count that grows while the processes (and their children) work or their output files grow."""
    return Activity(processes, files, busy_share)


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


class OwnActivity(Activity):
    """The same count for this process (an embedded system runs inside the test's process)."""

    def __init__(self, busy_share: float = 0.2) -> None:
        super().__init__((), (), busy_share)

    def _cpu(self) -> int:
        return int(time.process_time() * os.sysconf("SC_CLK_TCK"))
