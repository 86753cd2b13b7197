"""Incremental, restartable, Connect-aware Stripe sync into `raw_stripe` (DESIGN section 5).

Entry point: `pipelines.stripe.engine.run_sync`.
"""
