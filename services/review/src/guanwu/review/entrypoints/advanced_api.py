"""HTTP API of 高级审核 (F-12): the findings and comparisons beside each field, 发送 to 申报 (a command through
events), the tenant's review settings, and the printed review sheet."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response

from guanwu.platform.auth import TENANT_HEADER, CurrentPrincipal, require_roles
from guanwu.platform.http.context import service_context
from guanwu.review.adapters_declaration import DeclarationApi
from guanwu.review.domain.advanced import AdvancedReview
from guanwu.review.domain.sending import ReviewSettingsInput, TenantReviewSettings
from guanwu.review.service_layer.advanced import AdvancedContext, advanced_review, print_review_sheet
from guanwu.review.service_layer.context import ReviewContext
from guanwu.review.service_layer.sending import SendAnswer, send_to_declare

READERS = ("reviewer", "manager", "integration")

router = APIRouter(prefix="/api/review", tags=["review"])


def advanced_context(
    context: Annotated[ReviewContext, Depends(service_context("review"))],
) -> AdvancedContext:
    assert context.advanced is not None, "bootstrap binds the advanced context"
    return context.advanced


Context = Annotated[AdvancedContext, Depends(advanced_context)]


def declaration_api(request: Request, context: Context) -> DeclarationApi:
    """The declaration service as this caller (their bearer token, already verified by the route)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return DeclarationApi(
        base_url=context.declaration_url,
        app=request.app,
        token=token if scheme.lower() == "bearer" else "",
        timeout_seconds=context.api_timeout_seconds,
        tenant=request.headers.get(TENANT_HEADER),
    )


Declarations = Annotated[DeclarationApi, Depends(declaration_api)]


@router.get(
    "/tasks/{review_id}/advanced",
    response_model=AdvancedReview,
    summary="高级审核 / findings and comparisons beside each field (template, previous declaration, price history)",
    dependencies=[require_roles(*READERS)],
)
async def advanced(
    review_id: str, principal: CurrentPrincipal, context: Context, declarations: Declarations
) -> AdvancedReview:
    return await advanced_review(principal.tenant, review_id, context=context, api=declarations)


@router.post(
    "/tasks/{review_id}/send",
    response_model=SendAnswer,
    status_code=202,
    summary="发送 / hand the approved declaration on to 申报 (when the tenant's review settings allow reviewers)",
    description=(
        "202: the send is requested (ReviewSendRequested published with the task's change); the declaration "
        "service declares the approved version as the caller and the task's `send` becomes declared or refused "
        "(read `GET /tasks/{review_id}`). 200: a send already requested or declared answers it, nothing is "
        "published again. After a refusal a new send may be asked."
    ),
    responses={200: {"model": SendAnswer, "description": "The standing send (asked again)"}},
    dependencies=[require_roles("reviewer", "manager")],
)
async def send(
    review_id: str, principal: CurrentPrincipal, context: Context, response: Response
) -> SendAnswer:
    answer, new = await send_to_declare(
        principal.tenant,
        review_id,
        user_id=principal.user_id,
        is_admin="admin" in principal.roles,
        context=context,
    )
    response.status_code = 202 if new else 200
    response.headers["Location"] = f"/api/review/tasks/{review_id}"
    return answer


@router.get(
    "/settings",
    response_model=TenantReviewSettings,
    summary="审单设置 / the enterprise's review settings",
    dependencies=[require_roles(*READERS)],
)
async def get_settings(principal: CurrentPrincipal, context: Context) -> TenantReviewSettings:
    return await context.settings.load(principal.tenant)


@router.put(
    "/settings",
    response_model=TenantReviewSettings,
    summary="修改审单设置 / change the enterprise's review settings (manager)",
    dependencies=[require_roles("manager")],
)
async def put_settings(
    body: ReviewSettingsInput, principal: CurrentPrincipal, context: Context
) -> TenantReviewSettings:
    settings = TenantReviewSettings(
        **body.model_dump(), tenant=principal.tenant, updated_by=principal.user_id, updated_at=context.clock()
    )
    await context.settings.save(settings)
    return settings


PDF = "application/pdf"
_PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {PDF: {}}, "description": "The review sheet (A4 landscape, the CJK font embedded)"}
}


# The preparer may print it too: F-11 has them see the fields a reviewer marked red, with the comments.
@router.get(
    "/tasks/{review_id}/print.pdf",
    response_class=Response,
    responses=_PDF_RESPONSE,
    summary="打印审核单 / the review sheet: the declaration with the marks in colour, then the comments (PDF)",
    dependencies=[require_roles(*READERS, "preparer")],
)
async def print_sheet(review_id: str, principal: CurrentPrincipal, context: Context) -> Response:
    task, content = await print_review_sheet(principal.tenant, review_id, context=context)
    stem = f"审核单-{task.entry_id or task.seq_no or task.declaration_id}"
    disposition = f"inline; filename=\"review-sheet.pdf\"; filename*=UTF-8''{quote(stem)}.pdf"
    return Response(content, media_type=PDF, headers={"Content-Disposition": disposition})
