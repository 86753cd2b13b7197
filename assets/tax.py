"""Tax assets (issue 6): ECB rates, creator tax profiles, 1099-K / 1099-NEC per tax year, EU OSS
and UK VAT returns per quarter, US nexus and digital-services monitoring.

Thin by design (DESIGN section 3): read the tax marts, call `tax_forms`, write tables under
`finance.*` and files under `$CASHBOOK_OUTPUT_DIR/tax/`, attach metadata (each file linked with
`MetadataValue.path`). Files holding full TINs or VAT numbers are written owner-only
(`tax_forms.privacy.write_private`); TINs never reach metadata, logs or a mart.
Each filing asset carries a blocking check that sums every box / VAT row back to its charges or
invoices to the cent.
"""

import csv
import io
import os
import urllib.request
import zipfile
from datetime import date
from pathlib import Path

import dagster as dg

from assets.tax_bases import (MONEY_BOXES_1099K, convert_cross, dollars, nexus_state_sales, oss_row_mismatches,
                              oss_supplies, quarter_of_partition, split_supplies, uk_sales)
from assets.tax_warehouse import Warehouse, as_date, open_warehouse, restrict_schema
from pipelines.money import to_major
from pipelines.settings import load_settings
from sensors.priority import TAX_TAGS
from tax_forms import ecb, fire, iris, nexus, oss, oss_xml, summary, uk_vat
from tax_forms.copy_b import copy_b_pdf
from tax_forms.digital_services import CountrySales, liability_report, load_rules
from tax_forms.privacy import write_private
from tax_forms.us_1099 import (backup_withholding, build_1099k, build_1099nec, compensations_from_rows,
                               payments_from_rows, recipients_from_rows)
from tax_forms.vat_rates import EU_MEMBER_STATES, oss_country

ECB_HIST_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
TAX_GROUP = "tax"

# the current year is included (end_offset=1) for a running view; the schedule files the closed one
YEARLY = dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1 *", fmt="%Y", start="2024", end_offset=1)
# keyed by the quarter's first day: 2026-07-01 is 2026-Q3 (files go to tax/2026-Q3/)
QUARTERLY = dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1,4,7,10 *", fmt="%Y-%m-%d",
                                              start="2024-01-01")

PAYMENTS_MART = dg.AssetKey(["marts", "fct_tax_us_payments"])
COMPENSATION_MART = dg.AssetKey(["marts", "fct_tax_us_compensation"])
SUPPLIES_MART = dg.AssetKey(["marts", "fct_tax_supplies"])
# the key assets/dbt.py gives the dbt source fx.ecb_rates (raw_fx/<table>): lineage runs through it
ECB_RATES = dg.AssetKey(["raw_fx", "ecb_rates"])
TAX_PROFILES = dg.AssetKey(["finance", "tax_profiles"])

PROFILE_COLUMNS = ("account", "legal_name", "tin_type", "tin", "is_us", "address_line1", "city", "state",
                   "postal_code", "country", "backup_withholding")


class TaxConfig(dg.ConfigurableResource):
    """Where the tax assets read and write, and who the filer is. Defaults come from the
    environment (`TaxConfig.from_env()`); the payer's own EIN is needed in the filing files only."""
    warehouse_url: str
    output_dir: str
    tax_profiles_csv: str = ""
    ecb_rates_source: str = ECB_HIST_URL
    payer_name: str = "Cashbook Creators Inc"
    payer_tin: str = "123456789"
    payer_address: str = "1 Market Street"
    payer_city: str = "San Francisco"
    payer_state: str = "CA"
    payer_zip: str = "94105"
    payer_phone: str = "4155550100"
    transmitter_tcc: str = "12345"
    contact_name: str = "Finance Team"
    contact_email: str = "finance@cashbook.example"
    mcc: str = "5815"
    fire_test_file: bool = True
    iris_header_csv: str = ""
    oss_scheme: str = "non-union"
    oss_identification_state: str = ""
    oss_vat_number: str = "EU372000041"
    uk_purchases_csv: str = ""   # the platform's UK purchases (boxes 4 and 7), from the books
    oss_opted_in: bool = False   # Union scheme: opted to tax every cross-border sale where consumed

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "TaxConfig":
        env = os.environ if environ is None else environ
        settings = load_settings(env)
        extra = {field: env[var] for field, var in (
            ("payer_name", "CASHBOOK_PAYER_NAME"), ("payer_tin", "CASHBOOK_PAYER_TIN"),
            ("payer_address", "CASHBOOK_PAYER_ADDRESS"), ("payer_city", "CASHBOOK_PAYER_CITY"),
            ("payer_state", "CASHBOOK_PAYER_STATE"), ("payer_zip", "CASHBOOK_PAYER_ZIP"),
            ("payer_phone", "CASHBOOK_PAYER_PHONE"), ("transmitter_tcc", "CASHBOOK_FIRE_TCC"),
            ("iris_header_csv", "CASHBOOK_IRIS_HEADER_CSV"), ("oss_scheme", "CASHBOOK_OSS_SCHEME"),
            ("oss_identification_state", "CASHBOOK_OSS_IDENTIFICATION_STATE"),
            ("oss_vat_number", "CASHBOOK_OSS_VAT_NUMBER"),
            ("uk_purchases_csv", "CASHBOOK_UK_PURCHASES_CSV")) if env.get(var)}
        if env.get("CASHBOOK_OSS_OPTED_IN"):
            extra["oss_opted_in"] = env["CASHBOOK_OSS_OPTED_IN"].lower() in ("1", "true", "yes")
        if env.get("CASHBOOK_FIRE_TEST_FILE"):
            extra["fire_test_file"] = env["CASHBOOK_FIRE_TEST_FILE"].lower() in ("1", "true", "yes")
        return cls(warehouse_url=settings.warehouse_url, output_dir=str(settings.output_dir),
                   tax_profiles_csv=env.get("CASHBOOK_TAX_PROFILES", ""),
                   ecb_rates_source=env.get("ECB_RATES_SOURCE") or ECB_HIST_URL, **extra)

    def tax_dir(self, period: str) -> Path:
        return Path(self.output_dir) / "tax" / period

    def transmitter(self) -> fire.Transmitter:
        return fire.Transmitter(self.payer_tin, self.transmitter_tcc, self.payer_name, self.payer_name,
                                self.payer_address, self.payer_city, self.payer_state, self.payer_zip,
                                self.contact_name, self.payer_phone, self.contact_email)

    def payer(self) -> fire.Payer:
        return fire.Payer(self.payer_tin, self.payer_name, self.payer_address, self.payer_city, self.payer_state,
                          self.payer_zip, self.payer_phone)

    def payer_info(self) -> iris.PayerInfo:
        return iris.PayerInfo(self.payer_tin, self.payer_name, self.payer_address, self.payer_city,
                              self.payer_state, self.payer_zip, self.payer_phone)

    def filer(self) -> dict:
        return {"name": self.payer_name, "address": self.payer_address,
                "city_state_zip": f"{self.payer_city}, {self.payer_state} {self.payer_zip}",
                "phone": self.payer_phone, "tin": self.payer_tin}


