"""Copy-paste configuration for each sender, shown next to a new key. Pure functions."""

from __future__ import annotations

from .models import Kind


def sender_config(kind: str, key: str, url: str) -> str:
    if kind == Kind.ALERTMANAGER:
        return (
            "# alertmanager.yml\n"
            "receivers:\n"
            "  - name: keel\n"
            "    webhook_configs:\n"
            f"      - url: {url}\n"
            "        send_resolved: true\n"
        )
    if kind == Kind.GRAFANA:
        return (
            "Grafana → Alerting → Contact points → + Add contact point\n"
            "Integration: Webhook\n"
            f"URL: {url}\n"
            "Optional: HMAC signature with this integration's secret; Timestamp header\n"
            "X-Grafana-Alerting-Timestamp.\n"
        )
    if kind == Kind.PAGERDUTY:
        return (
            "# Anything that speaks the PagerDuty Events API v2: point its events URL at\n"
            f"#   {url}\n"
            "# with this integration key as the routing key. In alertmanager.yml:\n"
            "receivers:\n"
            "  - name: keel-pagerduty\n"
            "    pagerduty_configs:\n"
            f"      - routing_key: {key}\n"
            f"        url: {url}\n"
        )
    return (
        f"curl -X POST {url} -H 'Content-Type: application/json' \\\n"
        """  -d '{"title": "Disk almost full on db-1", "dedup_key": "db-1-disk", """
        """"severity": "warning", "status": "firing"}'\n"""
    )
