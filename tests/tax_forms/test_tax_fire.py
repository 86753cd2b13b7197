"""A FIRE file checked position by position against Publication 1220 (tax year 2025 layouts).

The expected positions below are typed from the publication's record layouts (T, A, B with the
1099-K and 1099-NEC positions 544-750, C, K, F), not taken from the writer or the validator.
"""
import pytest

from tax_forms.fire import FireError, Payer, Transmitter, write_fire
from tax_forms.fire_validate import validate
from tax_forms.us_1099 import Compensation, Payment, Recipient, build_1099k, build_1099nec

TX = Transmitter("12-3456789", "5ab12", "Cashbook Platform Inc", "Cashbook Platform Inc",
                 "1 Market St", "San Francisco", "CA", "94105", "Tax Team", "415-555-0100", "tax@example.com")
PAYER = Payer("12-3456789", "Cashbook Platform Inc", "1 Market St", "San Francisco", "CA", "94105-1234",
              "4155550100", name_control="CASH")
RECIPIENTS = [
    Recipient("acct_A", "Ada Lovelace", "536-90-4399", "SSN", "12 Analytical Way", "Los Angeles", "CA", "90001",
              account_number="acct_A"),
    Recipient("acct_B", "Brontë Studio LLC", "91-1144442", "EIN", "3 Moor Rd", "Austin", "TX", "73301",
              account_number="acct_B"),
]


def _payments():
    pays = []
    # acct_A: 20 payments of $100.00 in every month = 240 tx, $24,000.00; card-not-present
    for m in range(1, 13):
        pays += [Payment(f"chA{m}_{i}", "acct_A", f"2025-{m:02d}-10", 10_000) for i in range(20)]
    # acct_B: 201 payments of $100.00 in March + 1 of $0.01 in December = $20,100.01, 202 tx
    pays += [Payment(f"chB{i}", "acct_B", "2025-03-03", 10_000) for i in range(201)]
    pays.append(Payment("chB_dec", "acct_B", "2025-12-31", 1))
    return pays


def _file(**kw):
    result = build_1099k(_payments(), RECIPIENTS, 2025)
    assert [f.recipient_id for f in result.federal_forms] == ["acct_A", "acct_B"]
    return write_fire(TX, PAYER, "1099-K", result.federal_forms, RECIPIENTS, 2025, **kw)


def _records(data: bytes):
    text = data.decode("ascii")
    assert len(text) % 750 == 0
    return [text[i:i + 750] for i in range(0, len(text), 750)]


def pos(record, start, end):
    return record[start - 1:end]


