"""Every Grafana panel's and every alert rule's PromQL, evaluated by Debian's real Prometheus against a running
guanwu (`guanwu up --simulator`, a declaration driven through its lifecycle by `guanwu.cli.demo`): each
expression parses, each metric it names has series, each rule group is loaded and evaluates with health ok.

Prometheus scrapes every second, with the rules of deploy/prometheus/rules; prometheus and promtool come
from deploy/local/prometheus.sh."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from distributed import free_port
from monitoring_queries import Query, all_queries, prometheus_tool, rule_files, rule_groups
from watching import activity, wait_while_moving

from guanwu.cli import demo
from guanwu.cli.embedded import DEMO_USER

pytestmark = pytest.mark.e2e
TENANT = "demo"


@dataclass
class Server:
    url: str
    popen: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, **params: Any) -> Any:
        answer = httpx.get(f"{self.url}{path}", params=params, timeout=30)
        return answer.json()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@contextlib.contextmanager
def running(
    args: list[str], log: Path, url: str, cwd: Path, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """A process of ours on its own port, its output in `log`; terminated (then killed) at the end."""
    cwd.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        popen = subprocess.Popen(
            args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    try:
        yield Server(url, popen, log)
    finally:
        popen.terminate()
        try:
            popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()


def answers(server: Server, path: str) -> bool:
    assert server.popen.poll() is None, f"{server.log.name}: the process exited:\n{server.tail()}"
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{server.url}{path}", timeout=5).status_code == 200
    return False


@pytest.fixture
def guanwu(tmp_path: Path) -> Iterator[Server]:
    """`guanwu up --simulator` on a free port; the background counts refreshed every second."""
    port = free_port()
    args = [sys.executable, "-m", "guanwu.cli.main", "up", "--simulator", "--port", str(port)]
    args += ["--data-dir", str(tmp_path / "data"), "--tenant", TENANT]
    env = {"GUANWU_DECLARATION_METRICS_REFRESH_SECONDS": "1", "GUANWU_ANOMALY_METRICS_REFRESH_SECONDS": "1"}
    with running(args, tmp_path / "guanwu.log", f"http://127.0.0.1:{port}", tmp_path, env) as server:
        moving = activity(server.popen, files=(server.log,))
        wait_while_moving(lambda: answers(server, "/readyz"), moving, "guanwu up to be ready")
        yield server


def prometheus_config(tmp_path: Path, target: str) -> Path:
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(path) for path in rule_files()],
        "scrape_configs": [{"job_name": "guanwu", "static_configs": [{"targets": [target]}]}],
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(json.dumps(config, indent=2))  # JSON is YAML
    return path


@pytest.fixture
def prometheus(tmp_path: Path, guanwu: Server) -> Iterator[Server]:
    binary, port = prometheus_tool("prometheus"), free_port()
    args = [binary, f"--config.file={prometheus_config(tmp_path, guanwu.url.removeprefix('http://'))}"]
    args += [f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"]
    with running(args, tmp_path / "prometheus.log", f"http://127.0.0.1:{port}", tmp_path) as server:
        moving = activity(server.popen, files=(server.log,))
        wait_while_moving(lambda: answers(server, "/-/ready"), moving, "Prometheus to be ready")
        yield server


# What the demo leaves behind, as the business and card-signer panels must show it.
EVIDENCE = (
    'guanwu_process_ready{service="embedded"} == 1',
    'guanwu_http_request_duration_seconds_count{route="/api/declaration/declarations", method="POST"} > 0',
    "sum(guanwu_declaration_declarations) > 0",
    "guanwu_declaration_status_changes_total > 0",
    'guanwu_card_signer_signatures_total{outcome="signed"} > 0',
    'guanwu_sync_declarations_total{outcome="submitted"} > 0',
    'guanwu_sync_single_window_requests_total{operation="declare", outcome="ok"} > 0',
    'guanwu_sync_receipts_total{channel="P"} > 0',
    'guanwu_sync_receipts_total{channel="D"} > 0',
    'guanwu_anomaly_registered_total{source="manual"} > 0',
    'guanwu_anomaly_registered_total{source="receipt"} > 0',
    "guanwu_anomaly_records > 0",
)


async def drive(url: str, data_dir: Path) -> dict[str, Any]:
    """The demo's declaration through 放行, one anomaly registered by hand and one from a 删单 receipt."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        headers = await demo.login(client, DEMO_USER, (data_dir / "demo-password").read_text().strip())
        final = await demo.walk(client, headers, lambda _: None, timeout=600)
        anomaly = {
            "document_no": "610120260000054321",
            "anomaly_type": "查验",
            "occurred_on": str(date.today()),
        }
        registered = await client.post("/api/anomaly/anomalies", json=anomaly, headers=headers)
        assert registered.status_code == 201, registered.text
        receipt = {"enterprise": TENANT, "entry_id": "610120260000055555", "channel": "D", "note": "海关删单"}
        injected = await client.post("/sim/receipts", json=receipt)
        assert injected.status_code == 201, injected.text
    return final


