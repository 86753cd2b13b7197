"""Build each sample report once per test session; tests read the written files."""
from __future__ import annotations

import pytest

from reports.annual import build_annual_report
from reports.monthly import build_monthly_report
from reports.statements import build_creator_statement
from tests.reports.pdf_bytes import read_pdf
from tests.reports.sample_data import EUR_STATEMENT, JPY_STATEMENT, annual_data, monthly_data


def _by_suffix(paths):
    return {p.name: p for p in paths}


@pytest.fixture(scope="session")
def monthly_files(tmp_path_factory):
    return _by_suffix(build_monthly_report(monthly_data(), tmp_path_factory.mktemp("monthly")))


@pytest.fixture(scope="session")
def monthly_html(monthly_files):
    return monthly_files["monthly_report_2026-10.html"].read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def monthly_pdf_pages(monthly_files):
    return read_pdf(monthly_files["monthly_report_2026-10.pdf"].read_bytes())


@pytest.fixture(scope="session")
def annual_files(tmp_path_factory):
    return _by_suffix(build_annual_report(annual_data(), tmp_path_factory.mktemp("annual")))


@pytest.fixture(scope="session")
def statement_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("statements")
    return _by_suffix(build_creator_statement(EUR_STATEMENT, out) + build_creator_statement(JPY_STATEMENT, out))
