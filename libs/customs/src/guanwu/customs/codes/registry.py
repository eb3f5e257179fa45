"""The registry of every code table, the default (bundled) tables, and enterprise overrides.

An enterprise replaces or extends any table from the official parameter files without a code change:
`load_default_tables(overrides_dir=...)` applies every `<table>.csv` / `<table>.json` found there.
Registries are immutable: an override returns a new registry, so a check that is running keeps one
consistent set of tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType

from guanwu.customs.codes.io import CodeTableImportError, read_csv, read_json
from guanwu.customs.codes.model import CodeEntry, CodeTable

DATA_DIR = Path(__file__).parent / "data"


class Table(StrEnum):
    """Table names; each is also the stem of its data file and of an override file."""

    CUSTOMS_DISTRICT = "customs_district"  # 关区代码
    TRADE_MODE = "trade_mode"  # 监管方式
    LEVY_KIND = "levy_kind"  # 征免性质
    TRANSPORT_MODE = "transport_mode"  # 运输方式
    TRANSACTION_MODE = "transaction_mode"  # 成交方式
    WRAP_TYPE = "wrap_type"  # 包装种类
    DUTY_MODE = "duty_mode"  # 征免方式
    UNIT = "unit"  # 计量单位
    CURRENCY = "currency"  # 币制 (ISO 4217 + legacy numeric)
    COUNTRY = "country"  # 国别(地区) (ISO 3166 alpha-3 + extras + legacy numeric)
    LICENSE_DOCUMENT = "license_document"  # 随附单证代码 (DocuCode)
    ATTACHED_DOCUMENT = "attached_document"  # 随附单据类别 (EdocCode)
    CONTAINER_TYPE = "container_type"  # 集装箱规格 (ContainerMd)
    CONTAINER_ISO_TYPE = "container_iso_type"  # ISO 6346 size-type (ContaModel)
    SOUTHERN_MODE_DISTRICT = "southern_mode_district"  # 南方模式 (广东) 直属海关
    RECORD_LIST_TRADE_MODE = "record_list_trade_mode"  # 监管方式 a 备案清单 may carry
    HS = "hs_sample"  # 商品编号 (sample; replace with a tariff file)


# Names the official parameter exports are known to use; only unambiguous ones (see customs-reference §4.1).
_OFFICIAL_NAMES = {
    "cuscustoms": Table.CUSTOMS_DISTRICT,
    "custrade": Table.TRADE_MODE,
    "cuswrap": Table.WRAP_TYPE,
    "cusunit": Table.UNIT,
    "hs": Table.HS,
    "tariff": Table.HS,
}


def table_for_file(path: Path) -> Table:
    stem = path.stem
    try:
        return Table(stem)
    except ValueError:
        pass
    if stem.lower() in _OFFICIAL_NAMES:
        return _OFFICIAL_NAMES[stem.lower()]
    known = ", ".join(t.value for t in Table)
    raise CodeTableImportError(
        f"{path.name}: 无法从文件名判断是哪张代码表 / cannot tell which table this file is; "
        f"name it one of: {known}"
    )


class CodeTables(Mapping[str, CodeTable]):
    """Table name → CodeTable. Index with `Table` members (they are strings)."""

    __slots__ = ("_tables",)

    def __init__(self, tables: Mapping[str, CodeTable]) -> None:
        self._tables: Mapping[str, CodeTable] = MappingProxyType(dict(tables))

    def __getitem__(self, name: str) -> CodeTable:
        return self._tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def with_entries(
        self, name: str, entries: list[CodeEntry], *, replace: bool, provenance: tuple[str, ...] = ()
    ) -> CodeTables:
        current = self._tables.get(name) or CodeTable.of(name, ())
        updated = current.merged(entries, replace=replace, provenance=provenance)
        return CodeTables({**self._tables, name: updated})

    def override_from_csv(
        self, path: Path | str, table: str | None = None, *, replace: bool = False
    ) -> CodeTables:
        """A new registry with `path` applied. `replace=True` swaps the whole table (an official full export);
        the default adds new codes and overwrites existing ones (an enterprise's additions)."""
        path = Path(path)
        name = table or table_for_file(path)
        entries, notes = read_csv(path, default_confidence="enterprise")
        return self.with_entries(name, entries, replace=replace, provenance=(f"override {path.name}", *notes))

    def override_from_json(
        self, path: Path | str, table: str | None = None, *, replace: bool = False
    ) -> CodeTables:
        path = Path(path)
        name = table or table_for_file(path)
        entries, notes = read_json(path, default_confidence="enterprise")
        return self.with_entries(name, entries, replace=replace, provenance=(f"override {path.name}", *notes))

    def override_from_dir(self, directory: Path | str, *, replace: bool = False) -> CodeTables:
        """Apply every *.csv and *.json in `directory`, in name order (same result on every OS)."""
        tables = self
        for path in sorted(Path(directory).iterdir()):
            if path.suffix.lower() == ".csv":
                tables = tables.override_from_csv(path, replace=replace)
            elif path.suffix.lower() == ".json":
                tables = tables.override_from_json(path, replace=replace)
        return tables


@cache
def _bundled() -> CodeTables:
    tables = {}
    for path in sorted(DATA_DIR.glob("*.csv")):
        entries, notes = read_csv(path)
        tables[path.stem] = CodeTable.of(path.stem, entries, notes)
    return CodeTables(tables)


def load_default_tables(overrides_dir: Path | str | None = None, *, replace: bool = False) -> CodeTables:
    """The bundled tables, with the enterprise's parameter files from `overrides_dir` applied on top."""
    tables = _bundled()
    return tables.override_from_dir(overrides_dir, replace=replace) if overrides_dir else tables


def from_json(path: Path | str, table: str | None = None, *, replace: bool = False) -> CodeTables:
    """Default tables with one JSON parameter file applied (shortcut for scripts and the CLI)."""
    return load_default_tables().override_from_json(path, table, replace=replace)


def override_from_csv(path: Path | str, table: str | None = None, *, replace: bool = False) -> CodeTables:
    """Default tables with one CSV parameter file applied (shortcut for scripts and the CLI)."""
    return load_default_tables().override_from_csv(path, table, replace=replace)
