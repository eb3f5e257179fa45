"""Services stay readable one function at a time: none is 60 lines or longer (docs/architecture.md)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def _longest_functions_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "longest_functions", ROOT / "scripts" / "longest_functions.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_function_in_a_service_reaches_the_limit() -> None:
    script = _longest_functions_script()
    found = list(script.functions(ROOT / "services"))
    assert len(found) > 500  # the services were read
    too_long = sorted(((n, where) for n, where in found if n >= script.LIMIT), reverse=True)
    assert not too_long, f"functions of {script.LIMIT} lines or more: {too_long}"
