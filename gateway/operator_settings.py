"""`[console]`: the operator side's settings — the time zone its days are in, and the console's session cookie.

```toml
[console]
timezone = "Europe/Amsterdam"     # days and months of filters and charts; times are shown in it
session_secret = "..."            # at least 32 characters; absent: a fresh secret per process (sessions end
                                  # when the gateway restarts, and each process of a cluster has its own)
session_hours = 8                 # how long a console login lasts
```
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from gateway.appkeys import CONFIG_KEY
from gateway.config import Config

DEFAULT_TIMEZONE = "Europe/Amsterdam"
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class OperatorSettings:
    timezone: ZoneInfo = ZoneInfo(DEFAULT_TIMEZONE)
    session_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    session_hours: float = 8.0


def operator_settings(config: Config) -> OperatorSettings:
    """The `[console]` section; a ConfigError names the key that is wrong."""
    reader = config.section("console")
    name = reader.string("timezone", DEFAULT_TIMEZONE)
    try:
        timezone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        reader.fail("timezone", f"unknown time zone {name!r} (an IANA name such as {DEFAULT_TIMEZONE!r})")
    secret = reader.string("session_secret", "")
    if secret and len(secret) < MIN_SECRET_LENGTH:
        reader.fail("session_secret", f"too short: use at least {MIN_SECRET_LENGTH} characters "
                                      "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
    hours = reader.number("session_hours", OperatorSettings.session_hours, minimum=0.1)
    reader.finish()
    if secret:
        return OperatorSettings(timezone, secret.encode(), hours)
    return OperatorSettings(timezone, session_hours=hours)


OPERATOR_SETTINGS_KEY = web.AppKey("operator_settings", OperatorSettings)


def settings_of(app: web.Application) -> OperatorSettings:
    """The application's OperatorSettings, read from its config the first time (at setup: a mistake stops start-up)."""
    if OPERATOR_SETTINGS_KEY not in app:
        app[OPERATOR_SETTINGS_KEY] = operator_settings(app[CONFIG_KEY])
    return app[OPERATOR_SETTINGS_KEY]
