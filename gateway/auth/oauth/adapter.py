"""The thin adapter between Starlette and Authlib's (synchronous) protocol core.

Endpoints read the request on the event loop (query string, form body, headers)
and hand Authlib a `ParsedRequest` built from plain data; Authlib runs in a
worker thread against the synchronous metadata store and returns
`(status, body, headers)`, which the endpoint turns into a response. The token,
introspection and revocation endpoints read the form body only, never the query
string (Authlib's Flask wrapper merges both). Empty values count as omitted
(RFC 6749 §3.1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.requests import OAuth2Payload


class Payload(OAuth2Payload):
    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            if value != "":
                self._datalist[name].append(value)
        self._data = {name: values[0] for name, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist

    def repeated(self) -> list[str]:
        return [name for name, values in self._datalist.items() if len(values) > 1]


class ParsedRequest(OAuth2Request):
    """An `OAuth2Request` from parsed parts.

    Authlib's constructor refuses a non-https URI; the transport check is the
    deployment's (issuer URL, TLS at the proxy), so it is not repeated here.
    """

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        payload: Payload,
        form: Payload | None = None,
    ) -> None:
        self.method = method
        self.uri = uri
        self.headers = headers  # case-insensitive (Starlette `Headers`)
        self._body = None
        self.payload = payload
        self._form = form or Payload(())
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data if self._form is not self.payload else {}

    @property
    def form(self) -> dict[str, Any]:
        return self._form.data


def form_request(
    method: str, uri: str, headers: Mapping[str, str], pairs: Iterable[tuple[str, str]]
) -> ParsedRequest:
    """A back-channel request (token, introspect, revoke): parameters from the body only."""
    payload = Payload(pairs)
    request = ParsedRequest(method, uri, headers, payload, payload)
    return request


def query_request(
    uri: str, headers: Mapping[str, str], pairs: Iterable[tuple[str, str]]
) -> ParsedRequest:
    """A front-channel authorization request: parameters from the query string."""
    return ParsedRequest("GET", uri, headers, Payload(pairs))
