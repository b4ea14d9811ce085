"""What `fedgate serve` tells a person about auth on start (the bootstrap key, once)."""

from __future__ import annotations

from gateway.auth.bootstrap import bootstrap_admin
from gateway.auth.service import AuthService
from gateway.console import Console


def announce_auth(service: AuthService | None, console: Console, base: str) -> list[str]:
    """Bootstrap on first start and print how to call the gateway; returns the curl lines."""
    if service is None:
        console.warn("auth is disabled (auth.enabled: false): every table is open to anyone")
        return [f"curl {base}/catalog"]
    created = bootstrap_admin(service)
    if created is None:
        console.info(
            "fedgate: auth is on; send an API key (Authorization: Bearer fgk_...). "
            "New keys: fedgate keys create --owner admin --scope '*:read' --name NAME"
        )
        return [f'curl -H "Authorization: Bearer $FEDGATE_KEY" {base}/catalog']
    console.info("fedgate: first start: created user 'admin' with role 'admin' (admin sql *:*)")
    if created.password is not None:
        console.info(f"fedgate: admin password (shown once): {created.password}")
    else:
        console.info("fedgate: admin password: from $FEDGATE_ADMIN_PASSWORD")
    console.info(f"fedgate: admin API key (shown once, store it now): {created.key}")
    return [f'curl -H "Authorization: Bearer {created.key}" {base}/catalog']
