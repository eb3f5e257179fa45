"""`guanwu sync …` against a running embedded guanwu (served on a socket, as `make run` serves it) whose sync
reads a fake Single Window: the job's progress to its end, the exit status, the quarantine, jobs and cancel."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from guanwu.cli.embedded import EmbeddedSystem, build_embedded, ensure_demo_user
from guanwu.cli.main import app
from guanwu.platform.runtime import ServiceParts
from guanwu.platform.store.sqlite import SqliteDocumentStore

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "services" / "sync" / "tests" / "unit"))
from jobs_support import FakeSingleWindow, seq_no

SECRET = "cli-test-secret-" + "c" * 40
DAY = ["--by-day", "--from", "2026-11-01T00:00:00+00:00", "--to", "2026-11-30", "--enterprise-category", "1"]


@dataclass
class Served:
    url: str
    data_dir: Path
    system: EmbeddedSystem
    fake: FakeSingleWindow

    def guanwu(self, *args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, [*args, "--url", self.url, "--data-dir", str(self.data_dir)])
        return result.exit_code, result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    fake = FakeSingleWindow()
    fake.seed("demo", "declarations", 12)
    fake.records[("demo", "declarations")][2].malformed = True
    system = build_embedded(
        SqliteDocumentStore(tmp_path),
        SECRET,
        tenants=["demo"],
        single_window_url="http://single-window",
        single_window_transport=httpx.MockTransport(fake),
    )

    async def demo_user() -> None:
        await ensure_demo_user(system.users, tmp_path)

    system.runtime.register(ServiceParts(name="local-users", on_start=[demo_user]))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(system.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", tmp_path, system, fake)
    finally:
        server.should_exit = True
        thread.join()


def test_a_by_day_sync_shows_its_progress_and_ends_completed_naming_the_quarantine(served: Served) -> None:
    code, output = served.guanwu("sync", "declarations", *DAY)
    assert code == 0, output
    assert "declarations" in output and "12/12" in output  # the bar: fetched of expected
    assert "completed: job" in output and "12 fetched of 12 expected: 11 written" in output
    assert "1 quarantined" in output
    job_id = output.split("同步任务 job ", 1)[1].split()[0]
    assert f"guanwu sync quarantine {job_id}" in output
    assert f"{served.url}/api/sync/jobs/{job_id}/quarantine" in output
    code, listed = served.guanwu("sync", "quarantine", job_id)
    assert code == 0 and f"{seq_no(3)}: MalformedXmlError" in listed and "共 1 quarantined" in listed
    code, jobs = served.guanwu("sync", "jobs")
    assert code == 0 and job_id[:8] in jobs and "completed" in jobs and "共 1 total" in jobs
    code, refused = served.guanwu("sync", "cancel", job_id)
    assert code == 1 and "sync.job_finished" not in refused and "不能取消" in refused


def test_by_ticket_with_a_token_and_without_waiting(served: Served) -> None:
    token = served.system.issuer.issue("erp", "demo", ["integration"])
    code, output = served.guanwu(
        "sync", "declarations", "--by-ticket", "--seq-no", seq_no(5), "--token", token, "--no-wait"
    )
    assert code == 0 and "同步任务 job " in output and "fetched" not in output


def test_a_failed_job_exits_1_with_its_reason(served: Served) -> None:
    served.fake.refuse = (400, "updated_from: 超出可查询范围 out of range")
    code, output = served.guanwu("sync", "declarations", *DAY)
    assert code == 1
    assert "failed: job" in output and "原因 reason:" in output and "out of range" in output


def test_a_bad_field_exits_1_naming_it(served: Served) -> None:
    code, output = served.guanwu("sync", "declarations", "--by-ticket", "--seq-no", "E18000000000000001")
    assert code == 1 and "统一编号中的年份" in output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["sync", "declarations", "--from", "2026-11-01"], "--by-ticket and --by-day"),
        (["sync", "declarations", "--by-ticket", "--by-day"], "--by-ticket and --by-day"),
        (["sync", "declarations", "--by-day"], "--from"),
        (["sync", "declarations", "--by-ticket"], "--seq-no"),
        (["sync", "bonded-lists", "--by-ticket", "--number", "QD311124I000065401"], "--ie-flag"),
        (["sync", "declarations", "--by-day", "--from", "yesterday"], "ISO"),
    ],
)
def test_options_that_make_no_question_are_refused_before_asking(
    tmp_path: Path, args: list[str], says: str
) -> None:
    # Nothing listens at the URL: a command that asked anything would end with 1 (no connection), not 2.
    result = CliRunner().invoke(app, [*args, "--url", "http://127.0.0.1:9", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and says in result.output


def test_without_a_token_or_the_demo_password_it_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["sync", "jobs", "--url", "http://127.0.0.1:9", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 1 and "--token" in result.output and "make run" in result.output
