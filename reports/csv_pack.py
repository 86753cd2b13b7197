"""Every table of a `Report` as CSV: one file per table, in a zip (or a folder).

Amounts are exact major units without grouping ("1234.50"), ratios their exact decimals, so a
spreadsheet reads the same figures the HTML and PDF show formatted.
"""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from reports.layout import Report, Table, csv_value


def table_csv(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([csv_value(c) for c in row])
    return buf.getvalue()


def _names(report: Report) -> list[tuple[str, Table]]:
    seen: dict[str, int] = {}
    out = []
    for table in report.tables():
        n = seen.get(table.name, 0)
        seen[table.name] = n + 1
        out.append((f"{table.name}.csv" if n == 0 else f"{table.name}_{n + 1}.csv", table))
    return out


def write_csv_zip(report: Report, path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, table in _names(report):
            archive.writestr(name, table_csv(table))
    return path


def write_csv_folder(report: Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in _names(report):
        p = folder / name
        p.write_text(table_csv(table), encoding="utf-8")
        paths.append(p)
    return paths
