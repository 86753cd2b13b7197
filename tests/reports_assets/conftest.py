import pytest

from tests.reports_assets.world_warehouse import shared_report_warehouse


@pytest.fixture(scope="session")
def report_warehouse(tmp_path_factory):
    return shared_report_warehouse(tmp_path_factory)
