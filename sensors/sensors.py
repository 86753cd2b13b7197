"""Sensors (issue 8 item 4) and the marts' freshness policy.

- `stripe_events_sensor`: ONE cheap call, `GET /v1/events?limit=1`, through the official SDK's
  raw path; when the newest event id differs from the cursor it requests an `hourly_refresh` run,
  so the warehouse is minutes behind Stripe rather than an hour. Nothing new, no run.
- `run_failure_alert`: every failed run sends an alert: logged by default, posted to a chat
  webhook (`CASHBOOK_ALERT_WEBHOOK_URL`) and/or e-mailed (`CASHBOOK_ALERT_EMAIL_TO`, with
  `CASHBOOK_ALERT_EMAIL_FROM`, `CASHBOOK_ALERT_EMAIL_SMTP_HOST`, `_SMTP_PORT`, `_USER`,
  `_PASSWORD`). Anything that looks like a Stripe key or webhook secret is masked first.
- `MART_FRESHNESS` / `with_mart_freshness`: the marts should be at most 2 h old (warn after
  1 h 15 min, the hourly refresh plus its run time); the integrator applies it to the dbt assets.
"""

import json
import logging
import os
import re
import smtplib
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

import dagster as dg
import stripe

from pipelines.settings import DEFAULT_STRIPE_API_BASE
from sensors.schedules import PAYMENTS_TAGS, automation_status, hourly_refresh_job

log = logging.getLogger(__name__)

SENSOR_STATUS = dg.DefaultSensorStatus.RUNNING if automation_status() else dg.DefaultSensorStatus.STOPPED

# ------------------------------------------------------------------ Stripe events


def newest_event_id(api_key: str, api_base: str = DEFAULT_STRIPE_API_BASE) -> str | None:
    """The id of the newest event on the account (None when there is none): one request."""
    client = stripe.StripeClient(api_key, base_addresses={"api": api_base.rstrip("/")}, max_network_retries=2)
    page = client.raw_request("get", "/v1/events", limit=1).data
    data = page.get("data") or []
    return data[0]["id"] if data else None


def events_decision(newest: str | None, cursor: str | None) -> str | None:
    """The event id to run for, or None when nothing is new since the cursor."""
    if newest is None or newest == cursor:
        return None
    return newest


@dg.sensor(
    name="stripe_events_sensor",
    job=hourly_refresh_job,
    minimum_interval_seconds=60,
    default_status=SENSOR_STATUS,
    description="One GET /v1/events?limit=1 per tick; a new newest event requests an hourly_refresh run.",
)
def stripe_events_sensor(context: dg.SensorEvaluationContext):
    api_key = os.environ.get("STRIPE_API_KEY")
    if not api_key:
        return dg.SkipReason("STRIPE_API_KEY is not set")
    api_base = os.environ.get("STRIPE_API_BASE") or DEFAULT_STRIPE_API_BASE
    try:
        newest = newest_event_id(api_key, api_base)
    except stripe.StripeError as exc:
        return dg.SkipReason(f"Stripe events check failed: {mask_secrets(type(exc).__name__ + ': ' + str(exc))}")
    run_for = events_decision(newest, context.cursor)
    if run_for is None:
        return dg.SkipReason(f"no new Stripe event since {context.cursor or 'the start'}")
    context.update_cursor(run_for)
    return dg.RunRequest(run_key=f"stripe-event-{run_for}",
                         tags={**PAYMENTS_TAGS, "cashbook/trigger": "stripe_events", "cashbook/newest_event": run_for})


# ------------------------------------------------------------------ failure alerts

_SECRET = re.compile(r"\b(sk|rk|whsec)_(?:live_|test_)?[A-Za-z0-9_]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-.]+")


def mask_secrets(text: str) -> str:
    """Replace anything shaped like a Stripe secret/restricted key or webhook secret."""
    return _SECRET.sub(lambda m: f"{m.group(1)}_<masked>", _BEARER.sub(r"\1<masked>", text))


@dataclass(frozen=True)
class Alert:
    subject: str
    body: str


def failure_alert(job_name: str, run_id: str, error: str | None, url: str | None = None) -> Alert:
    """The alert for a failed run, with secrets masked (subject and body)."""
    lines = [f"Cashbook run failed: job {job_name}, run {run_id}."]
    if error:
        lines.append(f"Error: {error.strip()[:2000]}")
    if url:
        lines.append(f"Open: {url}")
    return Alert(mask_secrets(f"[cashbook] {job_name} failed"), mask_secrets("\n".join(lines)))


