"""The Dagster UI as finance sees it, in Debian's chromium driven headless: the asset graph shows
the groups, and the monthly report asset shows its metadata (materialized first, on a small
world's marts, in the same DAGSTER_HOME the webserver serves)."""
import html
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from pipelines.dagster_sqlite import ensure_instance_yaml

from reports.layout import format_money
from tests.reports_assets.world_warehouse import shared_report_warehouse

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# serving the whole code location and rendering two pages takes 1.5-2.5 min on a loaded machine
pytestmark = pytest.mark.ui

GROUPS = ("stripe_raw", "dbt_staging", "dbt_intermediate", "dbt_marts", "dbt_reference", "reports")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed with apt when missing (we are root in the test machine)."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def install():
        return subprocess.run(["apt-get", "install", "-y", "chromium"], env=env, capture_output=True, text=True,
                              timeout=1200)
    result = install()
    if result.returncode != 0:
        update = subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True, timeout=600)
        if update.returncode != 0 or "Err:" in update.stdout and "Hit:" not in update.stdout and "Get:" not in update.stdout:
            pytest.skip(f"apt is unreachable, cannot install chromium: {(update.stderr or update.stdout)[-300:]}")
        result = install()
    assert result.returncode == 0 and Path(CHROMIUM).exists(), f"apt-get install chromium failed: {result.stderr[-800:]}"
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ui(tmp_path_factory, chromium):
    wh = shared_report_warehouse(tmp_path_factory)
    month = wh.query("select max(revenue_month) from marts.fct_revenue_monthly where gross_volume > 0")[0][0]
    home = tmp_path_factory.mktemp("dagster_home")
    ensure_instance_yaml(home)  # the embedded default: the webserver reads the pooled SQLite event log
    env = {**os.environ, "DAGSTER_HOME": str(home), "WAREHOUSE_URL": f"duckdb:///{wh.path}",
           "CASHBOOK_OUTPUT_DIR": str(tmp_path_factory.mktemp("output")), "CASHBOOK_AUTOMATION": "off",
           "DBT_TARGET_PATH": wh.env["DBT_TARGET_PATH"], "REPORTING_CURRENCY": "USD"}
    with pytest.MonkeyPatch.context() as mp:
        for key in ("WAREHOUSE_URL", "CASHBOOK_OUTPUT_DIR", "DBT_TARGET_PATH", "REPORTING_CURRENCY"):
            mp.setenv(key, env[key])
        from assets.reports import monthly_report_asset
        instance = dg.DagsterInstance.from_config(str(home))
        assert dg.materialize([monthly_report_asset], partition_key=f"{month:%Y-%m}", instance=instance).success
    port = _free_port()
    log = (home / "webserver.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-webserver"), "-m", "tests.ui.ui_location",
         "-h", "127.0.0.1", "-p", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{base}/server_info", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, (home / "webserver.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "dagster-webserver did not come up in 300 s"
            time.sleep(2)
        yield base, wh, month, tmp_path_factory.mktemp("chromium")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _page_text(chromium_path: str, url: str, profile: Path, must_contain: str, attempts: int = 4) -> str:
    """The rendered page (JS run by chromium) as text; retried while the code location loads."""
    text = ""
    for attempt in range(attempts):
        shutil.rmtree(profile, ignore_errors=True)
        dom = subprocess.run([chromium_path, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                              "--virtual-time-budget=25000", "--dump-dom", url],
                             capture_output=True, text=True, timeout=180).stdout
        text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
        if must_contain in text:
            return text
        time.sleep(3 * (attempt + 1))
    return text


def test_asset_graph_shows_the_groups(ui, chromium):
    base, _, _, profile = ui
    text = _page_text(chromium, f"{base}/asset-groups", profile, "reports")
    missing = [g for g in GROUPS if not re.search(rf"\b{g}\b", text)]
    assert not missing, f"groups not in the asset graph: {missing}"


def test_monthly_report_asset_shows_its_metadata(ui, chromium):
    base, wh, month, profile = ui
    text = _page_text(chromium, f"{base}/assets/reports/monthly_report?partition={month:%Y-%m}", profile,
                      "headline: Gross volume (consolidated)")
    gross, = wh.query(f"select sum(gross_volume_reporting) from marts.fct_revenue_monthly "
                      f"where revenue_month = date '{month}'")[0]
    mrr, = wh.query(f"select mrr_reporting from marts.subscription_metrics_monthly where month = date '{month}'")[0]
    assert "headline: Gross volume (consolidated)" in text
    assert format_money(gross, "USD") in text
    assert format_money(mrr, "USD") in text
    assert f"monthly_report_{month:%Y-%m}.pdf" in text
