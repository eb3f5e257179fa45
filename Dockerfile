# syntax=docker/dockerfile:1
# One image for every guanwu process: `guanwu serve <service>` picks the service, or the anomaly statistics
# stream (`serve anomaly-statistics`) (docs/operations.md).
#   docker build -t guanwu:local .
#   docker run --read-only --tmpfs /tmp -e GUANWU_QUERY_… guanwu:local serve query
# Python and Debian are pinned by tag: the same CPython path in both stages keeps the venv's interpreter
# link valid, and bookworm is the Debian whose pcsc-lite and swig the card signer is tested with here.
ARG PYTHON_IMAGE=python:3.11.17-slim-bookworm

# ---- build: resolve nothing, install exactly uv.lock into /opt/guanwu/venv ----
FROM ${PYTHON_IMAGE} AS build

# pyscard and gmalglib have no Linux wheels on PyPI: they compile here (swig + the PC/SC headers for
# pyscard). build-essential pulls gcc and libc6-dev at the base image's own version.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential=12.9 \
        libpcsclite-dev=1.9.9-2 \
        swig=4.1.0-0.2 \
    && rm -rf /var/lib/apt/lists/*

# The same uv as scripts/uv.sh, so the image resolves uv.lock the way `make test` does.
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

ENV UV_PROJECT_ENVIRONMENT=/opt/guanwu/venv \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy

WORKDIR /src

# Third-party dependencies first, from the lock alone: this layer survives edits to guanwu's own code.
# --package guanwu-cli: the `guanwu` command and what it serves (no dev tools, no smartcard simulator).
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --no-install-workspace --package guanwu-cli

# Then the workspace members, installed as regular (non-editable) packages: /src is not in the runtime image.
COPY libs/ libs/
COPY services/ services/
COPY simulators/ simulators/
COPY cli/ cli/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package guanwu-cli

# ---- runtime: the venv, libpcsclite for the card signer, a non-root user; nothing else ----
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="guanwu" \
      org.opencontainers.image.description="guanwu (关务) customs-affairs platform: guanwu serve <service>"

# libpcsclite1: pyscard loads it at run time and talks to the host's pcscd through its socket
# (/run/pcscd/pcscd.comm, mounted into the card-signer container); pcscd itself does not run in the image.
# fonts-wqy-microhei: the CJK TrueType font the printed forms embed (query's and review's print routes
# answer 503 without it; docs/printing.md).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpcsclite1=1.9.9-2 fonts-wqy-microhei=0.2.0-beta-3.1 \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric uid/gid so Kubernetes' runAsNonRoot can verify it and volumes can be chowned to it.
# /var/lib/guanwu is the one place the app may write (a volume: the soft token, or `guanwu up`'s data);
# the distributed services write nothing else, so the root file system can be mounted read-only.
RUN groupadd --system --gid 10001 guanwu \
    && useradd --system --uid 10001 --gid guanwu --home-dir /var/lib/guanwu --no-create-home \
        --shell /usr/sbin/nologin guanwu \
    && install -d -o guanwu -g guanwu -m 0750 /var/lib/guanwu

COPY --from=build /opt/guanwu/venv /opt/guanwu/venv

# Bytecode was compiled at build time; a read-only root file system could not take new .pyc files anyway.
ENV PATH=/opt/guanwu/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /var/lib/guanwu
USER 10001:10001
EXPOSE 8000

# Liveness of whichever service runs: its port is the GUANWU_<SERVICE>_HTTP__PORT the container was given
# (8000 by default). Python, not curl: the slim image has no curl, and every guanwu process has Python.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = next((v for k, v in os.environ.items() if k.startswith('GUANWU_') and k.endswith('_HTTP__PORT')), '8000'); urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)"]

ENTRYPOINT ["guanwu"]
CMD ["serve", "declaration"]
