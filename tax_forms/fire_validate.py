"""Our own check of a FIRE file, written from Publication 1220's record layouts and not from
the writer: a file that the writer gets wrong in the same way the validator does would need the
same mistake twice, in two unrelated forms.

`validate(data)` returns a list of problems (empty = file passes). Messages name the record
number and field but never a TIN.
"""
from __future__ import annotations

RECORD_LENGTH = 750

# Publication 1220 (tax years 2024-2025) positions, 1-based and inclusive:
# (name, start, end, kind). kind: "n" numeric digits, "b" blank, "x" anything, "s" sequence number.
LAYOUT = {
    "T": [
        ("record type", 1, 1, "x"), ("payment year", 2, 5, "n"), ("prior year indicator", 6, 6, "x"),
        ("transmitter TIN", 7, 15, "n"), ("TCC", 16, 20, "x"), ("blank", 21, 27, "b"),
        ("test file indicator", 28, 28, "x"), ("foreign entity", 29, 29, "x"),
        ("transmitter name", 30, 69, "x"), ("transmitter name 2", 70, 109, "x"),
        ("company name", 110, 149, "x"), ("company name 2", 150, 189, "x"),
        ("company address", 190, 229, "x"), ("company city", 230, 269, "x"),
        ("company state", 270, 271, "x"), ("company ZIP", 272, 280, "x"), ("blank", 281, 295, "b"),
        ("total number of payees", 296, 303, "n"), ("contact name", 304, 343, "x"),
        ("contact phone", 344, 358, "x"), ("contact email", 359, 408, "x"), ("blank", 409, 499, "b"),
        ("sequence", 500, 507, "s"), ("blank", 508, 517, "b"), ("vendor indicator", 518, 518, "x"),
        ("vendor fields", 519, 739, "x"), ("vendor foreign entity", 740, 740, "x"), ("blank", 741, 748, "b"),
    ],
    "A": [
        ("record type", 1, 1, "x"), ("payment year", 2, 5, "n"), ("combined federal/state", 6, 6, "x"),
        ("blank", 7, 11, "b"), ("issuer TIN", 12, 20, "n"), ("name control", 21, 24, "x"),
        ("last filing indicator", 25, 25, "x"), ("type of return", 26, 27, "x"),
        ("amount codes", 28, 45, "x"), ("blank", 46, 51, "b"), ("foreign entity", 52, 52, "x"),
        ("issuer name", 53, 92, "x"), ("issuer name 2", 93, 132, "x"), ("transfer agent", 133, 133, "n"),
        ("issuer address", 134, 173, "x"), ("issuer city", 174, 213, "x"), ("issuer state", 214, 215, "x"),
        ("issuer ZIP", 216, 224, "x"), ("issuer phone", 225, 239, "x"), ("blank", 240, 499, "b"),
        ("sequence", 500, 507, "s"), ("blank", 508, 748, "b"),
    ],
    "B": [
        ("record type", 1, 1, "x"), ("payment year", 2, 5, "n"), ("corrected indicator", 6, 6, "x"),
        ("name control", 7, 10, "x"), ("type of TIN", 11, 11, "x"), ("payee TIN", 12, 20, "n"),
        ("account number", 21, 40, "x"), ("office code", 41, 44, "x"), ("blank", 45, 54, "b"),
        *[(f"payment amount {c}", 55 + 12 * i, 66 + 12 * i, "n") for i, c in enumerate("123456789ABCDEFGHJ")],
        ("blank", 271, 286, "b"), ("foreign country indicator", 287, 287, "x"),
        ("payee name", 288, 327, "x"), ("payee name 2", 328, 367, "x"), ("payee address", 368, 407, "x"),
        ("blank", 408, 447, "b"), ("payee city", 448, 487, "x"), ("payee state", 488, 489, "x"),
        ("payee ZIP", 490, 498, "x"), ("blank", 499, 499, "b"), ("sequence", 500, 507, "s"),
        ("blank", 508, 543, "b"), ("second TIN notice", 544, 544, "x"),
        ("state income tax withheld", 723, 734, "n"), ("local income tax withheld", 735, 746, "n"),
        ("combined federal/state code", 747, 748, "x"),
    ],
    "C": [
        ("record type", 1, 1, "x"), ("number of payees", 2, 9, "n"), ("blank", 10, 15, "b"),
        *[(f"control total {c}", 16 + 18 * i, 33 + 18 * i, "n") for i, c in enumerate("123456789ABCDEFGHJ")],
        ("blank", 340, 499, "b"), ("sequence", 500, 507, "s"), ("blank", 508, 748, "b"),
    ],
    "K": [
        ("record type", 1, 1, "x"), ("number of payees", 2, 9, "n"), ("blank", 10, 15, "b"),
        *[(f"control total {c}", 16 + 18 * i, 33 + 18 * i, "n") for i, c in enumerate("123456789ABCDEFGHJ")],
        ("blank", 340, 499, "b"), ("sequence", 500, 507, "s"), ("blank", 508, 706, "b"),
        ("state tax withheld total", 707, 724, "n"), ("local tax withheld total", 725, 742, "n"),
        ("blank", 743, 746, "b"), ("combined federal/state code", 747, 748, "n"),
    ],
    "F": [
        ("record type", 1, 1, "x"), ("number of A records", 2, 9, "n"), ("zeros", 10, 30, "n"),
        ("blank", 31, 49, "b"), ("total number of payees", 50, 57, "n"), ("blank", 58, 499, "b"),
        ("sequence", 500, 507, "s"), ("blank", 508, 748, "b"),
    ],
}
# Form-specific B positions 544-748.
B_SPECIFIC = {
    "MC": [("blank", 545, 546, "b"), ("type of filer", 547, 547, "x"), ("type of payment", 548, 548, "x"),
           ("number of payment transactions", 549, 561, "n"), ("blank", 562, 564, "b"),
           ("PSE name and phone", 565, 604, "x"), ("merchant category code", 605, 608, "x"),
           ("blank", 609, 662, "b"), ("special data entries", 663, 722, "x")],
    "NE": [("blank", 545, 546, "b"), ("direct sales indicator", 547, 547, "x"),
           ("FATCA filing requirement indicator", 548, 548, "x"),
           ("blank", 549, 662, "b"), ("special data entries", 663, 722, "x")],
}
# Amount codes Publication 1220 lists for each type of return.
ALLOWED_CODES = {"MC": set("12456789ABCDEFG"), "NE": {"1", "4"}}
CODE_ORDER = "123456789ABCDEFGHJ"
MONTHS_K = "56789ABCDEFG"