def test_every_field_position_of_a_1099k_file():
    data = _file(combined_federal_state=True)
    recs = _records(data)
    assert [r[0] for r in recs] == list("TABBCKF")
    assert all(r.endswith("\r\n") for r in recs)
    t, a, b1, b2, c, k, f = recs
    # --- T record ---
    expected_t = {
        (1, 1): "T", (2, 5): "2025", (6, 6): " ", (7, 15): "123456789", (16, 20): "5AB12",
        (21, 27): " " * 7, (28, 28): " ", (29, 29): " ",
        (30, 69): "CASHBOOK PLATFORM INC".ljust(40), (70, 109): " " * 40,
        (110, 149): "CASHBOOK PLATFORM INC".ljust(40), (150, 189): " " * 40,
        (190, 229): "1 MARKET ST".ljust(40), (230, 269): "SAN FRANCISCO".ljust(40),
        (270, 271): "CA", (272, 280): "94105    ", (281, 295): " " * 15, (296, 303): "00000002",
        (304, 343): "TAX TEAM".ljust(40), (344, 358): "4155550100     ",
        (359, 408): "tax@example.com".ljust(50), (409, 499): " " * 91, (500, 507): "00000001",
        (508, 517): " " * 10, (518, 518): "I", (519, 748): " " * 230, (749, 750): "\r\n",
    }
    # --- A record ---
    expected_a = {
        (1, 1): "A", (2, 5): "2025", (6, 6): "1", (7, 11): " " * 5, (12, 20): "123456789",
        (21, 24): "CASH", (25, 25): " ", (26, 27): "MC", (28, 45): "1256789ABCDEFG".ljust(18),
        (46, 51): " " * 6, (52, 52): " ", (53, 92): "CASHBOOK PLATFORM INC".ljust(40),
        (93, 132): " " * 40, (133, 133): "0", (134, 173): "1 MARKET ST".ljust(40),
        (174, 213): "SAN FRANCISCO".ljust(40), (214, 215): "CA", (216, 224): "941051234",
        (225, 239): "4155550100     ", (240, 499): " " * 260, (500, 507): "00000002",
        (508, 748): " " * 241, (749, 750): "\r\n",
    }
    # --- B record, acct_A ---
    expected_b1 = {
        (1, 1): "B", (2, 5): "2025", (6, 6): " ", (7, 10): "    ", (11, 11): "2", (12, 20): "536904399",
        (21, 40): "ACCT_A".ljust(20), (41, 44): "    ", (45, 54): " " * 10,
        (55, 66): "000002400000",   # 1: gross 1a
        (67, 78): "000002400000",   # 2: card not present 1b (online payments)
        (79, 90): "000000000000", (91, 102): "000000000000",
        **{(103 + 12 * i, 114 + 12 * i): "000000200000" for i in range(12)},  # 5..G: $2,000 a month
        (247, 258): "000000000000", (259, 270): "000000000000",
        (271, 286): " " * 16, (287, 287): " ", (288, 327): "ADA LOVELACE".ljust(40),
        (328, 367): " " * 40, (368, 407): "12 ANALYTICAL WAY".ljust(40), (408, 447): " " * 40,
        (448, 487): "LOS ANGELES".ljust(40), (488, 489): "CA", (490, 498): "90001    ", (499, 499): " ",
        (500, 507): "00000003", (508, 543): " " * 36,
        (544, 544): " ", (545, 546): "  ", (547, 547): "1", (548, 548): "2",
        (549, 561): "0000000000240", (562, 564): "   ", (565, 604): " " * 40, (605, 608): "5815",
        (609, 662): " " * 54, (663, 722): " " * 60, (723, 734): "0" * 12, (735, 746): "0" * 12,
        (747, 748): "06", (749, 750): "\r\n",
    }
    # --- B record, acct_B: EIN, accented name transliterated, TX not a CF/SF state ---
    expected_b2 = {
        (11, 11): "1", (12, 20): "911144442", (55, 66): "000002010001",
        (127, 138): "000002010000",  # code 7 = 5c March
        (235, 246): "000000000001",  # code G = 5l December
        (288, 327): "BRONTE STUDIO LLC".ljust(40), (488, 489): "TX",
        (500, 507): "00000004", (549, 561): "0000000000202", (747, 748): "  ",
    }
    # --- C record: totals of both B records, control totals 1-9, A-H, J at 16-339 ---
    c_totals = [
        4_410_001,  # 1 gross: 2,400,000 + 2,010,001
        4_410_001,  # 2 card not present: all online
        0, 0,       # 3 unused, 4 no withholding
        200_000, 200_000,  # 5 January, 6 February: acct_A only
        2_210_000,  # 7 March: 200,000 + 2,010,000
        *[200_000] * 8,  # 8, 9, A-F: April to November
        200_001,    # G December: 200,000 + 1
        0, 0,       # H, J
    ]
    expected_c = {
        (1, 1): "C", (2, 9): "00000002", (10, 15): " " * 6,
        **{(16 + 18 * i, 33 + 18 * i): str(v).zfill(18) for i, v in enumerate(c_totals)},
        (340, 499): " " * 160, (500, 507): "00000005", (508, 748): " " * 241, (749, 750): "\r\n",
    }
    # --- K record: California (06) only, i.e. acct_A ---
    k_totals = [2_400_000, 2_400_000, 0, 0, *[200_000] * 12, 0, 0]
    expected_k = {
        (1, 1): "K", (2, 9): "00000001", (10, 15): " " * 6,
        **{(16 + 18 * i, 33 + 18 * i): str(v).zfill(18) for i, v in enumerate(k_totals)},
        (340, 499): " " * 160, (500, 507): "00000006",
        (508, 706): " " * 199, (707, 724): "0" * 18, (725, 742): "0" * 18, (743, 746): " " * 4,
        (747, 748): "06", (749, 750): "\r\n",
    }
    # --- F record ---
    expected_f = {
        (1, 1): "F", (2, 9): "00000001", (10, 30): "0" * 21, (31, 49): " " * 19, (50, 57): "00000002",
        (58, 499): " " * 442, (500, 507): "00000007", (508, 748): " " * 241, (749, 750): "\r\n",
    }
    for record, expected in ((t, expected_t), (a, expected_a), (b1, expected_b1), (b2, expected_b2),
                             (c, expected_c), (k, expected_k), (f, expected_f)):
        for (start, end), value in expected.items():
            assert pos(record, start, end) == value, (record[0], start, end)
    # T, A, B (acct_A), C, K and F above cover every position 1-750 of their records
    for record, expected in ((t, expected_t), (a, expected_a), (b1, expected_b1), (c, expected_c),
                             (k, expected_k), (f, expected_f)):
        covered = sorted(p for (s, e) in expected for p in range(s, e + 1))
        assert covered == list(range(1, 751)), record[0]
    assert validate(data, 2025) == []


