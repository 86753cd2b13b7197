"""The same tax marts and the 1099-K asset on PostgreSQL, with the hand-made creators only."""
from __future__ import annotations

import dagster as dg
import pytest

from tests.dbt.conftest import make_pg_warehouse, run_dbt
from tests.dbt.raw_loader import insert_objects
from tests.tax_assets.conftest import (CREATOR_A, TIN_A, TIN_B, CREATOR_B, hand_made_bonuses, hand_made_charges)

ECB_CSV = """Date,USD,JPY,
2026-04-30,1.1000,170.00,
2025-08-14,1.1650,171.50,
2025-01-02,1.0350,162.80,
"""


@pytest.mark.postgres
def test_tax_marts_and_1099k_on_postgres(tmp_path):
    from assets import tax

    wh = make_pg_warehouse("cb_t_tax_assets_pg", tmp_path / "dbt_target")
    conn = wh.connect()
    insert_objects(conn, "charge", hand_made_charges())
    insert_objects(conn, "transfer", hand_made_bonuses())
    conn.close()
    (tmp_path / "ecb.csv").write_text(ECB_CSV)
    (tmp_path / "profiles.csv").write_text(
        "account,legal_name,tin_type,tin,is_us,address_line1,city,state,postal_code,country,backup_withholding\n"
        f"{CREATOR_A},Ada Testcreator,SSN,{TIN_A},1,10 Elm Street,Columbus,OH,43004,US,0\n"
        f"{CREATOR_B},Ben Notin,SSN,{TIN_B},1,2 Oak Road,Dayton,OH,45402,US,0\n")
    config = tax.TaxConfig(warehouse_url=f"postgresql://postgres@127.0.0.1:5432/{wh.dbname}",
                           output_dir=str(tmp_path / "output"), tax_profiles_csv=str(tmp_path / "profiles.csv"),
                           ecb_rates_source=str(tmp_path / "ecb.csv"))
    resources = {"tax_config": config}
    with dg.instance_for_test() as instance:
        assert dg.materialize([tax.ecb_rates, tax.tax_profiles], resources=resources, instance=instance).success
        run_dbt(wh.env, "build", "--select", "+marts.tax", "--indirect-selection", "cautious")
        # JPY 15,000 on 2025-08-14: 15000 * 1.1650 / 171.50 = 101.8950... USD -> 10190 cents
        assert wh.query("SELECT gross_usd_cents, usd_conversion FROM marts.fct_tax_us_payments "
                        "WHERE charge_id = 'ch_taxA2025_jpy'") == [(10190, "ecb_daily_rate")]
        assert wh.query("SELECT sum(amount_usd_cents) FROM marts.fct_tax_us_compensation WHERE tax_year = 2025") \
            == [(75_000,)]
        result = dg.materialize([tax.tax_1099k], partition_key="2025", resources=resources, instance=instance)
        assert result.success
        assert all(e.passed for e in result.get_asset_check_evaluations())
    assert wh.query(f"SELECT amount_cents FROM finance.tax_1099_boxes WHERE form = '1099-K' AND tax_year = 2025 "
                    f"AND recipient_id = '{CREATOR_A}' AND box = '1a'") == [(2_040_000 + 10_190,)]
    assert wh.query("SELECT has_schema_privilege('public', 'restricted', 'USAGE')") == [(False,)]
