"""fedgate settings: load and validate `fedgate.yaml` into frozen dataclasses."""

from config.errors import ConfigError, FedgateError
from config.loader import EXAMPLES_DIR, load_settings, parse_settings, parse_yaml
from config.settings import (
    RelationshipSettings,
    SchemaCacheSettings,
    ServerSettings,
    Settings,
    SourceSettings,
)
from config.urls import (
    SUPPORTED_URL_SCHEMES,
    canonical_scheme,
    redact_url,
    url_scheme,
    validate_url,
)

__all__ = [
    "EXAMPLES_DIR",
    "SUPPORTED_URL_SCHEMES",
    "ConfigError",
    "FedgateError",
    "RelationshipSettings",
    "SchemaCacheSettings",
    "ServerSettings",
    "Settings",
    "SourceSettings",
    "canonical_scheme",
    "load_settings",
    "parse_settings",
    "parse_yaml",
    "redact_url",
    "url_scheme",
    "validate_url",
]
