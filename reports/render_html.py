"""A `Report` as one self-contained HTML file (charts inlined as base64 PNG, no external asset)."""
from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports.layout import Money, Multiple, Percent, Report, display

TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["display"] = display
    env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    env.filters["is_number"] = lambda cell: isinstance(cell, (Money, Percent, Multiple, int)) and not isinstance(cell, bool)
    return env


def render_html(report: Report) -> str:
    template = _environment().get_template("report.html.j2")
    return template.render(report=report, generated=display(report.generated_at))


def write_html(report: Report, path: Path) -> Path:
    path.write_text(render_html(report), encoding="utf-8")
    return path