# ---------------------------------------------------------------------------------------------
# inputs: ECB rates and tax profiles


def read_ecb_source(source: str) -> str:
    """The ECB file text from a URL or a path; a .zip (the ECB's hist download) is opened."""
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=60) as response:  # noqa: S310 (configured URL)
            data = response.read()
    else:
        data = Path(source).read_bytes()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            name = next(n for n in archive.namelist() if n.lower().endswith((".csv", ".xml")))
            data = archive.read(name)
    return data.decode("utf-8")


@dg.asset(key=ECB_RATES, group_name="fx", kinds={"python", "duckdb"},
          description="ECB euro reference rates (units per 1 EUR, business days) in raw_fx.ecb_rates, "
                      "from ECB_RATES_SOURCE (the ECB's eurofxref file, or the sandbox's export).")
def ecb_rates(context: dg.AssetExecutionContext, tax_config: TaxConfig) -> dg.MaterializeResult:
    by_day = ecb.parse(read_ecb_source(tax_config.ecb_rates_source))
    rows = [(day, currency, rate) for day, rates in sorted(by_day.items()) for currency, rate in sorted(rates.items())]
    with open_warehouse(tax_config.warehouse_url) as wh:
        wh.replace_rows("raw_fx.ecb_rates", "1 = 1", (), ["rate_date", "currency", "rate"], rows)
    currencies = sorted({c for _, c, _ in rows})
    context.log.info(f"loaded {len(rows)} ECB rates over {len(by_day)} days")
    return dg.MaterializeResult(metadata={
        "days": len(by_day), "rows": len(rows), "currencies": ", ".join(currencies),
        "first_day": min(by_day).isoformat(), "last_day": max(by_day).isoformat()})


def profile_rows_from_csv(text: str) -> list[tuple]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("account", "legal_name", "tin_type", "tin", "is_us") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"tax profiles CSV: missing columns {', '.join(missing)}")
    rows = []
    for line, r in enumerate(reader, start=2):
        if not (r.get("account") or "").startswith("acct_"):
            raise ValueError(f"tax profiles CSV line {line}: field account must be a connected account id")
        flag = lambda v: str(v or "0").strip().lower() in ("1", "true", "yes")  # noqa: E731
        rows.append((r["account"], r.get("legal_name") or "", r.get("tin_type") or None, r.get("tin") or None,
                     flag(r.get("is_us")), r.get("address_line1") or "", r.get("city") or "",
                     (r.get("state") or "").upper(), r.get("postal_code") or "", (r.get("country") or "").upper(),
                     flag(r.get("backup_withholding"))))
    return rows


@dg.asset(key=TAX_PROFILES, group_name=TAX_GROUP, kinds={"python"},
          description="Creators' W-9 data from CASHBOOK_TAX_PROFILES into restricted.tax_profiles, the only "
                      "table that holds TINs (PostgreSQL: schema revoked from PUBLIC).")
def tax_profiles(context: dg.AssetExecutionContext, tax_config: TaxConfig) -> dg.MaterializeResult:
    if not tax_config.tax_profiles_csv:
        raise ValueError("CASHBOOK_TAX_PROFILES is not set: give the CSV of creators' W-9 data "
                         "(the sandbox writes one with `cashbook sandbox tax-profiles --out FILE.csv`)")
    rows = profile_rows_from_csv(Path(tax_config.tax_profiles_csv).read_text())
    with open_warehouse(tax_config.warehouse_url) as wh:
        wh.replace_rows("restricted.tax_profiles", "1 = 1", (), list(PROFILE_COLUMNS), rows)
        restrict_schema(wh)
    us = [r for r in rows if r[4]]
    context.log.info(f"loaded {len(rows)} tax profiles ({len(us)} US)")
    return dg.MaterializeResult(metadata={
        "profiles": len(rows), "us_profiles": len(us),
        "us_profiles_without_tin": sum(1 for r in us if not r[3]),
        "backup_withholding": sum(1 for r in rows if r[10])})


# ---------------------------------------------------------------------------------------------
# United States: 1099-K and 1099-NEC

