"""Send GraphQL requests to an in-process gateway."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.testclient import TestClient

from config.settings import Settings


def gql(
    client: TestClient, query: str, variables: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """The response body of `POST /graphql` (status 200 asserted: GraphQL errors are data)."""
    body: dict[str, Any] = {"query": query, **extra}
    if variables is not None:
        body["variables"] = variables
    response = client.post("/graphql", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    result: dict[str, Any] = response.json()
    return result


def data(client: TestClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    """`data` of a request that must succeed."""
    result = gql(client, query, variables)
    assert "errors" not in result, result["errors"]
    return result["data"]


def codes(result: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in result.get("errors", [])]


def without_auth(settings: Settings) -> Settings:
    """Auth off, as tests/rest does (auth has its own tests in tests/auth)."""
    try:
        from config.settings import AuthSettings  # lands with the auth work
    except ImportError:  # a checkout without auth: nothing to turn off
        return settings
    return replace(settings, auth=AuthSettings(enabled=False))  # type: ignore[call-arg]
