"""Each chart is a real picture: a PNG of sensible size with ink on it."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import numpy as np
from PIL import Image

from reports import charts


def _ink(png: bytes) -> tuple[tuple[int, int], float]:
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGB"
    return image.size, float(np.asarray(image, dtype=np.float64).var())


def test_waterfall_and_heatmap_have_ink():
    size, variance = _ink(charts.mrr_waterfall(100000, [("new", 20000), ("churn", -8000)], 112000, "USD"))
    assert size[0] > 600 and variance > 500
    cells = {(date(2026, 9, 1), 0): Decimal(1), (date(2026, 9, 1), 1): Decimal("0.7")}
    size, variance = _ink(charts.cohort_heatmap([date(2026, 9, 1)], 1, cells))
    assert size[0] > 600 and variance > 500


def test_rate_chart_colours_by_status():
    red = np.array([0xE7, 0x6F, 0x51])
    over = np.asarray(Image.open(io.BytesIO(charts.rates_vs_thresholds(
        ["a"], [Decimal("0.02")], [Decimal("0.015")], ["over"]))))
    ok = np.asarray(Image.open(io.BytesIO(charts.rates_vs_thresholds(
        ["a"], [Decimal("0.02")], [Decimal("0.015")], ["ok"]))))
    assert (np.abs(over.astype(int) - red).sum(axis=2) < 10).sum() > 1000
    assert (np.abs(ok.astype(int) - red).sum(axis=2) < 10).sum() == 0
