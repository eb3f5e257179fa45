"""deploy/local/pcscd.sh status reports the vpcd port of the pcscd it started, not the default.

No pcscd is started here (`up` would touch the machine-wide /run/pcscd): the state folder is laid out as `up`
leaves it (its reader config and the pid file of a live process), and a socket listens where vpcd would.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "local" / "pcscd.sh"
DEFAULT_PORT = 35963


@pytest.fixture
def vpcd() -> Iterator[int]:
    """A listening TCP socket standing in for vpcd, on a free port other than the default."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert port != DEFAULT_PORT
        yield port


@pytest.fixture
def started(tmp_path: Path, vpcd: int) -> Iterator[Path]:
    """The state folder of a pcscd started with GUANWU_VPCD_PORT=<vpcd>; a sleeping process plays pcscd."""
    state = tmp_path / "pcscd"
    state.mkdir()
    stand_in = subprocess.Popen(["sleep", "300"])
    try:
        (state / "pcscd.pid").write_text(f"{stand_in.pid}\n")
        (state / "reader.conf").write_text(
            'FRIENDLYNAME "GUANWU Virtual Card Reader"\n'
            f"DEVICENAME   /dev/null:{vpcd}\n"
            "LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n"
            f"CHANNELID    {vpcd}\n"
        )
        yield state
    finally:
        stand_in.kill()
        stand_in.wait()


def status(state: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "GUANWU_VPCD_PORT"}
    return subprocess.run(
        ["bash", str(SCRIPT), "status"],
        env={**clean, "GUANWU_PCSCD_DIR": str(state), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_status_reports_the_port_pcscd_was_started_on(started: Path, vpcd: int) -> None:
    result = status(started)
    assert result.returncode == 0, result.stderr
    assert f"vpcd port {vpcd} listening" in result.stdout
    assert str(DEFAULT_PORT) not in result.stdout


def test_status_reports_the_port_in_use_when_the_environment_asks_for_another(
    started: Path, vpcd: int
) -> None:
    result = status(started, GUANWU_VPCD_PORT=str(DEFAULT_PORT))
    assert result.returncode == 0 and f"vpcd port {vpcd} listening" in result.stdout
    assert f"GUANWU_VPCD_PORT={DEFAULT_PORT}" in result.stdout  # says the running one is not what is asked


def test_status_says_when_nothing_listens_on_the_port(started: Path, vpcd: int, tmp_path: Path) -> None:
    conf = started / "reader.conf"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        unused = probe.getsockname()[1]  # bound, not listening
        conf.write_text(conf.read_text().replace(str(vpcd), str(unused)))
        result = status(started)
    assert result.returncode == 0 and f"vpcd port {unused} not listening" in result.stdout


def test_status_of_a_folder_without_pcscd_is_not_running(tmp_path: Path) -> None:
    result = status(tmp_path / "none")
    assert result.returncode == 1 and "not running" in result.stdout
