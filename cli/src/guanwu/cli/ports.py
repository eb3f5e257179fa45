"""Claiming a listening port before anything else happens, with a message a person can act on.

`guanwu up` binds its socket first and hands it to uvicorn: a taken port ends the command before a data
folder, a secret or a user exists (uvicorn binding late would start the whole system first, then fail).
"""

from __future__ import annotations

import errno
import socket


class PortUnavailable(Exception):
    """The address cannot be listened on; the message says why in both languages."""


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def unavailable(host: str, port: int, error: OSError) -> PortUnavailable:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if error.errno == errno.EADDRINUSE:
        return PortUnavailable(
            f"端口已被占用 {where} is already in use: 请停止占用它的进程或换一个端口 stop the process that "
            "uses it or choose another port (--port, or GUANWU_PORT)"
        )
    return PortUnavailable(f"无法监听 cannot listen on {where}: {error.strerror or error}")


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) and listening, as uvicorn would open it; raises PortUnavailable."""
    sock = socket.socket(family=_family(host))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # listening at once: with SO_REUSEADDR a merely bound port could still be taken
    except OSError as exc:
        sock.close()
        raise unavailable(host, port, exc) from None
    sock.set_inheritable(True)
    return sock


def ensure_free(host: str, port: int) -> None:
    """Raises PortUnavailable when (host, port) cannot be listened on now (another process starts on it)."""
    listening_socket(host, port).close()