FILE_DESCRIPTIONS = (
    ("_fire_", "FIRE e-file (Publication 1220), full TINs: upload at fire.irs.gov"),
    ("_iris_", "IRIS Taxpayer Portal CSV (at most 100 returns), full TINs"),
    ("_summary_", "summary per return and TIN exception, TINs masked"),
    ("_exceptions_", "recipients not filed (missing/invalid TIN, no US profile) and why"),
    ("copy_b_", "recipient statements (Copy B) PDF, one per recipient, TINs truncated"),
)


def _describe(name: str) -> str:
    return next((what for key, what in FILE_DESCRIPTIONS if key in name), "tax file")


def write_year_readme(folder: Path, tax_year: int) -> Path:
    """README listing every file the year's assets have written so far."""
    files = {p.name + ("/" if p.is_dir() else ""): _describe(p.name) for p in sorted(folder.iterdir())
             if p.name != "README.md"}
    path = folder / "README.md"
    path.write_text(summary.year_readme(tax_year, files))
    return path


def _recipients(wh: Warehouse) -> list:
    if not wh.table_exists("restricted.tax_profiles"):
        raise ValueError("restricted.tax_profiles is missing: materialize finance/tax_profiles first")
    return recipients_from_rows(wh.rows("SELECT * FROM restricted.tax_profiles"))


def _box_rows(form_name: str, forms: list) -> list[tuple]:
    rows = []
    for f in forms:
        if form_name == "1099-K":
            boxes = {"1a": f.gross_1a, "1b": f.card_not_present_1b, "3": f.transactions_3, "4": f.withholding_4,
                     **{b: f.box(b) for b in MONEY_BOXES_1099K[2:]}}
        else:
            boxes = {"1": f.compensation_1, "4": f.withholding_4}
        rows += [(form_name, f.tax_year, f.recipient_id, box, amount, f.federal_required, f.state_filing_flag)
                 for box, amount in boxes.items()]
    return rows


def _exception_rows(form_name: str, year: int, returns) -> list[tuple]:
    rows = [(form_name, year, e.recipient_id, "tin", e.reason) for e in returns.exceptions]
    rows += [(form_name, year, r, "no_us_profile", "paid in the year without a US tax profile (W-8BEN or W-9 missing)")
             for r in returns.no_us_profile]
    return rows


def _write_1099_outputs(form_name: str, year: int, returns, recipients, config: TaxConfig,
                        wh: Warehouse) -> dict[str, dg.MetadataValue]:
    """Tables (boxes, drill-down, exceptions) and files of one form and year; returns file links."""
    where = "form = %s AND tax_year = %s"
    wh.replace_rows("finance.tax_1099_boxes", where, (form_name, year),
                    ["form", "tax_year", "recipient_id", "box", "amount_cents", "federal_required",
                     "state_filing_flag"], _box_rows(form_name, returns.forms))
    wh.replace_rows("finance.tax_1099_drilldown", where, (form_name, year),
                    ["form", "tax_year", "recipient_id", "box", "source_id"],
                    [(r["form"], r["tax_year"], r["recipient_id"], r["box"], r["source_id"])
                     for r in summary.drilldown_rows(returns.forms)])
    wh.replace_rows("finance.tax_1099_exceptions", where, (form_name, year),
                    ["form", "tax_year", "recipient_id", "kind", "reason"], _exception_rows(form_name, year, returns))

    slug = "1099k" if form_name == "1099-K" else "1099nec"
    folder = config.tax_dir(str(year))
    folder.mkdir(parents=True, exist_ok=True)
    links: dict[str, dg.MetadataValue] = {}
    federal = returns.federal_forms
    if federal and year <= fire.LAST_FIRE_TAX_YEAR:
        data = fire.write_fire(config.transmitter(), config.payer(), form_name, federal, recipients, year,
                               test_file=config.fire_test_file)
        links["fire_file"] = dg.MetadataValue.path(str(write_private(folder / f"{slug}_fire_{year}.txt", data)))
    elif federal:
        header = (iris.header_from_template(Path(config.iris_header_csv).read_text())
                  if config.iris_header_csv else None)
        files = iris.write_iris_csv(form_name, federal, recipients, config.payer_info(), header)
        for old in folder.glob(f"{slug}_iris_{year}_*.csv"):
            old.unlink()
        for n, data in enumerate(files.files, start=1):
            path = write_private(folder / f"{slug}_iris_{year}_{n:03d}.csv", data)
            links[f"iris_file_{n}"] = dg.MetadataValue.path(str(path))
    copy_dir = folder / f"copy_b_{slug}"
    by_id = {r.recipient_id: r for r in recipients}
    for f in returns.forms:
        write_private(copy_dir / f"{slug}_{year}_{f.recipient_id}.pdf", copy_b_pdf(f, by_id[f.recipient_id], config.filer()))
    if returns.forms:
        links["copy_b_folder"] = dg.MetadataValue.path(str(copy_dir))
    summary_path = folder / f"{slug}_summary_{year}.csv"
    summary_path.write_bytes(summary.summary_csv(returns.forms, recipients, returns.exceptions))
    links["summary_csv"] = dg.MetadataValue.path(str(summary_path))
    exceptions_path = folder / f"{slug}_exceptions_{year}.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["form", "tax_year", "recipient_id", "kind", "reason"])
    writer.writerows(_exception_rows(form_name, year, returns))
    exceptions_path.write_text(buffer.getvalue())
    links["exceptions_csv"] = dg.MetadataValue.path(str(exceptions_path))
    links["readme"] = dg.MetadataValue.path(str(write_year_readme(folder, year)))
    return links


