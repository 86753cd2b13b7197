"""What accountants and checks read next to the filing files: a CSV summary per form (TINs
masked), drill-down rows that tie every box to its source ids, and the per-year README."""
from __future__ import annotations

import csv
import io

from pipelines.money import to_major

from .tin import check_tin, mask_tin
from .us_1099 import MONTH_BOXES, Form1099K, Recipient, TinException


def _usd(cents: int) -> str:
    return f"{to_major(cents, 'USD'):.2f}"


def summary_csv(forms: list, recipients: list[Recipient], exceptions: list[TinException] = ()) -> bytes:
    """One row per return (and per TIN exception, marked NOT FILED); TINs masked."""
    by_id = {r.recipient_id: r for r in recipients}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    k = any(isinstance(f, Form1099K) for f in forms)
    boxes = ["1a", "1b", "2", "3", "4", *MONTH_BOXES, "6", "7", "8"] if k else ["1", "4"]
    writer.writerow(["form", "tax_year", "recipient_id", "name", "tin", "status", "federal_required",
                     "state_filing_flag", *[f"box_{b}" for b in boxes]])
    for form in forms:
        r = by_id.get(form.recipient_id)
        kind = check_tin(r.tin, r.tin_type).kind if r else None
        if isinstance(form, Form1099K):
            values = [_usd(form.gross_1a), _usd(form.card_not_present_1b), form.mcc_2, form.transactions_3,
                      _usd(form.withholding_4), *[_usd(v) for v in form.months_5], form.state_6,
                      form.state_id_7, _usd(form.state_withholding_8)]
            name = "1099-K"
        else:
            values = [_usd(form.compensation_1), _usd(form.withholding_4)]
            name = "1099-NEC"
        writer.writerow([name, form.tax_year, form.recipient_id, r.name if r else "",
                         mask_tin(r.tin if r else None, kind), "filed" if form.federal_required else "state only",
                         form.federal_required, form.state_filing_flag, *values])
    for exc in exceptions:
        writer.writerow([exc.form, "", exc.recipient_id, by_id[exc.recipient_id].name if exc.recipient_id in by_id else "",
                         exc.masked_tin, f"NOT FILED: {exc.reason}. {exc.consequence}", "", "", *[""] * len(boxes)])
    return buffer.getvalue().encode("utf-8")


def drilldown_rows(forms: list) -> list[dict]:
    """(form, tax_year, recipient_id, box, source_id) rows: an asset writes them as a table and a
    check joins them to the charges to sum each box back to the cent."""
    rows = []
    for form in forms:
        name = "1099-K" if isinstance(form, Form1099K) else "1099-NEC"
        for box, ids in sorted(form.sources.items()):
            rows += [{"form": name, "tax_year": form.tax_year, "recipient_id": form.recipient_id,
                      "box": box, "source_id": source_id} for source_id in ids]
    return rows


def year_readme(tax_year: int, files: dict[str, str]) -> str:
    """README for output/tax/<year>/: what each file is and how to file it."""
    system = "FIRE (fire.irs.gov)" if tax_year <= 2025 else "the IRIS Taxpayer Portal"
    lines = [
        f"# Tax files for {tax_year}",
        "",
        "Files holding full taxpayer numbers are readable by their owner only (mode 600).",
        "",
        "| file | what it is |",
        "|---|---|",
        *[f"| {name} | {what} |" for name, what in sorted(files.items())],
        "",
        "## How to file",
        f"- Federal returns for tax year {tax_year} go through {system}.",
    ]
    if tax_year <= 2025:
        lines += [
            "- FIRE: log in with the Transmitter Control Code, choose 'Send Information Returns', "
            "'Original' (or 'Correction'), upload the .txt file, then check the file status after 1-2 business days.",
            "- FIRE closes after the 2026 filing season; later years and late corrections go through IRIS.",
        ]
    else:
        lines += [
            "- IRIS Taxpayer Portal: 'Upload a CSV', one form type per upload, at most 100 returns per file here; "
            "if the portal's template differs, drop its header row in and regenerate.",
        ]
    lines += [
        "- Copy B PDFs: furnish each recipient theirs by 31 January (TINs are truncated on them).",
        "- States flagged in the summary ('state only' or state_filing_flag) need their own filing "
        "where the Combined Federal/State Filing Program does not cover them.",
        "- The exceptions in the summary (NOT FILED) need a valid W-9 first; backup withholding applies meanwhile.",
    ]
    return "\n".join(lines) + "\n"
