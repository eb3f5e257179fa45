"""The `guanwu` command: run embedded, serve one service, manage local infrastructure, mint tokens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn

from guanwu.cli.replay_command import replay_app
from guanwu.cli.sync_command import sync_app
from guanwu.cli.users_command import users_app

if TYPE_CHECKING:
    from guanwu.singlewindow_sim.seeding import SeedSpec

app = typer.Typer(help="guanwu 关务 — customs affairs platform", no_args_is_help=True)
infra_app = typer.Typer(help="Local Kafka + FerretDB for development and tests", no_args_is_help=True)
app.add_typer(infra_app, name="infra")
app.add_typer(sync_app, name="sync")
app.add_typer(replay_app, name="replay")
app.add_typer(users_app, name="users")


DataDir = Annotated[
    Path, typer.Option(envvar="GUANWU_DATA_DIR", help="Folder for the SQLite store and secrets")
]
Host = Annotated[str, typer.Option(envvar="GUANWU_HOST", help="Listen address")]
Port = Annotated[int, typer.Option(envvar="GUANWU_PORT", min=1, max=65535, help="Listen port")]


@app.command()
def up(
    data_dir: DataDir = Path("data"),
    host: Host = "127.0.0.1",
    port: Port = 8000,
    tenant: Annotated[list[str], typer.Option(help="Tenants whose receipts are synced")] = ["demo"],  # noqa: B006
    simulator: Annotated[
        bool,
        typer.Option(
            "--simulator",
            help="Serve the Single Window simulator under /sim and sync with it (demo; `make run` does). "
            "Anyone who reaches the port can then post receipts",
        ),
    ] = False,
    single_window_url: Annotated[
        str | None,
        typer.Option(
            envvar="GUANWU_SINGLE_WINDOW_URL",
            help="Sync with the Single Window at this URL (e.g. a simulator run alone). Without it or "
            "--simulator, 申报 requests are kept unsent and no receipts are polled",
        ),
    ] = None,
    simulator_dataset: Annotated[
        list[str],
        typer.Option(
            "--simulator-dataset",
            metavar="ENTERPRISE:DECLARATIONS:BONDED_LISTS[:SEED]",
            help="Seed the simulator with an enterprise's 报关单 and 核注清单 over the last 30 days, e.g. "
            "demo:2000:200 (seed 1 unless given; `make run` does). Repeatable; needs --simulator",
        ),
    ] = [],  # noqa: B006
) -> None:
    """Run everything in one process (embedded default): APIs and docs at /docs."""
    from guanwu.singlewindow_sim.seeding import SeedSpec

    if simulator and single_window_url:
        raise typer.BadParameter("--simulator or --single-window-url, not both")
    if simulator_dataset and not simulator:
        raise typer.BadParameter("--simulator-dataset seeds the simulator: add --simulator")
    try:
        datasets = [SeedSpec.parse(text) for text in simulator_dataset]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--simulator-dataset") from None
    # First: a taken port must leave nothing behind (no data folder, secret or demo user).
    with _claim_port("guanwu up", host, port) as sock:
        _serve_embedded(sock, data_dir, host, port, tenant, simulator, single_window_url, datasets)


def _claim_port(command: str, host: str, port: int) -> socket.socket:
    """The listening socket uvicorn will serve on, or exit 1 saying why (before anything is built)."""
    from guanwu.cli.ports import PortUnavailable, listening_socket

    try:
        return listening_socket(host, port)
    except PortUnavailable as exc:
        typer.echo(f"{command}: {exc}; 未写入任何内容 nothing was written", err=True)
        raise typer.Exit(1) from None


def _serve_embedded(
    sock: socket.socket,
    data_dir: Path,
    host: str,
    port: int,
    tenants: list[str],
    simulator: bool,
    single_window_url: str | None,
    datasets: list[SeedSpec],
) -> None:
    from guanwu.cli.embedded import build_embedded, ensure_demo_user, load_or_create_secret
    from guanwu.platform.logging import configure_logging
    from guanwu.platform.runtime import ServiceParts
    from guanwu.platform.store.sqlite import SqliteDocumentStore

    configure_logging("embedded", json_output=False)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteDocumentStore(data_dir)
    system = build_embedded(
        store,
        load_or_create_secret(data_dir),
        tenants=tenants,
        data_dir=data_dir,
        simulator=simulator,
        single_window_url=single_window_url or None,
        simulator_datasets=datasets,
    )

    async def announce_demo_user() -> None:
        password = await ensure_demo_user(system.users, data_dir)
        if password:
            typer.echo(
                f"演示用户 demo user created: username=demo password={password} (also in {data_dir}/demo-password)"
            )

    system.runtime.register(ServiceParts(name="local-users", on_start=[announce_demo_user]))
    base = f"http://{host}:{port}"
    typer.echo(f"guanwu 关务 embedded on {base}  (API docs: {base}/docs, data: {data_dir})")
    if simulator:
        typer.echo(
            f"单一窗口模拟器 Single Window simulator: on at {base}/sim — 任何能访问此端口者都可提交回执 "
            "anyone who reaches this port can post receipts (demo and tests only)"
        )
        for spec in datasets:
            typer.echo(f"单一窗口模拟器数据集 simulator data set {spec}")
    elif single_window_url:
        typer.echo(f"单一窗口 Single Window: {single_window_url}")
    else:
        typer.echo(
            "单一窗口 Single Window: none — 申报请求保留不发送，不拉取回执 declarations are kept unsent and no "
            "receipts are polled (demo: --simulator; another one: --single-window-url URL)"
        )
    server = uvicorn.Server(uvicorn.Config(system.app, host=host, port=port, log_level="warning"))
    server.run(sockets=[sock])


@app.command()
def serve(
    service: Annotated[
        str,
        typer.Argument(
            help="declaration | query | anomaly | review | sync | card-signer | console | anomaly-statistics"
        ),
    ],
) -> None:
    """Run one service (distributed mode); settings come from GUANWU_<SERVICE>_* environment variables."""
    from guanwu.cli.distributed import SERVABLE, build_service_app

    if service not in SERVABLE:
        raise typer.BadParameter(f"unknown service {service!r}; choose one of {', '.join(SERVABLE)}")
    http = SERVABLE[service]().settings_class().http  # the port first: building a service may write files
    with _claim_port(f"guanwu serve {service}", http.host, http.port) as sock:
        fastapi_app, settings = build_service_app(service)
        server = uvicorn.Server(
            uvicorn.Config(fastapi_app, host=settings.http.host, port=settings.http.port, log_level="warning")
        )
        server.run(sockets=[sock])


@app.command("dev-cluster")
def dev_cluster(
    base_port: Annotated[
        int, typer.Option(min=1, max=65528, help="Port of the first member; the others follow (see below)")
    ] = 8001,
    data_dir: Annotated[
        Path, typer.Option(help="Folder for the token secret, the soft token and the logs")
    ] = Path("data/dev-cluster"),
    kafka: Annotated[str, typer.Option(help="Kafka bootstrap servers (`make infra-up`)")] = "127.0.0.1:9092",
    mongo_url: Annotated[
        str, typer.Option(help="MongoDB/FerretDB URL (`make infra-up`)")
    ] = "mongodb://127.0.0.1:27017/",
    database_prefix: Annotated[str, typer.Option(help="Databases are <prefix>_<service>")] = "guanwu",
    deployment: Annotated[
        str, typer.Option(help="Deployment name: the prefix of its consumer groups on the broker")
    ] = "guanwu",
    tenant: Annotated[list[str], typer.Option(help="Card signs for; sync always polls")] = ["demo"],  # noqa: B006
    poll_interval: Annotated[float, typer.Option(min=0.05, help="Sync's pause between empty polls")] = 1.0,
) -> None:
    """Start the whole distributed set locally: every service (`guanwu serve <service>`) on Kafka and
    FerretDB, the anomaly statistics stream, the Single Window simulator, one port each from --base-port in the
    order declaration, query, anomaly, review, sync, card-signer, anomaly-statistics, simulator; a shared token
    secret and a soft-token card signer.
    Stays in the foreground; Ctrl-C stops them all."""
    from guanwu.cli.cluster import MEMBERS, Shared, ports_from, whole_set
    from guanwu.cli.dev_cluster import DevCluster, run, unreachable
    from guanwu.cli.embedded import load_or_create_secret
    from guanwu.cli.ports import PortUnavailable, ensure_free

    ports = ports_from(base_port)
    try:  # before anything is written or started
        for name in MEMBERS:
            ensure_free("127.0.0.1", ports[name])
    except PortUnavailable as exc:
        typer.echo(f"guanwu dev-cluster ({name}): {exc}; 未启动任何进程 nothing was started", err=True)
        raise typer.Exit(1) from None
    if problems := unreachable(kafka, mongo_url):
        typer.echo(
            "guanwu dev-cluster: 无法连接 cannot reach " + ", ".join(problems) + " — 先运行 start them first "
            "with `make infra-up` (or give --kafka / --mongo-url)",
            err=True,
        )
        raise typer.Exit(1)
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = load_or_create_secret(data_dir)
    shared = Shared(kafka, mongo_url, secret, database_prefix, deployment=deployment)
    members = whole_set(shared, ports, data_dir / "card-signer", tenant, poll_interval)
    typer.echo(
        f"guanwu 关务 dev-cluster: {len(members)} 个进程 processes, Kafka {kafka}, {mongo_url}, data {data_dir}"
    )
    typer.echo(
        f"令牌 a token for curl: GUANWU_AUTH_SECRET=$(cat {data_dir}/token-secret) "
        f"scripts/uv.sh run guanwu token --tenant {tenant[0]} --roles preparer,reviewer"
    )
    raise typer.Exit(run(DevCluster(members, data_dir / "logs", typer.echo)))


@app.command()
def token(
    tenant: Annotated[str, typer.Option(help="Tenant (enterprise) claim")],
    roles: Annotated[str, typer.Option(help="Comma-separated roles")] = "preparer",
    user: Annotated[str, typer.Option(help="Subject (user id)")] = "cli",
    secret_env: Annotated[
        str, typer.Option(help="Env var holding the local issuer secret")
    ] = "GUANWU_AUTH_SECRET",
) -> None:
    """Mint a token of the local issuer (development and tests of the distributed mode)."""
    from guanwu.platform.auth import LocalTokenIssuer

    secret = os.environ.get(secret_env)
    if not secret:
        raise typer.BadParameter(f"set {secret_env} to the services' GUANWU_<SERVICE>_AUTH__SECRET")
    typer.echo(LocalTokenIssuer(secret).issue(user, tenant, [r for r in roles.split(",") if r]))


@app.command()
def demo(
    data_dir: Annotated[
        Path, typer.Option(envvar="GUANWU_DATA_DIR", help="Its data folder (for the demo password)")
    ] = Path("data"),
    host: Annotated[str, typer.Option(envvar="GUANWU_HOST", help="Where it listens")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="GUANWU_PORT", help="Its port")] = 8000,
    url: Annotated[str | None, typer.Option(help="Its base URL (instead of --host and --port)")] = None,
    username: Annotated[str, typer.Option(help="User with preparer and reviewer roles")] = "demo",
) -> None:
    """Walk one declaration from 制单 to 放行 through the API of a running embedded guanwu (`make run`): it
    finds it with the same options or GUANWU_PORT / GUANWU_DATA_DIR / GUANWU_HOST it was started with."""
    import asyncio

    import httpx

    from guanwu.cli.demo import DemoFailed, login, walk

    if url is None:
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"
    password_file = data_dir / "demo-password"
    if not password_file.exists():
        raise typer.BadParameter(
            f"{password_file} 不存在 not found: start guanwu with `make run` first (with the same --data-dir "
            "or GUANWU_DATA_DIR)"
        )

    async def run() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await walk(client, await login(client, username, password_file.read_text().strip()), typer.echo)

    try:
        asyncio.run(run())
    except (DemoFailed, httpx.HTTPError, TimeoutError) as exc:
        typer.echo(f"演示失败 demo failed ({url}): {exc or type(exc).__name__}", err=True)
        raise typer.Exit(1) from None


def _infra_script() -> Path:
    for folder in [Path.cwd(), *Path.cwd().parents]:
        candidate = folder / "deploy" / "local" / "infra.sh"
        if candidate.exists():
            return candidate
    raise typer.BadParameter("deploy/local/infra.sh not found: run from inside the guanwu repository")


def _run_infra(*args: str) -> None:
    result = subprocess.run(["bash", str(_infra_script()), *args], check=False)
    sys.exit(result.returncode)


@infra_app.command("up")
def infra_up(component: Annotated[str, typer.Argument()] = "all") -> None:
    """Start Kafka and FerretDB (downloads and builds them the first time)."""
    _run_infra("up", component)


@infra_app.command("down")
def infra_down(component: Annotated[str, typer.Argument()] = "all") -> None:
    """Stop them."""
    _run_infra("down", component)


@infra_app.command("status")
def infra_status(component: Annotated[str, typer.Argument()] = "all") -> None:
    """Show whether they run."""
    _run_infra("status", component)


if __name__ == "__main__":
    app()