def alert_channels(environ: Mapping[str, str]) -> list[str]:
    """Where alerts go: always the log, plus a webhook and/or e-mail when configured."""
    channels = ["log"]
    if environ.get("CASHBOOK_ALERT_WEBHOOK_URL"):
        channels.append("webhook")
    if environ.get("CASHBOOK_ALERT_EMAIL_TO") and environ.get("CASHBOOK_ALERT_EMAIL_SMTP_HOST"):
        channels.append("email")
    return channels


def send_alert(alert: Alert, environ: Mapping[str, str] | None = None, logger=None) -> list[str]:
    """Deliver to every configured channel; a channel that fails is logged, not raised (an alert
    must never make the failure sensor itself fail). Returns the channels that succeeded."""
    env = os.environ if environ is None else environ
    logger = logger or log
    sent = []
    for channel in alert_channels(env):
        try:
            if channel == "log":
                logger.error("%s\n%s", alert.subject, alert.body)
            elif channel == "webhook":
                _post_webhook(env["CASHBOOK_ALERT_WEBHOOK_URL"], alert)
            elif channel == "email":
                _send_email(env, alert)
            sent.append(channel)
        except Exception as exc:  # noqa: BLE001 - report and carry on with the other channels
            logger.warning("alert via %s failed: %s", channel, mask_secrets(f"{type(exc).__name__}: {exc}"))
    return sent


def _post_webhook(url: str, alert: Alert) -> None:
    # Slack and Mattermost read "text"; Teams/Discord-style hooks ignore unknown keys.
    body = json.dumps({"text": f"{alert.subject}\n{alert.body}", "content": f"{alert.subject}\n{alert.body}"})
    request = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": "application/json"},
                                     method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status >= 300:
            raise RuntimeError(f"webhook answered {response.status}")


def _send_email(env: Mapping[str, str], alert: Alert) -> None:
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = env.get("CASHBOOK_ALERT_EMAIL_FROM", "cashbook@localhost")
    message["To"] = env["CASHBOOK_ALERT_EMAIL_TO"]
    message.set_content(alert.body)
    port = int(env.get("CASHBOOK_ALERT_EMAIL_SMTP_PORT", "25"))
    with smtplib.SMTP(env["CASHBOOK_ALERT_EMAIL_SMTP_HOST"], port, timeout=10) as smtp:
        if env.get("CASHBOOK_ALERT_EMAIL_USER"):
            smtp.starttls()
            smtp.login(env["CASHBOOK_ALERT_EMAIL_USER"], env.get("CASHBOOK_ALERT_EMAIL_PASSWORD", ""))
        smtp.send_message(message)


@dg.run_failure_sensor(name="run_failure_alert", default_status=SENSOR_STATUS,
                       description="Alerts on every failed run (log; webhook or e-mail when configured).")
def run_failure_alert(context: dg.RunFailureSensorContext):
    parts = [context.failure_event.message] if context.failure_event and context.failure_event.message else []
    for step in context.get_step_failure_events()[:3]:  # the first errors say what went wrong
        err = getattr(step.event_specific_data, "error", None)
        while err is not None and err.cause is not None:  # the user's exception, not Dagster's wrapper
            err = err.cause
        if err is not None:
            parts.append(f"step {step.step_key}: {err.message.strip()}")
    error = "\n".join(parts) or None
    alert = failure_alert(context.dagster_run.job_name, context.dagster_run.run_id, error)
    send_alert(alert, logger=context.log)


# ------------------------------------------------------------------ freshness of the marts

MART_GROUP = "dbt_marts"
MART_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=2),
                                                warn_window=timedelta(hours=1, minutes=15))


def with_mart_freshness(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The freshness policy on every asset of the `dbt_marts` group; other specs unchanged."""
    if spec.group_name != MART_GROUP:
        return spec
    return spec.replace_attributes(freshness_policy=MART_FRESHNESS)


def apply_mart_freshness(defs: dg.Definitions) -> dg.Definitions:
    """The merged code location with the marts' freshness policy (one line in definitions.py)."""
    return defs.map_asset_specs(func=with_mart_freshness)


defs = dg.Definitions(sensors=[stripe_events_sensor, run_failure_alert])
