"""JSON (one indented array) and JSONL (one compact slip per line) of slip dicts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from cmrules.outputs.render._detail import at_detail, detail_for

__all__ = ["render_json", "render_jsonl"]


def render_json(slips: Iterable[Mapping[str, Any]], detail: str | None = None) -> str:
    """The slips as one JSON array (indented by 2, keys in the slip's order, UTF-8 text as is),
    each at ``detail`` (None: as given; a slip dict holds what ``PaySlip.to_dict(detail)`` put)."""
    detail_for("json", detail)
    shown = [at_detail(slip, detail) for slip in slips]
    return json.dumps(shown, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def render_jsonl(slips: Iterable[Mapping[str, Any]], detail: str | None = None) -> str:
    """One compact JSON slip per line, each at ``detail`` (None: as given)."""
    detail_for("jsonl", detail)
    lines = [json.dumps(at_detail(slip, detail), ensure_ascii=False, separators=(",", ":")) for slip in slips]
    return "".join(line + "\n" for line in lines)
