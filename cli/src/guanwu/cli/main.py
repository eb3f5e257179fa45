"""The `guanwu` command: run embedded, serve one service, manage local infrastructure, mint tokens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

app = typer.Typer(help="guanwu 关务 — customs affairs platform", no_args_is_help=True)
infra_app = typer.Typer(help="Local Kafka + FerretDB for development and tests", no_args_is_help=True)
app.add_typer(infra_app, name="infra")


@app.command()
def up(
    data_dir: Annotated[Path, typer.Option(help="Folder for the SQLite store and secrets")] = Path("data"),
    host: Annotated[str, typer.Option(help="Listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Listen port")] = 8000,
    tenant: Annotated[list[str], typer.Option(help="Tenants synced and signed for")] = ["demo"],  # noqa: B006
) -> None:
    """Run everything in one process (embedded default): APIs, simulator, docs at /docs."""
    from guanwu.cli.embedded import build_embedded, ensure_demo_user, load_or_create_secret
    from guanwu.platform.logging import configure_logging
    from guanwu.platform.runtime import ServiceParts
    from guanwu.platform.store.sqlite import SqliteDocumentStore

    configure_logging("embedded", json_output=False)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteDocumentStore(data_dir)
    system = build_embedded(store, load_or_create_secret(data_dir), tenants=tenant, data_dir=data_dir)

    async def announce_demo_user() -> None:
        password = await ensure_demo_user(system.users, data_dir)
        if password:
            typer.echo(
                f"演示用户 demo user created: username=demo password={password} (also in {data_dir}/demo-password)"
            )

    system.runtime.register(ServiceParts(name="local-users", on_start=[announce_demo_user]))
    typer.echo(
        f"guanwu embedded on http://{host}:{port}  (API docs: http://{host}:{port}/docs, data: {data_dir})"
    )
    uvicorn.run(system.app, host=host, port=port, log_level="warning")


@app.command()
def serve(
    service: Annotated[
        str, typer.Argument(help="declaration | query | anomaly | review | sync | card-signer")
    ],
) -> None:
    """Run one service (distributed mode); settings come from GUANWU_<SERVICE>_* environment variables."""
    from guanwu.cli.distributed import SERVICES, build_service_app

    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
    fastapi_app, settings = build_service_app(service)
    uvicorn.run(fastapi_app, host=settings.http.host, port=settings.http.port, log_level="warning")


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
    url: Annotated[str, typer.Option(help="A running guanwu (make run)")] = "http://127.0.0.1:8000",
    data_dir: Annotated[Path, typer.Option(help="Its data folder (for the demo password)")] = Path("data"),
    username: Annotated[str, typer.Option(help="User with preparer and reviewer roles")] = "demo",
) -> None:
    """Walk one declaration from 制单 to 放行 through the API of a running embedded guanwu."""
    import asyncio

    import httpx

    from guanwu.cli.demo import DemoFailed, login, walk

    password_file = data_dir / "demo-password"
    if not password_file.exists():
        raise typer.BadParameter(f"{password_file} not found: start guanwu with `make run` first")

    async def run() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await walk(client, await login(client, username, password_file.read_text().strip()), typer.echo)

    try:
        asyncio.run(run())
    except (DemoFailed, httpx.HTTPError, TimeoutError) as exc:
        typer.echo(f"演示失败 demo failed: {exc or type(exc).__name__}", err=True)
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