def check_1099_sums(wh: Warehouse, form_name: str, year: int) -> list[str]:
    """Every money box of every return = the sum of its source charges / transfers in the mart;
    box 3 = the number of its transactions; box 4 = 24% of 1a (or box 1) where withheld."""
    if form_name == "1099-K":
        mart, key, amount, money_boxes = "marts.fct_tax_us_payments", "charge_id", "gross_usd_cents", MONEY_BOXES_1099K
    else:
        mart, key, amount, money_boxes = "marts.fct_tax_us_compensation", "transfer_id", "amount_usd_cents", ("1",)
    traced = wh.rows(
        f"""SELECT b.recipient_id, b.box, b.amount_cents, count(m.{key}) AS n, coalesce(sum(m.{amount}), 0) AS traced
            FROM finance.tax_1099_boxes b
            LEFT JOIN finance.tax_1099_drilldown d
              ON d.form = b.form AND d.tax_year = b.tax_year AND d.recipient_id = b.recipient_id AND d.box = b.box
            LEFT JOIN {mart} m ON m.{key} = d.source_id
            WHERE b.form = %s AND b.tax_year = %s
            GROUP BY b.recipient_id, b.box, b.amount_cents""", (form_name, year))
    by_box = {(r["recipient_id"], r["box"]): r for r in traced}
    problems = []
    for (recipient, box), r in sorted(by_box.items()):
        if box in money_boxes and int(r["amount_cents"]) != int(r["traced"]):
            problems.append(f"{form_name} {recipient} box {box}: {dollars(r['amount_cents'])} declared, "
                            f"{dollars(r['traced'])} in its sources")
        if box == "3" and int(r["amount_cents"]) != int(by_box[(recipient, "1a")]["n"]):
            problems.append(f"{form_name} {recipient} box 3: {r['amount_cents']} declared, "
                            f"{by_box[(recipient, '1a')]['n']} transactions in its sources")
        if box == "4" and int(r["amount_cents"]) not in (0, backup_withholding(int(by_box[(recipient, money_boxes[0])]["traced"]))):
            problems.append(f"{form_name} {recipient} box 4 is not 24% of its gross")
    return problems


def _1099_asset(form_name: str, key: list[str], mart: dg.AssetKey, description: str):
    check_name = "boxes_sum_to_sources"

    @dg.asset(key=key, group_name=TAX_GROUP, partitions_def=YEARLY, deps=[mart, TAX_PROFILES],
              kinds={"python", "pdf", "csv"}, description=description,
              check_specs=[dg.AssetCheckSpec(check_name, asset=dg.AssetKey(key), blocking=True,
                                             description="each box sums back to its charges / transfers to the cent")])
    def _asset(context: dg.AssetExecutionContext, tax_config: TaxConfig):
        year = int(context.partition_key)
        with open_warehouse(tax_config.warehouse_url) as wh:
            recipients = _recipients(wh)
            if form_name == "1099-K":
                rows = wh.rows("""SELECT charge_id AS source_id, creator_account_id AS recipient_id, paid_on,
                                         gross_usd_cents AS amount_cents, is_card_not_present AS card_not_present
                                  FROM marts.fct_tax_us_payments WHERE tax_year = %s ORDER BY charge_id""", (year,))
                missing = [r["source_id"] for r in rows if r["amount_cents"] is None]
                if missing:
                    raise ValueError(f"charge {missing[0]} (and {len(missing) - 1} more): no USD amount; "
                                     "load ECB rates covering its day")
                returns = build_1099k(payments_from_rows(rows), recipients, year, tax_config.mcc)
                gross = sum(f.gross_1a for f in returns.federal_forms)
            else:
                rows = wh.rows("""SELECT transfer_id AS source_id, creator_account_id AS recipient_id, paid_on,
                                         amount_usd_cents AS amount_cents
                                  FROM marts.fct_tax_us_compensation WHERE tax_year = %s ORDER BY transfer_id""",
                               (year,))
                returns = build_1099nec(compensations_from_rows(rows), recipients, year)
                gross = sum(f.compensation_1 for f in returns.federal_forms)
            links = _write_1099_outputs(form_name, year, returns, recipients, tax_config, wh)
            wh.commit()
            problems = check_1099_sums(wh, form_name, year)
        context.log.info(f"{form_name} {year}: {len(returns.federal_forms)} federal returns, "
                         f"{len(returns.exceptions)} TIN exceptions")
        return dg.MaterializeResult(
            metadata={"tax_year": year, "source_rows": len(rows), "federal_returns": len(returns.federal_forms),
                      "state_only_returns": len(returns.state_only_forms),
                      "below_threshold": len(returns.below_threshold), "tin_exceptions": len(returns.exceptions),
                      "no_us_profile": len(returns.no_us_profile), "federal_total_usd": dollars(gross),
                      "filing_system": "FIRE" if year <= fire.LAST_FIRE_TAX_YEAR else "IRIS", **links},
            check_results=[dg.AssetCheckResult(check_name=check_name, passed=not problems,
                                               severity=dg.AssetCheckSeverity.ERROR,
                                               metadata={"mismatches": len(problems),
                                                         "first_mismatches": "\n".join(problems[:10]) or "none"})])

    return _asset


tax_1099k = _1099_asset(
    "1099-K", ["finance", "tax_1099k"], PAYMENTS_MART,
    "Form 1099-K per creator for the tax year (TPSO thresholds by year, state flags): FIRE file (<= 2025) or "
    "IRIS CSVs (2026+), Copy B PDFs, summary and exceptions CSV, README; drill-down in finance.tax_1099_drilldown.")
