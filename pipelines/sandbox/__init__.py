"""A simulated creator platform behind a Stripe-compatible local API (issue 2)."""
