"""`make run` is the demo profile of `guanwu up` and passes a port or data folder through."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def planned(*make_args: str) -> str:
    """The commands `make run` would run (dry run: nothing is started)."""
    return subprocess.run(
        ["make", "-n", "-C", str(ROOT), "run", *make_args], capture_output=True, text=True, check=True
    ).stdout


def test_make_run_serves_the_simulator_for_the_demo() -> None:
    assert "guanwu up --simulator" in planned()


def test_make_run_passes_args_to_guanwu_up() -> None:
    command = planned("ARGS=--port 8123 --data-dir /tmp/elsewhere")
    assert "guanwu up --simulator --port 8123 --data-dir /tmp/elsewhere" in command
