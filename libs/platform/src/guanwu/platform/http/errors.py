"""One error shape for every API: which field, why, in Chinese and in English."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from guanwu.platform.refusal import Refusal, field_path

# Chinese wording for pydantic's most common error types; anything else falls back to pydantic's English.
_ZH_BY_TYPE = {
    "missing": "必填项缺失",
    "string_too_long": "长度超过上限",
    "string_too_short": "长度不足",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_digits": "数字位数超过上限",
    "decimal_max_places": "小数位数超过上限",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "too_long": "条目数超过上限",
    "extra_forbidden": "不允许的字段",
    "date_from_datetime_parsing": "日期格式不正确",
    "date_parsing": "日期格式不正确",
    "datetime_parsing": "时间格式不正确",
    "json_invalid": "JSON 格式错误",
    "model_attributes_type": "应为对象",
    "list_type": "应为列表",
    "bool_parsing": "应为是/否",
    "value_error": "取值不正确",
    "xml_char": "含有报关报文（XML）无法承载的字符",
}

# Starlette and FastAPI raise these with English text only; FastAPI's 400 covers a body that is not UTF-8.
_KNOWN_DETAILS = {
    "There was an error parsing the body": (
        "request.unreadable",
        "请求内容无法解析：请发送 UTF-8 编码的 JSON",
        "The request body could not be parsed: send UTF-8 encoded JSON",
    ),
}
_ZH_BY_STATUS = {
    400: "请求有误",
    401: "未登录或登录已失效",
    403: "无权执行此操作",
    404: "资源不存在",
    405: "不支持该请求方法",
    409: "与当前状态冲突",
    413: "请求内容过大",
    415: "不支持的内容类型",
    422: "请求数据有误",
    429: "请求过于频繁，请稍后再试",
    503: "服务暂不可用",
}


def error_body(code: str, message_zh: str, message_en: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message_zh": message_zh, "message_en": message_en, **extra}}


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {
            "field": field_path(tuple(err.get("loc", ()))),
            "loc": list(err.get("loc", ())),
            "type": err.get("type"),
            "message_zh": err.get("message_zh") or _ZH_BY_TYPE.get(str(err.get("type")), "取值不正确"),
            "message_en": str(err.get("msg")),
        }
        for err in exc.errors()
    ]
    summary = "; ".join(f"{f['field']}: {f['message_zh']}" for f in fields[:5])
    body = error_body(
        "request.invalid", f"请求数据有误：{summary}", "The request is invalid; see `fields`.", fields=fields
    )
    return JSONResponse(status_code=422, content=body)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail
    if isinstance(detail, dict) and "message_zh" in detail:
        body = {"error": detail}
    elif str(detail) in _KNOWN_DETAILS:
        body = error_body(*_KNOWN_DETAILS[str(detail)])
    else:
        zh = _ZH_BY_STATUS.get(exc.status_code, f"请求失败（HTTP {exc.status_code}）")
        body = error_body(f"http.{exc.status_code}", zh, str(detail))
    return JSONResponse(status_code=exc.status_code, content=body, headers=getattr(exc, "headers", None))


def refusal_body(refusal: Refusal) -> dict[str, Any]:
    """The `error` member of a refusal's answer: code, both messages, its details, and the findings that
    block it (so the console can take the user to those fields)."""
    detail: dict[str, Any] = {
        "code": refusal.code,
        "message_zh": refusal.message_zh,
        "message_en": refusal.message_en,
        **refusal.details,
    }
    if refusal.findings:
        detail["findings"] = refusal.findings
    return {"error": jsonable_encoder(detail)}


async def _refusal(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refusal)
    return JSONResponse(status_code=exc.status, content=refusal_body(exc), headers=exc.headers())


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Refusal, _refusal)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