def field(record: str, start: int, end: int) -> str:
    return record[start - 1:end]


def _amount(record: str, code: str) -> int:
    i = CODE_ORDER.index(code)
    return int(field(record, 55 + 12 * i, 66 + 12 * i))


def _check_layout(rtype: str, record: str, n: int, problems: list[str], extra=()) -> None:
    for name, start, end, kind in [*LAYOUT[rtype], *extra]:
        text = field(record, start, end)
        if kind in ("n", "s") and not text.isdigit():
            problems.append(f"record {n} ({rtype}) {name} {start}-{end} is not numeric")
        elif kind == "b" and text.strip():
            problems.append(f"record {n} ({rtype}) {name} {start}-{end} must be blank")


def validate(data: bytes, expected_year: int | None = None) -> list[str]:
    problems: list[str] = []
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return ["file is not plain ASCII"]
    if not text or len(text) % RECORD_LENGTH:
        return [f"file length {len(text)} is not a multiple of {RECORD_LENGTH}"]
    records = [text[i:i + RECORD_LENGTH] for i in range(0, len(text), RECORD_LENGTH)]
    for n, rec in enumerate(records, 1):
        if rec[748:750] not in ("\r\n", "  "):
            problems.append(f"record {n}: positions 749-750 must be blanks or CR/LF")
        if "\r" in rec[:748] or "\n" in rec[:748]:
            problems.append(f"record {n}: line break inside the record")
    types = "".join(r[0] for r in records)
    if not types.startswith("T") or not types.endswith("F") or types.count("T") != 1 or types.count("F") != 1:
        problems.append("file must start with one T record and end with one F record")
    for n, rec in enumerate(records, 1):
        if rec[0] not in LAYOUT:
            problems.append(f"record {n}: unknown record type {rec[0]!r}")
            return problems
        if field(rec, 500, 507) != str(n).zfill(8):
            problems.append(f"record {n}: sequence number {field(rec, 500, 507)!r}, expected {n:08d}")
    total_b, a_count = 0, 0
    i = 1
    while i < len(records) - 1:
        a = records[i]
        if a[0] != "A":
            problems.append(f"record {i + 1}: expected an A record, found {a[0]}")
            return problems
        a_count += 1
        _check_layout("A", a, i + 1, problems)
        year = field(a, 2, 5)
        if expected_year is not None and year != str(expected_year):
            problems.append(f"record {i + 1}: payment year {year}, expected {expected_year}")
        rtype = field(a, 26, 27)
        codes = field(a, 28, 45).strip()
        if rtype not in ALLOWED_CODES:
            problems.append(f"record {i + 1}: type of return {rtype!r} not supported")
            return problems
        if not codes or set(codes) - ALLOWED_CODES[rtype]:
            problems.append(f"record {i + 1}: amount codes {codes!r} not allowed for {rtype}")
        if list(codes) != sorted(set(codes), key=CODE_ORDER.index):
            problems.append(f"record {i + 1}: amount codes must be unique and ascending")
        i += 1
        bs = []
        while i < len(records) and records[i][0] == "B":
            bs.append((i + 1, records[i]))
            i += 1
        if not bs:
            problems.append(f"A record {a_count}: no B records")
        for n, b in bs:
            _check_layout("B", b, n, problems, B_SPECIFIC.get(rtype, ()))
            if field(b, 2, 5) != year:
                problems.append(f"record {n}: payment year differs from its A record")
            if field(b, 11, 11) not in ("1", "2", " "):
                problems.append(f"record {n}: type of TIN must be 1, 2 or blank")
            for code in CODE_ORDER:
                if code not in codes and field(b, 55 + 12 * CODE_ORDER.index(code), 66 + 12 * CODE_ORDER.index(code)) != "0" * 12:
                    problems.append(f"record {n}: payment amount {code} used without its amount code")
            if rtype == "MC" and all(c in codes for c in MONTHS_K):
                if _amount(b, "1") != sum(_amount(b, c) for c in MONTHS_K):
                    problems.append(f"record {n}: 1099-K box 1a differs from the sum of 5a-5l")
        total_b += len(bs)
        if i >= len(records) or records[i][0] != "C":
            problems.append(f"A record {a_count}: missing its C record")
            return problems
        c = records[i]
        _check_layout("C", c, i + 1, problems)
        if int(field(c, 2, 9)) != len(bs):
            problems.append(f"record {i + 1}: C number of payees {int(field(c, 2, 9))}, B records {len(bs)}")
        for k, code in enumerate(CODE_ORDER):
            expected = sum(_amount(b, code) for _, b in bs)
            if int(field(c, 16 + 18 * k, 33 + 18 * k)) != expected:
                problems.append(f"record {i + 1}: C control total {code} does not match its B records")
        i += 1
        while i < len(records) and records[i][0] == "K":
            kr = records[i]
            _check_layout("K", kr, i + 1, problems)
            state = field(kr, 747, 748)
            members = [b for _, b in bs if field(b, 747, 748) == state]
            if int(field(kr, 2, 9)) != len(members):
                problems.append(f"record {i + 1}: K number of payees does not match state {state}")
            for k, code in enumerate(CODE_ORDER):
                if int(field(kr, 16 + 18 * k, 33 + 18 * k)) != sum(_amount(b, code) for b in members):
                    problems.append(f"record {i + 1}: K control total {code} does not match state {state}")
            i += 1
    t, f = records[0], records[-1]
    _check_layout("T", t, 1, problems)
    _check_layout("F", f, len(records), problems)
    if expected_year is not None and field(t, 2, 5) != str(expected_year):
        problems.append(f"record 1: payment year {field(t, 2, 5)}, expected {expected_year}")
    if field(t, 296, 303).isdigit() and int(field(t, 296, 303)) != total_b:
        problems.append("record 1: T total number of payees does not match the B records")
    if field(f, 2, 9).isdigit() and int(field(f, 2, 9)) != a_count:
        problems.append(f"record {len(records)}: F number of A records does not match")
    if field(f, 10, 30) != "0" * 21:
        problems.append(f"record {len(records)}: F positions 10-30 must be zeros")
    if field(f, 50, 57).isdigit() and int(field(f, 50, 57)) != total_b:
        problems.append(f"record {len(records)}: F total number of payees does not match the B records")
    return problems
