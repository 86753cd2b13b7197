"""The code location loads, and every asset is something finance can find and read in the UI."""
from __future__ import annotations

import dagster as dg

from pipelines.definitions import defs


def _asset_graph():
    return defs.resolve_asset_graph()


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(defs)


def test_every_asset_has_a_group_and_a_description():
    graph = _asset_graph()
    keys = list(graph.get_all_asset_keys())
    missing = [
        key.to_user_string()
        for key in keys
        if graph.get(key).is_materializable
        and (not graph.get(key).group_name or not graph.get(key).description)
    ]
    assert not missing, f"assets without group or description: {missing}"
