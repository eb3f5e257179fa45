"""`guanwu users add`: a local user with several enterprises, who then signs in for either."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from guanwu.cli.main import app
from guanwu.platform.local_users import LocalUserStore
from guanwu.platform.store.sqlite import SqliteDocumentStore

PASSWORD = {"GUANWU_USER_PASSWORD": "correct horse battery staple"}


def _stored(data_dir: Path, username: str) -> dict[str, list[str]] | None:
    async def read() -> dict[str, list[str]] | None:
        store = SqliteDocumentStore(data_dir)
        try:
            users = LocalUserStore(store)
            user = await users.authenticate(username, PASSWORD["GUANWU_USER_PASSWORD"])
            return None if user is None else user.enterprises()
        finally:
            await store.close()

    return asyncio.run(read())


def test_a_broker_s_staff_member_is_added_with_each_enterprise_and_its_roles(tmp_path: Path) -> None:
    args = ["users", "add", "wang", "--tenant", "acme", "--roles", "preparer", "--data-dir", str(tmp_path)]
    added = CliRunner().invoke(app, [*args, "--member", "other=preparer,reviewer"], env=PASSWORD)
    assert added.exit_code == 0, added.output
    assert "acme (preparer), other (preparer,reviewer)" in added.output
    assert _stored(tmp_path, "wang") == {"acme": ["preparer"], "other": ["preparer", "reviewer"]}
    again = CliRunner().invoke(app, args, env=PASSWORD)
    assert again.exit_code == 1 and "exists" in again.output


def test_unknown_roles_and_malformed_members_are_refused(tmp_path: Path) -> None:
    base = ["users", "add", "li", "--tenant", "acme", "--data-dir", str(tmp_path)]
    unknown = CliRunner().invoke(app, [*base, "--member", "other=boss"], env=PASSWORD)
    assert unknown.exit_code == 1 and "boss" in unknown.output
    malformed = CliRunner().invoke(app, [*base, "--member", "other"], env=PASSWORD)
    assert malformed.exit_code == 2 and "TENANT=role" in malformed.output
    assert _stored(tmp_path, "li") is None
