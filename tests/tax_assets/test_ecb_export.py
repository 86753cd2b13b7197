"""The sandbox's rates as an ECB eurofxref-hist.csv, read back with the ECB loader."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipelines.sandbox import store
from pipelines.sandbox.ecb_export import ecb_round, is_target_business_day, write_ecb_csv
from tax_forms import ecb


def test_ecb_rounding_five_significant_digits_at_least_two_decimals():
    assert ecb_round(Decimal("0.858695652")) == Decimal("0.85870")  # GBP shape, trailing zero kept
    assert str(ecb_round(Decimal("0.858695652"))) == "0.85870"
    assert ecb_round(Decimal("1.086956521")) == Decimal("1.0870")  # USD shape
    assert ecb_round(Decimal("164.1304347")) == Decimal("164.13")  # JPY shape
    assert ecb_round(Decimal("1505.434782")) == Decimal("1505.43")  # KRW: never fewer than 2 decimals
    assert ecb_round(Decimal("1.000050")) == Decimal("1.0001")  # half-up


def test_target_business_days():
    assert not is_target_business_day(date(2025, 1, 4))  # Saturday
    assert not is_target_business_day(date(2025, 4, 18))  # Good Friday 2025
    assert not is_target_business_day(date(2025, 4, 21))  # Easter Monday 2025
    assert not is_target_business_day(date(2025, 5, 1))
    assert not is_target_business_day(date(2025, 12, 26))
    assert is_target_business_day(date(2025, 4, 17))


def test_world_rates_written_per_eur_business_days_only(tmp_path):
    world = tmp_path / "world.sqlite"
    conn = store.connect(world)
    rows = []
    for day in ("2025-04-17", "2025-04-18", "2025-04-19", "2022-12-30", "2023-01-02"):
        rows += [(day, "EUR", "0.92"), (day, "GBP", "0.79"), (day, "JPY", "151"), (day, "HRK", "6.94")]
    conn.executemany("INSERT INTO fx_rates(day, currency, per_usd) VALUES (?, ?, ?)", rows)
    conn.commit()
    conn.close()
    out = tmp_path / "eurofxref-hist.csv"
    assert write_ecb_csv(world, out) == 3  # 18 April is Good Friday, 19 April a Saturday
    text = out.read_text()
    assert text.splitlines()[0] == "Date,USD,JPY,GBP,HRK,"
    assert text.splitlines()[1] == "2025-04-17,1.0870,164.13,0.85870,N/A,"  # newest first; HRK retired
    parsed = ecb.parse(text)
    assert sorted(parsed) == [date(2022, 12, 30), date(2023, 1, 2), date(2025, 4, 17)]
    assert parsed[date(2022, 12, 30)]["HRK"] == Decimal("7.5435")  # 6.94 / 0.92 = 7.54347...
    assert "HRK" not in parsed[date(2023, 1, 2)]


def test_empty_world_rates_are_refused(tmp_path):
    world = tmp_path / "world.sqlite"
    store.connect(world).close()
    with pytest.raises(ValueError, match="fx_rates table is empty"):
        write_ecb_csv(world, tmp_path / "out.csv")
