"""IRS Publication 1220 (FIRE) files for Forms 1099-K and 1099-NEC, tax year 2025 and earlier.

Every record is 750 positions: positions 1-748 are data and 749-750 hold the record delimiter,
which the publication allows to be blanks or carriage return + line feed; we write CR/LF.
Field positions below are those of Publication 1220 (Rev. 2024/2025, tax year 2024 and 2025,
after the tax year 2023 expansion to 18 payment amount fields "1"-"9", "A"-"H", "J").
The FIRE system accepts no tax year after 2025 filings' corrections: tax year 2026 and later
go through IRIS (see iris.py).

The writer is checked by `fire_validate.validate`, written separately from its own position table.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .fire_validate import validate
from .tin import check_tin
from .us_1099 import Form1099K, Form1099NEC, Recipient

RECORD_DATA = 748
DELIMITER = "\r\n"  # positions 749-750
LAST_FIRE_TAX_YEAR = 2025
PAYMENT_CODES = "123456789ABCDEFGHJ"  # payment amount fields in the B record, in order

TYPE_OF_RETURN = {"1099-K": "MC", "1099-NEC": "NE"}  # Pub 1220 Part C, Type of Return table

# Pub 1220, Payer "A" record amount codes.
# 1099-K: 1 gross (1a), 2 card not present (1b), 4 federal tax withheld, 5..G January..December.
K_MONTH_CODES = "56789ABCDEFG"
# 1099-NEC: 1 nonemployee compensation, 4 federal income tax withheld.

# Pub 1220 Part A Sec. 12, Combined Federal/State Filing Program participant codes (verify yearly).
CFSF_STATE_CODES = {
    "AL": "01", "AZ": "04", "AR": "05", "CA": "06", "CO": "07", "CT": "08", "DE": "10",
    "GA": "13", "HI": "15", "ID": "16", "IN": "18", "KS": "20", "LA": "22", "ME": "23",
    "MD": "24", "MA": "25", "MI": "26", "MN": "27", "MS": "28", "MO": "29", "MT": "30",
    "NE": "31", "NJ": "34", "NM": "35", "NC": "37", "ND": "38", "OH": "39", "OK": "40",
    "PA": "42", "SC": "45", "WI": "55",
}


class FireError(ValueError):
    pass


@dataclass(frozen=True)
class Transmitter:
    tin: str
    tcc: str
    name: str
    company_name: str
    address: str
    city: str
    state: str
    zip_code: str
    contact_name: str
    contact_phone: str
    contact_email: str = ""


@dataclass(frozen=True)
class Payer:
    tin: str
    name: str
    address: str
    city: str
    state: str
    zip_code: str
    phone: str
    name_control: str = ""
    name2: str = ""


def _ascii(value: str) -> str:
    """FIRE is plain ASCII: accents are dropped to their base letters (Müller -> MULLER)."""
    decomposed = unicodedata.normalize("NFKD", str(value or ""))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _alpha(value: str, length: int) -> str:
    text = " ".join(_ascii(value).upper().split())
    return text[:length].ljust(length)


def _num(value: int, length: int) -> str:
    if isinstance(value, float):
        raise FireError("amounts are integer cents, never floats")
    number = int(value)
    if number < 0:
        raise FireError("FIRE amounts are unsigned; a negative amount needs a correction return")
    text = str(number)
    if len(text) > length:
        raise FireError(f"amount {number} does not fit {length} positions")
    return text.zfill(length)


def _digits(value: str, length: int) -> str:
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    return digits[:length].ljust(length)


def _record(fields: list[tuple[int, str]]) -> str:
    """Join (start position, text) pairs, checking each starts where the publication says."""
    out = ""
    for start, text in fields:
        if len(out) + 1 != start:
            raise AssertionError(f"field at {start} would start at {len(out) + 1}")
        out += text
    if len(out) != RECORD_DATA:
        raise AssertionError(f"record has {len(out)} data positions, expected {RECORD_DATA}")
    return out + DELIMITER


def _seq(n: int) -> str:
    return _num(n, 8)


def t_record(tx: Transmitter, tax_year: int, payees: int, seq: int, *, prior_year: bool, test: bool) -> str:
    return _record([
        (1, "T"),                                   # 1 record type
        (2, _num(tax_year, 4)),                     # 2-5 payment year
        (6, "P" if prior_year else " "),            # 6 prior year data indicator
        (7, _digits(tx.tin, 9)),                    # 7-15 transmitter TIN
        (16, _alpha(tx.tcc, 5)),                    # 16-20 transmitter control code
        (21, " " * 7),                              # 21-27 blank
        (28, "T" if test else " "),                 # 28 test file indicator
        (29, " "),                                  # 29 foreign entity indicator
        (30, _alpha(tx.name, 40)),                  # 30-69 transmitter name
        (70, _alpha("", 40)),                       # 70-109 transmitter name continuation
        (110, _alpha(tx.company_name, 40)),         # 110-149 company name
        (150, _alpha("", 40)),                      # 150-189 company name continuation
        (190, _alpha(tx.address, 40)),              # 190-229 company mailing address
        (230, _alpha(tx.city, 40)),                 # 230-269 company city
        (270, _alpha(tx.state, 2)),                 # 270-271 company state
        (272, _digits(tx.zip_code, 9)),             # 272-280 company ZIP code
        (281, " " * 15),                            # 281-295 blank
        (296, _num(payees, 8)),                     # 296-303 total number of payees (B records)
        (304, _alpha(tx.contact_name, 40)),         # 304-343 contact name
        (344, _digits(tx.contact_phone, 15)),       # 344-358 contact telephone and extension
        (359, _ascii(tx.contact_email)[:50].ljust(50)),  # 359-408 contact email
        (409, " " * 91),                            # 409-499 blank
        (500, _seq(seq)),                           # 500-507 record sequence number
        (508, " " * 10),                            # 508-517 blank
        (518, "I"),                                 # 518 vendor indicator: software made in-house
        (519, " " * 221),                           # 519-739 vendor fields, blank for in-house
        (740, " "),                                 # 740 vendor foreign entity indicator
        (741, " " * 8),                             # 741-748 blank
    ])


def a_record(payer: Payer, tax_year: int, form: str, amount_codes: str, seq: int, *, combined: bool) -> str:
    return _record([
        (1, "A"),                                   # 1 record type
        (2, _num(tax_year, 4)),                     # 2-5 payment year
        (6, "1" if combined else " "),              # 6 combined federal/state filing program
        (7, " " * 5),                               # 7-11 blank
        (12, _digits(payer.tin, 9)),                # 12-20 issuer TIN
        (21, _alpha(payer.name_control, 4)),        # 21-24 issuer name control
        (25, " "),                                  # 25 last filing indicator
        (26, TYPE_OF_RETURN[form]),                 # 26-27 type of return
        (28, amount_codes.ljust(18)),               # 28-45 amount codes
        (46, " " * 6),                              # 46-51 blank
        (52, " "),                                  # 52 foreign entity indicator
        (53, _alpha(payer.name, 40)),               # 53-92 first issuer name line
        (93, _alpha(payer.name2, 40)),              # 93-132 second issuer name line
        (133, "0"),                                 # 133 transfer agent indicator
        (134, _alpha(payer.address, 40)),           # 134-173 issuer shipping address
        (174, _alpha(payer.city, 40)),              # 174-213 issuer city
        (214, _alpha(payer.state, 2)),              # 214-215 issuer state
        (216, _digits(payer.zip_code, 9)),          # 216-224 issuer ZIP code
        (225, _digits(payer.phone, 15)),            # 225-239 issuer telephone and extension
        (240, " " * 260),                           # 240-499 blank
        (500, _seq(seq)),                           # 500-507 record sequence number
        (508, " " * 241),                           # 508-748 blank
    ])


def _amount_fields(amounts: dict[str, int]) -> list[tuple[int, str]]:
    # 55-66 payment amount 1, then 12 positions each through 259-270 payment amount J
    return [(55 + 12 * i, _num(amounts.get(code, 0), 12)) for i, code in enumerate(PAYMENT_CODES)]


def _form_specific_k(form: Form1099K, cfsf: str) -> list[tuple[int, str]]:
    return [
        (544, " "),                                 # 544 second TIN notice
        (545, "  "),                                # 545-546 blank
        (547, "1"),                                 # 547 type of filer: 1 = PSE (a TPSO is a PSE)
        (548, "2"),                                 # 548 type of payment: 2 = third party network
        (549, _num(form.transactions_3, 13)),       # 549-561 number of payment transactions
        (562, "   "),                               # 562-564 blank
        (565, " " * 40),                            # 565-604 PSE name and phone (EPF filers only)
        (605, _digits(form.mcc_2, 4)),              # 605-608 merchant category code
        (609, " " * 54),                            # 609-662 blank
        (663, _alpha(form.state_id_7, 60)),         # 663-722 special data entries (state ID)
        (723, _num(form.state_withholding_8, 12)),  # 723-734 state income tax withheld
        (735, _num(0, 12)),                         # 735-746 local income tax withheld
        (747, cfsf),                                # 747-748 combined federal/state code
    ]


def _form_specific_nec(form: Form1099NEC, cfsf: str) -> list[tuple[int, str]]:
    return [
        (544, " "),                                 # 544 second TIN notice
        (545, "  "),                                # 545-546 blank
        (547, " "),                                 # 547 direct sales indicator
        (548, " "),                                 # 548 FATCA filing requirement indicator: none
        (549, " " * 114),                           # 549-662 blank
        (663, " " * 60),                            # 663-722 special data entries
        (723, _num(0, 12)),                         # 723-734 state income tax withheld
        (735, _num(0, 12)),                         # 735-746 local income tax withheld
        (747, cfsf),                                # 747-748 combined federal/state code
    ]


def amounts_by_code(form) -> dict[str, int]:
    if isinstance(form, Form1099K):
        amounts = {"1": form.gross_1a, "2": form.card_not_present_1b, "4": form.withholding_4}
        amounts.update({code: form.months_5[i] for i, code in enumerate(K_MONTH_CODES)})
        return amounts
    return {"1": form.compensation_1, "4": form.withholding_4}


def b_record(form, recipient: Recipient, tax_year: int, amount_codes: str, seq: int,
             *, corrected: bool, combined: bool) -> str:
    check = check_tin(recipient.tin, recipient.tin_type)
    if not check.valid:
        raise FireError(f"recipient {recipient.recipient_id}: invalid TIN, belongs in the exceptions list")
    amounts = {code: value for code, value in amounts_by_code(form).items() if code in amount_codes}
    state = (recipient.state or "").upper()
    cfsf = CFSF_STATE_CODES.get(state, "  ") if combined else "  "
    specific = _form_specific_k(form, cfsf) if isinstance(form, Form1099K) else _form_specific_nec(form, cfsf)
    return _record([
        (1, "B"),                                   # 1 record type
        (2, _num(tax_year, 4)),                     # 2-5 payment year
        (6, "G" if corrected else " "),             # 6 corrected return indicator (G = one-step)
        (7, "    "),                                # 7-10 name control
        (11, check.pub1220_type),                   # 11 type of TIN: 1 EIN, 2 SSN/ITIN/ATIN
        (12, check.digits),                         # 12-20 payee TIN
        (21, _alpha(recipient.account_number or recipient.recipient_id, 20)),  # 21-40 account number
        (41, "    "),                               # 41-44 issuer's office code
        (45, " " * 10),                             # 45-54 blank
        *_amount_fields(amounts),                   # 55-270 payment amounts 1-9, A-H, J
        (271, " " * 16),                            # 271-286 blank
        (287, " "),                                 # 287 foreign country indicator
        (288, _alpha(recipient.name, 40)),          # 288-327 first payee name line
        (328, _alpha("", 40)),                      # 328-367 second payee name line
        (368, _alpha(recipient.address, 40)),       # 368-407 payee mailing address
        (408, " " * 40),                            # 408-447 blank
        (448, _alpha(recipient.city, 40)),          # 448-487 payee city
        (488, _alpha(state, 2)),                    # 488-489 payee state
        (490, _digits(recipient.zip_code, 9)),      # 490-498 payee ZIP code
        (499, " "),                                 # 499 blank
        (500, _seq(seq)),                           # 500-507 record sequence number
        (508, " " * 36),                            # 508-543 blank
        *specific,                                  # 544-748 form-specific fields
    ])


def _totals_fields(count: int, totals: dict[str, int]) -> list[tuple[int, str]]:
    return [
        (2, _num(count, 8)),                        # 2-9 number of payees
        (10, " " * 6),                              # 10-15 blank
        # 16-33 control total 1, 18 positions each through 322-339 control total J
        *[(16 + 18 * i, _num(totals.get(code, 0), 18)) for i, code in enumerate(PAYMENT_CODES)],
        (340, " " * 160),                           # 340-499 blank
    ]


def c_record(count: int, totals: dict[str, int], seq: int) -> str:
    return _record([(1, "C"), *_totals_fields(count, totals),
                    (500, _seq(seq)),               # 500-507 record sequence number
                    (508, " " * 241)])              # 508-748 blank


def k_record(count: int, totals: dict[str, int], seq: int, state_code: str, state_withheld: int) -> str:
    return _record([(1, "K"), *_totals_fields(count, totals),
                    (500, _seq(seq)),               # 500-507 record sequence number
                    (508, " " * 199),               # 508-706 blank
                    (707, _num(state_withheld, 18)),  # 707-724 state income tax withheld total
                    (725, _num(0, 18)),             # 725-742 local income tax withheld total
                    (743, " " * 4),                 # 743-746 blank
                    (747, state_code)])             # 747-748 combined federal/state code


def f_record(a_records: int, payees: int, seq: int) -> str:
    return _record([
        (1, "F"),                                   # 1 record type
        (2, _num(a_records, 8)),                    # 2-9 number of "A" records
        (10, "0" * 21),                             # 10-30 zeros
        (31, " " * 19),                             # 31-49 blank
        (50, _num(payees, 8)),                      # 50-57 total number of payees
        (58, " " * 442),                            # 58-499 blank
        (500, _seq(seq)),                           # 500-507 record sequence number
        (508, " " * 241),                           # 508-748 blank
    ])


def amount_codes_for(form_name: str, forms: list) -> str:
    """Codes in ascending order (digits before letters), as the A record wants them."""
    if form_name == "1099-K":
        codes = "1" + ("2" if any(f.card_not_present_1b for f in forms) else "")
        codes += ("4" if any(f.withholding_4 for f in forms) else "") + K_MONTH_CODES
        return codes
    return "1" + ("4" if any(f.withholding_4 for f in forms) else "")


def write_fire(
    transmitter: Transmitter,
    payer: Payer,
    form_name: str,
    forms: list,
    recipients: list[Recipient],
    tax_year: int,
    *,
    corrected: bool = False,
    prior_year: bool = False,
    test_file: bool = False,
    combined_federal_state: bool = False,
) -> bytes:
    """One payer, one form type: T, A, B..., C, K..., F. Validated before it is returned."""
    if tax_year > LAST_FIRE_TAX_YEAR:
        raise FireError(
            f"tax year {tax_year} cannot be filed through FIRE: the IRS retires FIRE after the 2026 "
            "filing season, so tax year 2026 and later are filed through IRIS (use tax_forms.iris)"
        )
    if form_name not in TYPE_OF_RETURN:
        raise FireError(f"form {form_name!r} is not supported (1099-K, 1099-NEC)")
    if not forms:
        raise FireError("no returns to file")
    by_id = {r.recipient_id: r for r in recipients}
    codes = amount_codes_for(form_name, forms)
    records = [None, a_record(payer, tax_year, form_name, codes, 2, combined=combined_federal_state)]
    totals: dict[str, int] = {}
    state_totals: dict[str, dict[str, int]] = {}
    state_counts: dict[str, int] = {}
    for form in forms:
        recipient = by_id.get(form.recipient_id)
        if recipient is None:
            raise FireError(f"form for {form.recipient_id}: recipient has no tax profile")
        if form.tax_year != tax_year:
            raise FireError(f"form for {form.recipient_id}: tax year {form.tax_year} in a {tax_year} file")
        records.append(b_record(form, recipient, tax_year, codes, len(records) + 1,
                                corrected=corrected, combined=combined_federal_state))
        amounts = amounts_by_code(form)
        for code in codes:
            totals[code] = totals.get(code, 0) + amounts.get(code, 0)
        state_code = CFSF_STATE_CODES.get((recipient.state or "").upper())
        if combined_federal_state and state_code:
            bucket = state_totals.setdefault(state_code, {})
            for code in codes:
                bucket[code] = bucket.get(code, 0) + amounts.get(code, 0)
            state_counts[state_code] = state_counts.get(state_code, 0) + 1
    payees = len(forms)
    records.append(c_record(payees, totals, len(records) + 1))
    for state_code in sorted(state_totals):
        records.append(k_record(state_counts[state_code], state_totals[state_code], len(records) + 1, state_code, 0))
    records.append(f_record(1, payees, len(records) + 1))
    records[0] = t_record(transmitter, tax_year, payees, 1, prior_year=prior_year, test=test_file)
    data = "".join(records).encode("ascii")
    problems = validate(data, expected_year=tax_year)
    if problems:
        raise FireError("FIRE file failed validation: " + "; ".join(problems[:10]))
    return data