def test_card_not_present_and_withholding_codes():
    pays = [Payment(f"c{i}", "acct_A", "2024-07-01", 2_600, card_not_present=i % 2 == 0) for i in range(200)]
    recips = [Recipient("acct_A", "Ada", "536-90-4399", "SSN", "1 A St", "Boston", "MA", "02101",
                        backup_withholding=True)]
    [form] = build_1099k(pays, recips, 2024).federal_forms  # $5,200 > $5,000 in 2024
    data = write_fire(TX, PAYER, "1099-K", [form], recips, 2024, prior_year=True)
    t, a, b, c, f = _records(data)
    assert pos(t, 6, 6) == "P"
    assert pos(a, 28, 45) == "12456789ABCDEFG   "
    assert pos(b, 55, 66) == "000000520000" and pos(b, 67, 78) == "000000260000"
    assert pos(b, 91, 102) == "000000124800"  # 24% of $5,200.00
    assert pos(b, 175, 186) == "000000520000"  # code B = July
    assert pos(b, 549, 561) == "0000000000200"


def test_1099nec_file_and_correction():
    items = [Compensation("tr_1", "acct_A", "2025-06-30", 123_456)]
    [form] = build_1099nec(items, RECIPIENTS, 2025).federal_forms
    data = write_fire(TX, PAYER, "1099-NEC", [form], RECIPIENTS, 2025, corrected=True, test_file=True)
    t, a, b, c, f = _records(data)
    assert pos(t, 28, 28) == "T"
    assert pos(a, 26, 27) == "NE" and pos(a, 28, 45) == "1".ljust(18)
    assert pos(b, 6, 6) == "G" and pos(b, 55, 66) == "000000123456"
    assert pos(b, 547, 547) == " "      # direct sales indicator
    assert pos(b, 548, 548) == " "      # FATCA filing requirement indicator: none
    assert pos(b, 549, 662) == " " * 114
    assert pos(c, 16, 33) == "000000000000123456"


def test_invalid_tin_never_reaches_a_file():
    from tax_forms.us_1099 import Form1099NEC
    bad = [Recipient("acct_x", "X", "078-05-1120", "SSN", "1 A St", "Austin", "TX", "73301")]
    with pytest.raises(FireError, match="acct_x: invalid TIN") as err:
        write_fire(TX, PAYER, "1099-NEC", [Form1099NEC("acct_x", 2025, 100_000, 0)], bad, 2025)
    assert "078" not in str(err.value)


def test_tax_year_2026_goes_to_iris():
    with pytest.raises(FireError, match="IRIS"):
        write_fire(TX, PAYER, "1099-K", [object()], RECIPIENTS, 2026)


def test_validator_catches_broken_files():
    data = _file()
    recs = _records(data)
    c_index = 4
    bad_total = recs[c_index][:15] + "000000000004410002" + recs[c_index][33:]
    assert any("control total 1" in p for p in validate("".join(recs[:c_index] + [bad_total] + recs[c_index + 1:]).encode()))
    bad_seq = recs[1][:499] + "00000009" + recs[1][507:]
    assert any("sequence" in p for p in validate("".join([recs[0], bad_seq] + recs[2:]).encode()))
    bad_code = recs[1][:27] + "12356789ABCDEFG".ljust(18) + recs[1][45:]
    assert any("amount code" in p for p in validate("".join([recs[0], bad_code] + recs[2:]).encode()))
    b = recs[2]
    bad_month = b[:102] + "000000200001" + b[114:]  # 5a one cent more than in 1a
    problems = validate("".join(recs[:2] + [bad_month] + recs[3:]).encode())
    assert any("1a differs" in p for p in problems)
    assert any("different year" in p or "expected 2024" in p for p in validate(data, 2024))
    assert validate(data[:-1]) == ["file length 4499 is not a multiple of 750"]
    assert any("must start with one T" in p for p in validate("".join(recs[1:]).encode()))
