"""The OAuth 2.0 / OpenID Connect authorization server and its clients (integrations).

`server.OAuthServer` wires Authlib's protocol core (grants in `grants.py`,
introspection and revocation in `introspection.py`) to the metadata store
(`tables.py`, `records.py`, `clients.py`, `signing.py`); `endpoints.py` and
`pages.py` adapt it to Starlette; `resource.py` turns a bearer JWT into the
request's `Access`. See docs/oauth.md.
"""
