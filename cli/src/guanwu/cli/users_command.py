"""`guanwu users add`: a local user of the embedded default (argon2 hash in the data folder's store), with the
enterprises they serve — a broker's staff member gets one `--member` per further enterprise:

    guanwu users add wang --tenant acme --roles preparer --member other=preparer,reviewer

The password comes from the environment variable named by `--password-env` (default GUANWU_USER_PASSWORD) or
is asked for. The user can sign in at once, also while `guanwu up` runs on the same folder.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from guanwu.platform.local_users import LocalUser

users_app = typer.Typer(help="本地用户 — local users of the embedded default", no_args_is_help=True)


def _roles(text: str) -> list[str]:
    return [role.strip() for role in text.split(",") if role.strip()]


def _membership(text: str) -> tuple[str, list[str]]:
    tenant, _, roles = text.partition("=")
    if not tenant.strip() or not _roles(roles):
        raise typer.BadParameter(f"{text!r}: expected TENANT=role[,role…]", param_hint="--member")
    return tenant.strip(), _roles(roles)


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name")],
    tenant: Annotated[str, typer.Option(help="The default enterprise (tenant) a login acts for")],
    roles: Annotated[str, typer.Option(help="Comma-separated roles in it")] = "preparer",
    member: Annotated[
        list[str],
        typer.Option(
            "--member",
            metavar="TENANT=ROLE[,ROLE…]",
            help="Another enterprise the user serves, with the roles there (repeatable): the console's 切换企业",
        ),
    ] = [],  # noqa: B006
    display_name: Annotated[str | None, typer.Option(help="Name shown for the user")] = None,
    password_env: Annotated[str, typer.Option(help="Env var holding the password")] = "GUANWU_USER_PASSWORD",
    data_dir: Annotated[
        Path, typer.Option(envvar="GUANWU_DATA_DIR", help="The data folder of `guanwu up`")
    ] = Path("data"),
) -> None:
    """Add a local user (refused if the name is taken or a role is unknown)."""
    from guanwu.platform.local_users import LocalUser, Membership

    memberships = [Membership(tenant=t, roles=r) for t, r in (_membership(text) for text in member)]
    user = LocalUser(
        username=username,
        tenant=tenant,
        roles=_roles(roles),
        display_name=display_name,
        memberships=memberships,
    )
    password = os.environ.get(password_env) or typer.prompt(
        "密码 password", hide_input=True, confirmation_prompt=True
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(_add(data_dir, user, password))
    except ValueError as exc:
        typer.echo(f"未添加 not added: {exc}", err=True)
        raise typer.Exit(1) from None
    enterprises = ", ".join(f"{t} ({','.join(r)})" for t, r in user.enterprises().items())
    typer.echo(f"已添加 added {username}: {enterprises}")


async def _add(data_dir: Path, user: LocalUser, password: str) -> None:
    from guanwu.platform.local_users import LocalUserStore
    from guanwu.platform.store.sqlite import SqliteDocumentStore

    store = SqliteDocumentStore(data_dir)
    try:
        users = LocalUserStore(store)
        if await users.exists(user.username):
            raise ValueError(f"the user {user.username!r} exists")
        await users.add(user, password)
    finally:
        await store.close()
