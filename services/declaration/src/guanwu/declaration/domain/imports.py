"""导入 (F-33): the import of a filled workbook as declaration drafts — its record, limits, ids and refusals.
Pure: no I/O.

An import is all-or-nothing per file: every row is read and every declaration checked (the kernel's 暂存
checks) before anything is written, and a file with one error-level finding creates nothing. Then the drafts
are written with ids derived from the tenant, the file's sha256 and each declaration's place in the file, so a
retry of the same file after a crash completes the import, and an upload of a file already imported answers
the same drafts and creates none (the import's own id derives from the same inputs).

Warnings (a code missing from a bundled table the kernel knows is partial, say) do not block: 暂存 keeps
them with the draft, as when a draft is saved by hand, and the import record lists them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from guanwu.declaration.domain.errors import LifecycleError
from guanwu.platform import ids
from guanwu.platform.refusal import InvalidRequest, Noun, Refusal

IMPORT = Noun("import", "导入记录", "import")
FILE_FIELD = "file"


class ImportFinding(BaseModel):
    """Why a cell (or a row, or the file) cannot be imported, or a warning the kernel raised for it."""

    sheet: str
    row: int | None = Field(description="The sheet's row number (1 = the header row)")
    column: str | None = Field(None, description="The column letter, when the finding is about one cell")
    field: str | None = Field(None, description="The field's wire code, e.g. CustomMaster")
    label_zh: str | None = Field(None, description="The field's name in the template, e.g. 申报地海关")
    field_path: str | None = Field(None, description="The field in the draft, e.g. goods[3].decl_total")
    rule_code: str | None = Field(None, description="The kernel's rule, when a logic check found it")
    severity: Literal["error", "warning"] = "error"
    message_zh: str
    message_en: str


# ── refusals of the file itself ───────────────────────────────────────────────────────────────────────


class ImportRefused(InvalidRequest):
    """The file cannot be read as an import workbook (422 naming `file`); nothing was changed."""

    def __init__(self, code: str, zh: str, en: str, **details: Any) -> None:
        super().__init__(f"declaration.import_{code}", zh, en, field=FILE_FIELD, **details)


class ImportTooLarge(Refusal):
    status = 413

    def __init__(self, max_bytes: int) -> None:
        size = f"{max_bytes / 1024 / 1024:g} MB"
        super().__init__(
            "declaration.import_too_large",
            f"导入文件不能超过 {size}，请拆分后分批导入",
            f"An import file may not be larger than {size}; split it and import the parts",
            field=FILE_FIELD,
            max_bytes=max_bytes,
        )


def not_a_workbook(why: str) -> ImportRefused:
    return ImportRefused(
        "not_xlsx",
        f"导入文件不是有效的 .xlsx 工作簿（{why}）；请使用下载的模板，另存为 Excel 工作簿 (.xlsx)，不支持 .xls、.csv 或加密文件",
        f"The file is not a valid .xlsx workbook ({why}); fill in the downloaded template and save it as an "
        "Excel workbook (.xlsx) — .xls, .csv and encrypted files are not read",
    )


def zip_bomb(why_zh: str, why_en: str) -> ImportRefused:
    return ImportRefused(
        "zip_bomb",
        f"导入文件的压缩结构异常（{why_zh}），已拒绝，未读取其内容",
        f"The file's compressed structure is abnormal ({why_en}); it was refused without reading it",
    )


def macros_found(where: str) -> ImportRefused:
    return ImportRefused(
        "macros",
        f"导入文件含有宏或可执行内容（{where}），已拒绝；请另存为不含宏的 Excel 工作簿 (.xlsx)",
        f"The file contains macros or executable content ({where}); save it as a workbook without macros (.xlsx)",
    )


def formula_found(sheet: str, cell: str) -> ImportRefused:
    return ImportRefused(
        "formula",
        f"「{sheet}」工作表 {cell} 单元格是公式（以 = 开头）；导入不计算公式，请粘贴为数值后再导入",
        f"Cell {cell} of sheet {sheet} is a formula (starts with =); formulas are not evaluated: paste values",
        sheet=sheet,
        cell=cell,
    )


def too_many_rows(sheet: str, limit: int) -> ImportRefused:
    return ImportRefused(
        "too_many_rows",
        f"「{sheet}」工作表超过 {limit} 行（含标题行），请拆分后分批导入",
        f"Sheet {sheet} has more than {limit} rows (header included); split the file",
        sheet=sheet,
        max_rows=limit,
    )


def too_many_declarations(limit: int) -> ImportRefused:
    return ImportRefused(
        "too_many_declarations",
        f"一个导入文件最多 {limit} 份报关单，请拆分后分批导入",
        f"One import file holds at most {limit} declarations; split the file",
        max_declarations=limit,
    )


def missing_sheet(name: str) -> ImportRefused:
    return ImportRefused(
        "missing_sheet",
        f"导入文件没有「{name}」工作表；请使用下载的模板填写",
        f"The file has no sheet named {name}; fill in the downloaded template",
        sheet=name,
    )


def empty_import() -> ImportRefused:
    return ImportRefused(
        "empty", "导入文件的「表头」工作表没有数据行", "The sheet 表头 of the file has no data rows"
    )


class ImportHasFindings(InvalidRequest):
    """Rows or declarations that cannot be imported: the findings (at most `max_findings`), nothing created."""

    def __init__(self, findings: list[ImportFinding], *, shown: int) -> None:
        errors = sum(1 for f in findings if f.severity == "error")
        super().__init__(
            "declaration.import_has_errors",
            f"导入文件有 {errors} 处错误，未导入任何报关单；请按错误明细（工作表、行、列）修改后重新导入",
            f"The file has {errors} errors and nothing was imported; correct them (see findings) and upload it again",
            findings=[f.model_dump() for f in findings[:shown]],
            errors=errors,
            warnings=len(findings) - errors,
            findings_total=len(findings),
        )


# ── the import record ─────────────────────────────────────────────────────────────────────────────────


class ImportState(StrEnum):
    WRITING = "writing"  # validated; drafts being written (a retry of the same file completes it)
    COMPLETED = "completed"


class DeclarationImport(BaseModel):
    import_id: str
    tenant: str
    version: int
    state: ImportState
    file_name: str | None = None
    sha256: str
    size: int = Field(description="The file's bytes")
    ie_flag: Literal["I", "E"] | None = Field(None, description="进出口标志 given with the upload, if any")
    declaration_ids: list[str] = Field(description="The drafts, in the order of the 表头 rows")
    goods_lines: int
    warnings: list[ImportFinding] = Field(
        default_factory=list, description="The kernel's warnings (at most 1,000)"
    )
    warnings_total: int = 0
    written: int = Field(0, description="How many drafts the uploads of this file wrote (not found already)")
    created_by: str
    created_at: datetime
    completed_at: datetime | None = None


def import_id_of(tenant: str, sha256: str, ie_flag: str | None) -> str:
    return ids.deterministic_id("declaration-import", tenant, sha256, ie_flag or "")


def declaration_id_of(import_id: str, index: int) -> str:
    """The draft made from the `index`-th declaration (0-based) of an import: the same on every retry."""
    return ids.deterministic_id("declaration-import", import_id, str(index))


def started(
    import_id: str,
    *,
    tenant: str,
    file_name: str | None,
    sha256: str,
    size: int,
    ie_flag: Literal["I", "E"] | None,
    goods_lines: int,
    count: int,
    warnings: list[ImportFinding],
    user_id: str,
    now: datetime,
    max_listed: int,
) -> DeclarationImport:
    return DeclarationImport(
        import_id=import_id,
        tenant=tenant,
        version=1,
        state=ImportState.WRITING,
        file_name=file_name,
        sha256=sha256,
        size=size,
        ie_flag=ie_flag,
        declaration_ids=[declaration_id_of(import_id, i) for i in range(count)],
        goods_lines=goods_lines,
        warnings=warnings[:max_listed],
        warnings_total=len(warnings),
        created_by=user_id,
        created_at=now,
    )


def completed(record: DeclarationImport, *, written: int, now: datetime) -> DeclarationImport:
    if record.state is ImportState.COMPLETED:
        raise LifecycleError("declaration.import_completed", "导入已完成", "The import is already completed")
    return record.model_copy(
        update={
            "state": ImportState.COMPLETED,
            "version": record.version + 1,
            "written": record.written + written,
            "completed_at": now,
        }
    )