tax_1099nec = _1099_asset(
    "1099-NEC", ["finance", "tax_1099nec"], COMPENSATION_MART,
    "Form 1099-NEC per creator for platform-paid bonuses: FIRE file (<= 2025) or IRIS CSVs (2026+), Copy B PDFs, "
    "summary and exceptions CSV, README; drill-down in finance.tax_1099_drilldown.")


# ---------------------------------------------------------------------------------------------
# EU OSS and UK VAT (quarterly)


def _ecb(wh: Warehouse) -> ecb.EcbRates:
    by_day: dict = {}
    for r in wh.rows("SELECT rate_date, currency, rate FROM raw_fx.ecb_rates"):
        by_day.setdefault(as_date(r["rate_date"]), {})[r["currency"].upper()] = r["rate"]
    from decimal import Decimal
    return ecb.EcbRates({d: {c: Decimal(str(v)) for c, v in rates.items()} for d, rates in by_day.items()})


def _quarter_rows(wh: Warehouse, quarter: oss.Quarter) -> list[dict]:
    rows = wh.rows("""SELECT source_type, source_id, invoice_id, reported_on, supply_date, currency, taxable_amount,
                             vat_amount, billing_country, billing_state, ip_country, card_country, vat_number
                      FROM marts.fct_tax_supplies WHERE reported_on BETWEEN %s AND %s ORDER BY source_id""",
                   (quarter.first_day, quarter.last_day))
    for r in rows:
        r["reported_on"], r["supply_date"] = as_date(r["reported_on"]), as_date(r["supply_date"])
    return rows


def _csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _write_review_files(folder: Path, prefix: str, split) -> dict[str, dg.MetadataValue]:
    links = {}
    conflicts = folder / f"{prefix}_location_conflicts.csv"
    conflicts.write_bytes(_csv_bytes(["source_id", "billing", "ip", "card", "note"],
                                     [[c["source_id"], c["billing"], c["ip"], c["card"], c["detail"]]
                                      for c in split.conflicts]))
    links["location_conflicts_csv"] = dg.MetadataValue.path(str(conflicts))
    # VAT numbers identify taxpayers: owner-only, never in metadata
    b2b = write_private(folder / f"{prefix}_reverse_charge.csv", _csv_bytes(
        ["source_id", "vat_number", "country", "status", "needs_vies_check", "reason"],
        [[c.source_id, c.vat_number, c.country, "reverse charged", c.needs_vies_check, c.reason] for c in split.reverse_charged]
        + [[c.source_id, c.vat_number, c.country, "rejected: VAT charged", False, c.reason] for c in split.rejected_numbers]))
    links["reverse_charge_csv"] = dg.MetadataValue.path(str(b2b))
    return links


@dg.asset(key=["finance", "eu_oss_return"], group_name=TAX_GROUP, partitions_def=QUARTERLY,
          deps=[SUPPLIES_MART, ECB_RATES], kinds={"python", "xml", "pdf"},
          description="EU One-Stop-Shop return of the quarter (EUR at the ECB rate of its last day; corrections of "
                      "earlier quarters; nil return when nothing was sold): XML, CSV, PDF, location conflicts and the "
                      "reverse-charge list; rows in finance.vat_return_rows, drill-down in finance.vat_drilldown.",
          check_specs=[dg.AssetCheckSpec("rows_sum_to_invoices", asset=dg.AssetKey(["finance", "eu_oss_return"]),
                                         blocking=True, description="each VAT row sums back to its invoices to the cent")])
def eu_oss_return(context: dg.AssetExecutionContext, tax_config: TaxConfig):
    quarter = quarter_of_partition(context.partition_key)
    with open_warehouse(tax_config.warehouse_url) as wh:
        rates = _ecb(wh)
        rows = _quarter_rows(wh, quarter)
        split = split_supplies(rows)
        measure = _union_threshold_measure(wh, quarter, rates, tax_config)
        ret = oss.build_return(oss_supplies(split), quarter, rates, scheme=tax_config.oss_scheme,
                               identification_state=tax_config.oss_identification_state or None,
                               vat_number=tax_config.oss_vat_number, opted_in=tax_config.oss_opted_in,
                               **measure)
        table_rows = [("EU-OSS", quarter.label, "supply", r.member_state, "", r.rate, r.taxable_eur_cents,
                       r.vat_eur_cents, "EUR") for r in ret.rows]
        table_rows += [("EU-OSS", quarter.label, "correction", c.member_state, c.period, None, None, c.vat_eur_cents,
                        "EUR") for c in ret.corrections]
        drill = [("EU-OSS", quarter.label, "supply", r.member_state, "", r.rate, s) for r in ret.rows for s in r.sources]
        drill += [("EU-OSS", quarter.label, "correction", c.member_state, c.period, None, s)
                  for c in ret.corrections for s in c.sources]
        where = "return_name = 'EU-OSS' AND period = %s"
        wh.replace_rows("finance.vat_return_rows", where, (quarter.label,),
                        ["return_name", "period", "section", "member_state", "corrected_period", "vat_rate",
                         "taxable_minor", "vat_minor", "currency"], table_rows)
        wh.replace_rows("finance.vat_drilldown", where, (quarter.label,),
                        ["return_name", "period", "section", "member_state", "corrected_period", "vat_rate",
                         "source_id"], drill)
        wh.replace_rows("finance.vat_location_review", "period = %s", (quarter.label,),
                        ["period", "source_id", "kind", "detail"],
                        [(quarter.label, c["source_id"], "location_conflict", c["detail"]) for c in split.conflicts])
        wh.commit()
        problems = check_oss_sums(wh, quarter, rates)
    folder = tax_config.tax_dir(quarter.label)
    folder.mkdir(parents=True, exist_ok=True)
    links = {}
    for suffix, data in (("xml", oss_xml.to_xml(ret)), ("csv", oss_xml.to_csv(ret)), ("pdf", oss_xml.to_pdf(ret))):
        path = folder / f"oss_return_{quarter.label}.{suffix}"
        path.write_bytes(data)
        links[f"oss_{suffix}"] = dg.MetadataValue.path(str(path))
    links.update(_write_review_files(folder, f"oss_{quarter.label}", split))
    return dg.MaterializeResult(
        metadata={"period": quarter.label, "nil_return": ret.nil, "due_date": ret.due_date.isoformat(),
                  "scheme": ret.scheme, "rows": len(ret.rows), "corrections": len(ret.corrections),
                  "total_vat_eur": str(to_major(ret.total_vat_eur_cents, "EUR")),
                  "member_states": ", ".join(ret.vat_by_member_state()) or "none",
                  "location_conflicts": len(split.conflicts), "reverse_charged": len(split.reverse_charged),
                  "fx": ", ".join(f"{c} {r} ({d.isoformat()})" for c, (r, d) in sorted(ret.fx.items())) or "none",
                  **links},
        check_results=[dg.AssetCheckResult(check_name="rows_sum_to_invoices", passed=not problems,
                                           metadata={"mismatches": len(problems),
                                                     "first_mismatches": "\n".join(problems[:10]) or "none"})])


