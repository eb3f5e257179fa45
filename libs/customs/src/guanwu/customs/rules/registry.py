"""Rules as small functions with metadata, gathered in a RuleSet that checks a document and documents itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs.codes import CodeTables
from guanwu.customs.rules.finding import Finding, Level, Severity


@dataclass(frozen=True, slots=True)
class RuleMeta:
    code: str
    title_zh: str
    title_en: str
    level: Level
    severity: Severity
    description: str = ""
    group: str = ""

    def finding(self, path: str, zh: str, en: str, severity: Severity | None = None) -> Finding:
        return Finding(self.code, path, severity or self.severity, zh, en)


@dataclass(slots=True)
class Context:
    """What every rule sees. Built once per check; `today` is injected so date rules are testable."""

    doc: DeclarationDocument
    tables: CodeTables
    level: Level
    today: date
    is_export: bool = field(init=False)

    def __post_init__(self) -> None:
        self.is_export = self.doc.head.ie_flag == "E"


RuleFn = Callable[[Context, RuleMeta], Iterable[Finding]]
GroupFn = Callable[[Context], Iterable[Finding]]


@dataclass(slots=True)
class RuleSet:
    """Single rules (`rule` decorator) and groups (one runner covering many generated rules, for speed)."""

    metas: list[RuleMeta] = field(default_factory=list)
    _runners: list[tuple[Level, GroupFn]] = field(default_factory=list)

    def _add_meta(self, meta: RuleMeta) -> None:
        if any(m.code == meta.code for m in self.metas):
            raise ValueError(f"duplicate rule code {meta.code}")
        self.metas.append(meta)

    def rule(
        self,
        code: str,
        *,
        title_zh: str,
        title_en: str,
        level: Level = Level.DECLARE,
        severity: Severity = Severity.ERROR,
        group: str = "cross-field",
    ) -> Callable[[RuleFn], RuleFn]:
        def register(fn: RuleFn) -> RuleFn:
            meta = RuleMeta(code, title_zh, title_en, level, severity, (fn.__doc__ or "").strip(), group)
            self._add_meta(meta)
            self._runners.append((level, lambda ctx: fn(ctx, meta)))
            return fn

        return register

    def add_group(self, metas: Iterable[RuleMeta], runner: GroupFn) -> None:
        """`runner` checks every rule in `metas` itself and must honour `ctx.level`."""
        for meta in metas:
            self._add_meta(meta)
        self._runners.append((Level.STAGE, runner))

    def check(
        self, doc: DeclarationDocument, level: Level, tables: CodeTables, today: date | None = None
    ) -> list[Finding]:
        ctx = Context(doc, tables, level, today or date.today())
        findings: list[Finding] = []
        for run in self._by_level(level):
            findings.extend(run(ctx))
        return findings

    def _by_level(self, level: Level) -> list[GroupFn]:
        return [run for rule_level, run in self._runners if rule_level <= level]

    def __iter__(self) -> Iterator[RuleMeta]:
        return iter(self.metas)
