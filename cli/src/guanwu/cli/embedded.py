"""The embedded default: every service in one process, in-process bus, SQLite in a data folder and the local
token issuer, all under one HTTP server.

The Single Window simulator is served only when asked (`guanwu up --simulator`, as `make run` does for the
demo), seeded with records when asked (`--simulator-dataset demo:2000:200`): its `/sim/*` routes take
receipts from anyone who reaches the port. Without it, sync talks to the
Single Window at `--single-window-url`, or to none: 申报 requests are then kept unsent and nothing is polled."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from guanwu.anomaly import bootstrap as anomaly_bootstrap
from guanwu.anomaly.config import AnomalySettings
from guanwu.card_signer import bootstrap as card_signer_bootstrap
from guanwu.card_signer.config import CardSignerSettings
from guanwu.console import bootstrap as console_bootstrap
from guanwu.console.config import ConsoleSettings
from guanwu.declaration import bootstrap as declaration_bootstrap
from guanwu.declaration.config import DeclarationSettings
from guanwu.platform.auth import LocalTokenIssuer
from guanwu.platform.bootstrap import DEAD_LETTER_COLLECTION
from guanwu.platform.bus.event_log import EventLog
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.local_users import LocalUser, LocalUserStore, login_router
from guanwu.platform.runtime import Runtime, ServiceParts, create_app
from guanwu.platform.settings import AuthSettings
from guanwu.platform.store.port import DocumentStore
from guanwu.query import bootstrap as query_bootstrap
from guanwu.query.config import QuerySettings
from guanwu.review import bootstrap as review_bootstrap
from guanwu.review.config import ReviewSettings
from guanwu.singlewindow_sim.app import SingleWindowState
from guanwu.singlewindow_sim.app import build_router as simulator_router
from guanwu.singlewindow_sim.seeding import SeedSpec, seed_all
from guanwu.sync import bootstrap as sync_bootstrap
from guanwu.sync.config import SyncSettings

DEMO_TENANT = "demo"
DEMO_USER = "demo"
DEMO_ROLES = ["preparer", "reviewer", "manager", "admin"]


@dataclass
class EmbeddedSystem:
    app: FastAPI
    runtime: Runtime
    issuer: LocalTokenIssuer
    users: LocalUserStore
    simulator: SingleWindowState | None


def load_or_create_secret(data_dir: Path) -> str:
    """The local issuer's secret stays in the data folder so tokens survive a restart."""
    path = data_dir / "token-secret"
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def soft_signer_settings(data_dir: Path, secret: str, tenants: list[str]) -> CardSignerSettings:
    """The embedded default signs with a soft token kept (encrypted) in the data folder, for the tenants it
    serves (`guanwu up --tenant`, default the demo tenant) and no others."""
    passphrase_file = data_dir / "soft-token-passphrase"
    if not passphrase_file.exists():
        passphrase_file.write_text(secrets.token_urlsafe(24))
        passphrase_file.chmod(0o600)
    return CardSignerSettings(
        auth=AuthSettings(secret=SecretStr(secret)),
        tenants=tenants,
        signer="soft",
        soft_token_path=data_dir / "soft-token.json",
        soft_passphrase_file=passphrase_file,
        soft_create_if_missing=True,
    )


def build_embedded(
    store: DocumentStore,
    secret: str,
    *,
    tenants: list[str],
    poll_interval_seconds: float = 0.5,
    data_dir: Path | None = None,
    simulator: bool = False,
    single_window_url: str | None = None,
    single_window_transport: httpx.AsyncBaseTransport | None = None,
    simulator_datasets: Sequence[SeedSpec] = (),
) -> EmbeddedSystem:
    """`simulator=True` serves the Single Window simulator under /sim and connects sync to it; otherwise sync
    uses the Single Window at `single_window_url` (None: no upstream), over `single_window_transport` when
    given (tests). `simulator_datasets` seed the simulator's records as the system starts."""
    if simulator and single_window_url is not None:
        raise ValueError("either the simulator or another Single Window, not both")
    if simulator_datasets and not simulator:
        raise ValueError("simulator data sets need the simulator")
    # Keeps no record of what it published: in a long-running process that record would hold every recent
    # event (a synced declaration's is its whole document) for nothing.
    # It logs every message in the store before delivering it: what `guanwu replay` rebuilds read models from.
    bus = InProcessEventBus(
        dead_letter_collection=store.collection(DEAD_LETTER_COLLECTION),
        published_memory=0,
        event_log=EventLog(store),
    )
    runtime = Runtime(store, bus, relay_sweep_seconds=2.0)
    simulator_state = SingleWindowState() if simulator else None
    extra_routers = []
    if simulator_state is not None:
        sim_app = FastAPI()
        sim_app.include_router(simulator_router(simulator_state))
        # Sync talks HTTP to the simulator in-process (no socket), exactly as it would to the real one.
        single_window_url = "http://single-window"
        single_window_transport = httpx.ASGITransport(app=sim_app)
        extra_routers.append(simulator_router(simulator_state))
        if simulator_datasets:
            seeds = list(simulator_datasets)
            runtime.register(
                ServiceParts(name="simulator-datasets", on_start=[partial(seed_all, simulator_state, seeds)])
            )
    notify = runtime.outbox_written
    # Each service reads its own settings (GUANWU_<SERVICE>_…) as it would alone; the process's own come first.
    auth = AuthSettings(secret=SecretStr(secret))
    runtime.register(declaration_bootstrap.build(DeclarationSettings(auth=auth), store, notify))
    runtime.register(query_bootstrap.build(QuerySettings(auth=auth), store, notify))
    runtime.register(anomaly_bootstrap.build(AnomalySettings(auth=auth), store, notify))
    runtime.register(review_bootstrap.build(ReviewSettings(auth=auth), store, notify))
    sync_settings = SyncSettings(
        auth=auth,
        single_window_url=single_window_url,
        tenants=tenants,
        poll_interval_seconds=poll_interval_seconds,
    )
    runtime.register(sync_bootstrap.build(sync_settings, store, notify, transport=single_window_transport))
    if data_dir is not None:
        signer_settings = soft_signer_settings(data_dir, secret, tenants)
        runtime.register(card_signer_bootstrap.build(signer_settings, store, notify))
    # The web console at / calls the services above through this same app (no base URLs: in process).
    runtime.register(console_bootstrap.build(ConsoleSettings(auth=auth), store, notify))
    issuer = LocalTokenIssuer(secret)
    users = LocalUserStore(store)
    app = create_app(
        runtime,
        issuer,
        title="guanwu 关务 (embedded)",
        service_label="embedded",
        extra_routers=[login_router(users, issuer), *extra_routers],
    )
    return EmbeddedSystem(app=app, runtime=runtime, issuer=issuer, users=users, simulator=simulator_state)


async def ensure_demo_user(users: LocalUserStore, data_dir: Path) -> str | None:
    """Create the demo user on first start; returns its password then (and keeps it in the data folder)."""
    if await users.exists(DEMO_USER):
        return None
    password = secrets.token_urlsafe(12)
    await users.add(
        LocalUser(username=DEMO_USER, tenant=DEMO_TENANT, roles=DEMO_ROLES, display_name="演示用户"), password
    )
    path = data_dir / "demo-password"
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password