def query(prometheus: Server, expr: str) -> dict[str, Any]:
    answer: dict[str, Any] = prometheus.get("/api/v1/query", query=expr)
    return answer


def scraped(prometheus: Server) -> list[dict[str, Any]] | None:
    targets = prometheus.get("/api/v1/targets")["data"]["activeTargets"]
    return targets if targets and all(t["health"] == "up" for t in targets) else None


def missing_series(prometheus: Server, names: list[str]) -> list[str]:
    return [name for name in names if not prometheus.get("/api/v1/series", **{"match[]": name})["data"]]


def absent_evidence(prometheus: Server) -> list[str]:
    return [expr for expr in EVIDENCE if not query(prometheus, expr)["data"]["result"]]


def unevaluated_rules(prometheus: Server) -> list[str]:
    """Rules of our files that Prometheus has not loaded, or not evaluated yet, or evaluated with an error."""
    loaded = {g["name"]: g for g in prometheus.get("/api/v1/rules")["data"]["groups"]}
    problems = []
    for group in rule_groups():
        found = loaded.get(group["name"])
        if found is None or len(found["rules"]) != len(group["rules"]):
            problems.append(
                f"group {group['name']}: not loaded as written ({found and len(found['rules'])} rules)"
            )
            continue
        for rule in found["rules"]:
            if rule["health"] != "ok" or rule["lastEvaluation"].startswith("0001"):
                problems.append(
                    f"{group['name']} › {rule['name']}: health {rule['health']} {rule.get('lastError', '')}"
                )
    return problems


def wait_for(prometheus: Server, guanwu: Server, probe: Any, what: str) -> Any:
    """Poll `probe` (a list of what is still missing) until it is empty, while the list shrinks or either
    process works; fail after a quiet period naming what is still missing."""
    moving = activity(prometheus.popen, guanwu.popen, files=(prometheus.log, guanwu.log))
    last: list[Any] = []

    def done() -> bool:
        last[:] = probe()
        return not last

    try:
        wait_while_moving(done, lambda: (moving(), len(last)), what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; still missing: {last}") from None


def sync_jobs(prometheus: Server) -> set[str]:
    """The sync_job values of the business dashboard's sync-jobs panel."""
    (panel,) = [q for q in all_queries() if q.where.startswith("business › 同步任务运行")]
    return {
        series["metric"].get("sync_job", "")
        for series in query(prometheus, panel.concrete())["data"]["result"]
    }


def evaluate(prometheus: Server, item: Query) -> tuple[str, int]:
    """("ok", number of series in the result), or ("error", 0) with Prometheus' error in the report."""
    answer = query(prometheus, item.concrete())
    if answer.get("status") != "success":
        return f"error: {answer.get('errorType')}: {answer.get('error')}", 0
    return "ok", len(answer["data"]["result"])


def report(results: list[tuple[Query, str, int]]) -> str:
    lines = [
        f"{status:>5} {count:>3} series  {item.where}\n            {item.concrete()}"
        for item, status, count in results
    ]
    return "\n".join(lines)


def test_every_panel_and_rule_evaluates_on_a_real_prometheus(
    guanwu: Server, prometheus: Server, tmp_path: Path
) -> None:
    final = asyncio.run(drive(guanwu.url, tmp_path / "data"))
    assert final["status"] in ("放行", "结关")
    wait_for(prometheus, guanwu, lambda: [] if scraped(prometheus) else ["a scrape of guanwu"], "a scrape")
    queries = all_queries()
    names = sorted({name for item in queries for name in item.names()})
    wait_for(prometheus, guanwu, lambda: missing_series(prometheus, names), "a series of every metric named")
    wait_for(prometheus, guanwu, lambda: absent_evidence(prometheus), "the demo's traces in the metrics")
    wait_for(prometheus, guanwu, lambda: unevaluated_rules(prometheus), "every rule loaded and evaluated")

    results = [(item, *evaluate(prometheus, item)) for item in queries]
    print(f"\n{len(queries)} queries, {len(names)} metric names, evaluated on Prometheus:\n{report(results)}")
    (tmp_path / "evaluated.txt").write_text(report(results))
    failed = [f"{item.where}: {status}\n  {item.concrete()}" for item, status, _ in results if status != "ok"]
    assert not failed, "\n".join(failed)
    assert not missing_series(prometheus, names)
    # Every panel shows something once the demo ran: no empty graph on a fresh installation.
    empty = [item.where for item, _, count in results if item.kind != "rule" and count == 0]
    assert not empty, f"panels without data: {empty}"
    # The sync job reaches the panels under its own name whatever the scrape did to its `job` label.
    jobs = sync_jobs(prometheus)
    assert "receipt_poll" in jobs and jobs <= {"receipt_poll", "resend"}, jobs
    # A healthy system after one declaration matches no alert condition.
    matching = [item.where for item, _, count in results if item.kind == "rule" and count > 0]
    assert not matching, f"alert conditions true on a healthy guanwu: {matching}"
