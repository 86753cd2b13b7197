"""How good a fraud score is: AUC, precision and recall at the review threshold, calibration.

Plain numpy on (label 0/1, score) pairs so the numbers can be checked by hand.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata


@dataclass(frozen=True)
class ThresholdMetrics:
    threshold: float
    flagged: int
    true_positives: int
    precision: float | None  # None when nothing is flagged
    recall: float | None  # None when there is no positive


@dataclass(frozen=True)
class CalibrationBin:
    bin: int  # 1 = lowest scores
    n: int
    mean_score: float
    observed_rate: float
    positives: int


def auc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """Probability a random positive outranks a random negative (ties count half):
    (sum of positives' ranks - n1(n1+1)/2) / (n1 x n0). None when a class is missing."""
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    n1 = int(y.sum())
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        return None
    ranks = rankdata(s)  # average ranks for ties
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def at_threshold(labels: Sequence[int], scores: Sequence[float], threshold: float) -> ThresholdMetrics:
    """A charge is flagged for review when its score >= threshold."""
    y = np.asarray(labels, dtype=int)
    flagged = np.asarray(scores, dtype=float) >= threshold
    tp = int((flagged & (y == 1)).sum())
    n_flagged = int(flagged.sum())
    positives = int(y.sum())
    return ThresholdMetrics(threshold, n_flagged, tp,
                            tp / n_flagged if n_flagged else None,
                            tp / positives if positives else None)


def calibration_table(labels: Sequence[int], scores: Sequence[float], bins: int = 10) -> list[CalibrationBin]:
    """Equal-count bins by score (deciles by default; ties broken by position, stable): mean
    predicted score against the observed fraud rate in each."""
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    order = np.argsort(s, kind="stable")
    table = []
    for i, chunk in enumerate(np.array_split(order, bins), start=1):
        if chunk.size == 0:
            continue
        table.append(CalibrationBin(i, int(chunk.size), float(s[chunk].mean()),
                                    float(y[chunk].mean()), int(y[chunk].sum())))
    return table
