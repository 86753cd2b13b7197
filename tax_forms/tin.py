"""US taxpayer identification numbers: validation with python-stdnum, and masking.

A TIN never leaves this module unmasked except inside a return record; every message and
exception built here carries `mask_tin(...)` only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from stdnum.us import atin, ein, itin, ssn

# IRS TIN types as Publication 1220 codes them in the Payee "B" record, position 11.
TIN_TYPE_EIN = "1"
TIN_TYPE_SSN = "2"  # also ITIN and ATIN


@dataclass(frozen=True)
class TinCheck:
    valid: bool
    kind: str | None  # "SSN", "ITIN", "ATIN", "EIN" or None
    digits: str = field(repr=False)  # nine digits when valid, "" otherwise; kept out of reprs
    reason: str = ""  # why it is invalid, never containing the number

    @property
    def pub1220_type(self) -> str:
        return TIN_TYPE_EIN if self.kind == "EIN" else TIN_TYPE_SSN


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def check_tin(tin: str | None, declared_type: str | None = None) -> TinCheck:
    """Validate a W-9 TIN. `declared_type` is "SSN" (individuals, incl. ITIN/ATIN) or "EIN".

    Without a declared type, the dash layout decides (###-##-#### individual, ##-####### EIN),
    then each validator is tried in turn.
    """
    if tin is None or not str(tin).strip():
        return TinCheck(False, None, "", "missing TIN")
    raw = str(tin).strip()
    digits = _digits(raw)
    if len(digits) != 9 or any(ch not in "0123456789- " for ch in raw):
        return TinCheck(False, None, "", "TIN is not nine digits")
    kind = (declared_type or "").upper() or None
    if kind is None:
        if len(raw) == 10 and raw[2] == "-":
            kind = "EIN"
        elif len(raw) == 11 and raw[3] == "-" and raw[6] == "-":
            kind = "SSN"
    if kind in (None, "SSN", "ITIN", "ATIN"):
        for name, module in (("SSN", ssn), ("ITIN", itin)):
            if module.is_valid(digits):
                return TinCheck(True, name, digits, "")
        # stdnum.us.atin checks the layout only; the IRS issues ATINs as 9XX-93-XXXX (Form W-7A).
        if atin.is_valid(digits) and digits[0] == "9" and digits[3:5] == "93":
            return TinCheck(True, "ATIN", digits, "")
    if kind in (None, "EIN"):
        if ein.is_valid(digits):
            return TinCheck(True, "EIN", digits, "")
    label = kind or "TIN"
    return TinCheck(False, kind, "", f"{label} fails IRS number rules (python-stdnum)")


def mask_tin(tin: str | None, kind: str | None = None) -> str:
    """Truncated TIN as recipient statements may show it: ***-**-1234 (EIN: **-***1234)."""
    digits = _digits(tin or "")
    if len(digits) < 4:
        return "***-**-****"
    last4 = digits[-4:]
    if (kind or "").upper() == "EIN":
        return f"**-***{last4}"
    return f"***-**-{last4}"
