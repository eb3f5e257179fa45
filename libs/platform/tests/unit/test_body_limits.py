"""The body size limit: the process's default, and upload routes judged by their own limits."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request

from guanwu.platform.http.limits import MULTIPART_OVERHEAD_BYTES, BodySizeLimit, UploadRoute

DEFAULT = 1000


def app_with(uploads: list[UploadRoute]) -> FastAPI:
    app = FastAPI()

    @app.post("/api/things/{thing_id}/files")
    @app.post("/api/other")
    async def take(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    app.add_middleware(BodySizeLimit, max_bytes=DEFAULT, uploads=uploads)
    return app


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/things/T1/files", 5000 + MULTIPART_OVERHEAD_BYTES),
        ("/api/things/T1/files/extra", DEFAULT),
        ("/api/things//files", DEFAULT),
        ("/api/other", DEFAULT),
    ],
)
def test_an_upload_route_template_matches_its_own_paths_only(path: str, expected: int) -> None:
    limit = BodySizeLimit(
        app_with([]), max_bytes=DEFAULT, uploads=[UploadRoute("/api/things/{id}/files", 5000)]
    )
    assert limit.limit_for(path) == expected


async def test_bodies_are_refused_past_the_limit_of_their_route() -> None:
    app = app_with([UploadRoute("/api/things/{thing_id}/files", 5000)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        upload = await client.post("/api/things/T1/files", content=b"x" * 4000)
        assert upload.json() == {"received": 4000}
        other = await client.post("/api/other", content=b"x" * 4000)
        assert other.status_code == 413
        assert other.json()["error"]["code"] == "request.too_large"
        assert str(DEFAULT) in other.json()["error"]["message_en"]
        past = await client.post("/api/things/T1/files", content=b"x" * (5000 + MULTIPART_OVERHEAD_BYTES + 1))
        assert past.status_code == 413