def _union_threshold_measure(wh: Warehouse, quarter: oss.Quarter, rates: ecb.EcbRates,
                             tax_config: TaxConfig) -> dict[str, int]:
    """The EUR 10,000 measure of the Union scheme (art. 59c): cross-border B2C sales of the whole
    previous year and of this year before the quarter, from the same mart rows the returns use."""
    if tax_config.oss_scheme != "union" or tax_config.oss_opted_in or not tax_config.oss_identification_state:
        return {}

    def measure(quarters: list[oss.Quarter]) -> int:
        return oss.cross_border_eur_cents(
            {q: oss_supplies(split_supplies(_quarter_rows(wh, q))) for q in quarters},
            tax_config.oss_identification_state, rates)

    previous_year = [oss.Quarter(quarter.year - 1, q) for q in (1, 2, 3, 4)]
    this_year_before = [oss.Quarter(quarter.year, q) for q in range(1, quarter.quarter)]
    return {"previous_year_cross_border_eur_cents": measure(previous_year),
            "current_year_before_period_eur_cents": measure(this_year_before)}


def check_oss_sums(wh: Warehouse, quarter: oss.Quarter, rates: ecb.EcbRates) -> list[str]:
    """Each OSS row / correction recomputed from the mart rows its drill-down names."""
    declared = wh.rows("""SELECT section, member_state, corrected_period, vat_rate, taxable_minor, vat_minor
                          FROM finance.vat_return_rows WHERE return_name = 'EU-OSS' AND period = %s""", (quarter.label,))
    traced = wh.rows("""SELECT d.section, d.member_state, d.corrected_period, d.vat_rate, s.source_id,
                               s.taxable_amount, s.currency, s.supply_date
                        FROM finance.vat_drilldown d JOIN marts.fct_tax_supplies s ON s.source_id = d.source_id
                        WHERE d.return_name = 'EU-OSS' AND d.period = %s""", (quarter.label,))
    sources: dict[tuple, list[dict]] = {}
    for t in traced:
        t["supply_date"] = as_date(t["supply_date"])
        key = (t["section"], t["member_state"], t["corrected_period"] or "", str(t["vat_rate"] or ""))
        sources.setdefault(key, []).append(t)
    # the rate as the same text on both sides (decimal columns come back as Decimal)
    declared = [{**d, "vat_rate": "" if d["vat_rate"] is None else str(d["vat_rate"])} for d in declared]
    return oss_row_mismatches(declared, sources, rates, quarter)


@dg.asset(key=["finance", "uk_vat_return"], group_name=TAX_GROUP, partitions_def=QUARTERLY,
          deps=[SUPPLIES_MART, ECB_RATES], kinds={"python", "json"},
          description="UK VAT return of the quarter: the nine boxes in GBP (UK consumer sales, ECB rate of each "
                      "day) and the Making Tax Digital JSON body; drill-down in finance.vat_drilldown.",
          check_specs=[dg.AssetCheckSpec("boxes_sum_to_invoices", asset=dg.AssetKey(["finance", "uk_vat_return"]),
                                         blocking=True, description="boxes 1 and 6 sum back to their invoices")])
