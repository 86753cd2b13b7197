"""Fraud scores and creator risk that report their own accuracy (issue 7).

Pure library on polars frames: `features` (per-charge features from data strictly before each
charge), `labels`, `model` (statsmodels logistic regression + evaluation), `rules` (explainable
rules with hit rates), `monitoring` (creator risk, card-network programme thresholds).
"""
