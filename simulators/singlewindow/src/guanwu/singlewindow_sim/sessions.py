"""The Single Window's login session: a bearer token per enterprise that expires after its lifetime, or after
a number of query requests when a fault asks for it (`expire_session_every`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from guanwu.singlewindow_sim.errors import SimulatorError

EXPIRED = "session_expired"


@dataclass
class Session:
    enterprise: str
    expires_at: datetime
    requests: int = 0


class Sessions:
    def __init__(self) -> None:
        self._open: dict[str, Session] = {}

    def open(self, enterprise: str, ttl_seconds: int, now: datetime) -> tuple[str, Session]:
        self._open = {token: s for token, s in self._open.items() if s.expires_at > now}
        token = secrets.token_urlsafe(24)
        session = Session(enterprise, now + timedelta(seconds=ttl_seconds))
        self._open[token] = session
        return token, session

    def admit(self, authorization: str | None, enterprise: str, now: datetime, every: int | None) -> None:
        """Let one query request of `enterprise` through, or refuse it: 401 without a live session, 403 with
        another enterprise's."""
        scheme, _, token = (authorization or "").partition(" ")
        session = self._open.get(token.strip()) if scheme.lower() == "bearer" else None
        if session is None:
            raise SimulatorError(
                401, EXPIRED, "会话不存在或已过期，请重新登录 no session or it expired: log in again"
            )
        if session.enterprise != enterprise:
            raise SimulatorError(
                403, "forbidden", "会话属于其他企业 the session belongs to another enterprise"
            )
        if now >= session.expires_at or (every is not None and session.requests >= every):
            del self._open[token.strip()]
            raise SimulatorError(401, EXPIRED, "会话已过期，请重新登录 the session expired: log in again")
        session.requests += 1