def uk_vat_return(context: dg.AssetExecutionContext, tax_config: TaxConfig):
    quarter = quarter_of_partition(context.partition_key)
    period_key = f"{quarter.year % 100:02d}A{quarter.quarter}"
    with open_warehouse(tax_config.warehouse_url) as wh:
        rates = _ecb(wh)
        split = split_supplies(_quarter_rows(wh, quarter))
        gb_rows = split.by_country.get("GB", [])
        sales = uk_sales(gb_rows, rates)
        purchases = (uk_vat.purchases_from_csv(Path(tax_config.uk_purchases_csv).read_text(), quarter.first_day,
                                               quarter.last_day) if tax_config.uk_purchases_csv else [])
        ret = uk_vat.build_return(period_key, [uk_vat.UkSale(s, n, v) for s, n, v in sales], purchases)
        boxes = [("box1", ret.box1), ("box2", ret.box2), ("box3", ret.box3), ("box4", ret.box4), ("box5", ret.box5)]
        table_rows = [("UK-VAT", quarter.label, name, "GB", None, None, None, int(value * 100), "GBP")
                      for name, value in boxes]
        table_rows += [("UK-VAT", quarter.label, f"box{n}", "GB", None, None, None, getattr(ret, f"box{n}") * 100, "GBP")
                       for n in (6, 7, 8, 9)]
        drill = [("UK-VAT", quarter.label, "sale", "GB", None, None, s) for s, _, _ in sales]
        drill += [("UK-VAT", quarter.label, "purchase", "GB", None, None, p.source_id) for p in purchases]
        where = "return_name = 'UK-VAT' AND period = %s"
        wh.replace_rows("finance.vat_return_rows", where, (quarter.label,),
                        ["return_name", "period", "section", "member_state", "corrected_period", "vat_rate",
                         "taxable_minor", "vat_minor", "currency"], table_rows)
        wh.replace_rows("finance.vat_drilldown", where, (quarter.label,),
                        ["return_name", "period", "section", "member_state", "corrected_period", "vat_rate",
                         "source_id"], drill)
        wh.commit()
        traced = wh.rows("""SELECT s.source_id, s.taxable_amount, s.vat_amount, s.currency, s.reported_on
                            FROM finance.vat_drilldown d JOIN marts.fct_tax_supplies s ON s.source_id = d.source_id
                            WHERE d.return_name = 'UK-VAT' AND d.period = %s""", (quarter.label,))
    for t in traced:
        t["reported_on"] = as_date(t["reported_on"])
    vat_pence = sum(convert_cross(int(t["vat_amount"]), t["currency"], "GBP", rates, t["reported_on"]) for t in traced)
    net_pence = sum(convert_cross(int(t["taxable_amount"]), t["currency"], "GBP", rates, t["reported_on"]) for t in traced)
    problems = []
    if int(ret.box1 * 100) != vat_pence:
        problems.append(f"box 1 {ret.box1} declared, invoices give {vat_pence / 100:.2f}")
    if ret.box6 != uk_vat._whole_pounds(net_pence):
        problems.append(f"box 6 {ret.box6} declared, invoices give {net_pence} pence")
    folder = tax_config.tax_dir(quarter.label)
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / f"uk_vat_{quarter.label}.json"
    json_path.write_text(ret.mtd_json())
    csv_path = folder / f"uk_vat_{quarter.label}.csv"
    csv_path.write_bytes(_csv_bytes(["box", "value_gbp"], [[name, str(value)] for name, value in boxes]
                                    + [[f"box{n}", getattr(ret, f"box{n}")] for n in (6, 7, 8, 9)]))
    links = {"mtd_json": dg.MetadataValue.path(str(json_path)), "boxes_csv": dg.MetadataValue.path(str(csv_path))}
    return dg.MaterializeResult(
        metadata={"period": quarter.label, "period_key": period_key, "sales": len(sales),
                  "purchases": len(purchases) if tax_config.uk_purchases_csv else "none configured "
                                                                                    "(CASHBOOK_UK_PURCHASES_CSV)",
                  **{name: str(value) for name, value in boxes},
                  **{f"box{n}": getattr(ret, f"box{n}") for n in (6, 7, 8, 9)}, **links},
        check_results=[dg.AssetCheckResult(check_name="boxes_sum_to_invoices", passed=not problems,
                                           metadata={"mismatches": len(problems),
                                                     "first_mismatches": "\n".join(problems) or "none"})])


# ---------------------------------------------------------------------------------------------
# monitoring: US nexus and digital services elsewhere


@dg.asset(key=["finance", "us_nexus"], group_name=TAX_GROUP, deps=[SUPPLIES_MART, ECB_RATES], kinds={"python"},
          description="US sales-tax economic nexus per state (dated rules table): sales of digital subscriptions "
                      "into each state, crossed / near (80%) / below, as of the latest sale.")
def us_nexus(context: dg.AssetExecutionContext, tax_config: TaxConfig) -> dg.MaterializeResult:
    with open_warehouse(tax_config.warehouse_url) as wh:
        rates = _ecb(wh)
        rows = wh.rows("""SELECT source_id, reported_on, billing_state AS state, currency, taxable_amount
                          FROM marts.fct_tax_supplies WHERE billing_country = 'US' AND source_type = 'invoice'""")
        for r in rows:
            r["reported_on"] = as_date(r["reported_on"])
            r["usd_cents"] = convert_cross(int(r["taxable_amount"]), r["currency"], "USD", rates, r["reported_on"])
        on = max((r["reported_on"] for r in rows), default=date.today())
        buckets = nexus_state_sales(rows, on)
        sales = [nexus.StateSales(state, b["cy"][0], b["cy"][1], b["py"][0], b["py"][1], b["t12"][0], b["t12"][1],
                                  tuple(b["ids"])) for state, b in sorted(buckets.items())]
        results = nexus.assess(sales, on)
        wh.replace_rows("finance.us_nexus", "assessed_on = %s", (on,),
                        ["assessed_on", "state", "status", "measured_cents", "measured_transactions",
                         "threshold_cents", "threshold_transactions", "ratio", "measure_period", "source"],
                        [(on, r.state, r.status, r.measured_cents, r.measured_transactions, r.threshold_cents,
                          r.threshold_transactions, r.ratio, r.period, r.source) for r in results])
    folder = tax_config.tax_dir("monitoring")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"us_nexus_{on.isoformat()}.csv"
    path.write_bytes(_csv_bytes(["state", "status", "measured_usd", "transactions", "threshold_usd",
                                 "threshold_transactions", "ratio", "period", "source"],
                                [[r.state, r.status, dollars(r.measured_cents), r.measured_transactions,
                                  dollars(r.threshold_cents) if r.threshold_cents is not None else "",
                                  r.threshold_transactions or "", r.ratio, r.period, r.source] for r in results]))
    flagged = [f"{r.state} ({r.status})" for r in results if r.status in ("crossed", "near")]
    return dg.MaterializeResult(metadata={"assessed_on": on.isoformat(), "states_with_sales": len(results),
                                          "flagged": ", ".join(flagged) or "none",
                                          "report_csv": dg.MetadataValue.path(str(path))})


@dg.asset(key=["finance", "digital_services_liability"], group_name=TAX_GROUP, partitions_def=QUARTERLY,
          deps=[SUPPLIES_MART, ECB_RATES], kinds={"python"},
          description="Digital-services VAT/GST outside the EU and UK (dated rules, 50+ countries): the quarter's "
                      "sales per country in local currency, tax that would be due, whether registration is due.")
def digital_services_liability(context: dg.AssetExecutionContext, tax_config: TaxConfig) -> dg.MaterializeResult:
    quarter = quarter_of_partition(context.partition_key)
    rules = load_rules()
    currency_of = {r.country: r.currency for r in rules if getattr(r, "currency", None)}
    start_12 = date(quarter.year - 1, quarter.last_day.month, 1)
    with open_warehouse(tax_config.warehouse_url) as wh:
        rates = _ecb(wh)
        rows = wh.rows("""SELECT source_id, reported_on, billing_country AS country, currency, taxable_amount
                          FROM marts.fct_tax_supplies WHERE reported_on BETWEEN %s AND %s""",
                       (start_12, quarter.last_day))
        per_country: dict[str, dict] = {}
        for r in rows:
            country = (r["country"] or "").upper()
            if not country or oss_country(country) in EU_MEMBER_STATES or country == "GB" or country not in currency_of:
                continue
            local = convert_cross(int(r["taxable_amount"]), r["currency"], currency_of[country], rates, quarter.last_day)
            bucket = per_country.setdefault(country, {"q": 0, "t12": 0, "ids": []})
            bucket["t12"] += local
            if quarter.contains(as_date(r["reported_on"])):
                bucket["q"] += local
                bucket["ids"].append(r["source_id"])
        sales = [CountrySales(c, b["q"], b["t12"], "", tuple(b["ids"])) for c, b in sorted(per_country.items())]
        report = liability_report(sales, quarter.last_day)
        wh.replace_rows("finance.digital_services_liability", "period = %s", (quarter.label,),
                        ["period", "country", "region", "tax", "rate", "currency", "sales_minor", "tax_due_minor",
                         "threshold_minor", "registration_due", "marketplace_liable", "source"],
                        [(quarter.label, r.country, r.region, r.tax, r.rate, r.currency, r.sales_minor, r.tax_due_minor,
                          r.threshold_minor, r.registration_due, r.marketplace_liable, r.source) for r in report])
    folder = tax_config.tax_dir(quarter.label)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"digital_services_{quarter.label}.csv"
    path.write_bytes(_csv_bytes(["country", "region", "tax", "rate", "currency", "sales_minor", "tax_due_minor",
                                 "threshold_minor", "registration_due", "marketplace_liable", "source"],
                                [[r.country, r.region, r.tax, r.rate, r.currency, r.sales_minor, r.tax_due_minor,
                                  r.threshold_minor, r.registration_due, r.marketplace_liable, r.source] for r in report]))
    due = [r.country for r in report if r.registration_due]
    return dg.MaterializeResult(metadata={"period": quarter.label, "countries": len(report),
                                          "registration_due": ", ".join(due) or "none",
                                          "report_csv": dg.MetadataValue.path(str(path))})


TAX_ASSETS = [ecb_rates, tax_profiles, tax_1099k, tax_1099nec, eu_oss_return, uk_vat_return, us_nexus,
              digital_services_liability]

tax_year_job = dg.define_asset_job("tax_year_files", selection=[tax_1099k, tax_1099nec], partitions_def=YEARLY,
                                   tags=TAX_TAGS)
tax_quarter_job = dg.define_asset_job("tax_quarter_files", selection=[eu_oss_return, uk_vat_return,
                                                                      digital_services_liability],
                                      partitions_def=QUARTERLY, tags=TAX_TAGS)



def last_complete_year(today: date) -> str:
    return str(today.year - 1)


def last_complete_quarter(today: date) -> str:
    """The quarterly partition key of the last quarter that ended before `today`."""
    current = oss.Quarter.of(today)
    previous = oss.Quarter(current.year - 1, 4) if current.quarter == 1 else oss.Quarter(current.year, current.quarter - 1)
    return previous.first_day.isoformat()


@dg.schedule(cron_schedule="0 6 15 1 *", job=tax_year_job, execution_timezone="UTC",
             description="15 January: the 1099 files of the year just closed (recipient copies are due 31 January).")
def tax_year_schedule(context: dg.ScheduleEvaluationContext):
    year = last_complete_year(context.scheduled_execution_time.date())
    return dg.RunRequest(run_key=f"tax-{year}", partition_key=year)


@dg.schedule(cron_schedule="0 6 3 1,4,7,10 *", job=tax_quarter_job, execution_timezone="UTC",
             description="3rd day after each quarter: OSS / UK VAT returns (due at the end of the month).")
def tax_quarter_schedule(context: dg.ScheduleEvaluationContext):
    key = last_complete_quarter(context.scheduled_execution_time.date())
    return dg.RunRequest(run_key=f"tax-{key}", partition_key=key)


defs = dg.Definitions(
    assets=TAX_ASSETS,
    jobs=[tax_year_job, tax_quarter_job],
    schedules=[tax_year_schedule, tax_quarter_schedule],
    resources={"tax_config": TaxConfig.from_env()},
)
