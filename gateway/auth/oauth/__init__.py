"""The OAuth 2.0 / OpenID Connect authorization server and its clients (integrations).

`server.OAuthServer` wires Authlib's protocol core (grants in `grants.py`,
introspection and revocation in `introspection.py`) to the metadata store
(`tables.py`, `records.py`, `redemption.py`, `clients.py`, `signing.py`);
`endpoints.py`, `pages.py` and `consents.py` adapt it to Starlette (`adapter.py`
builds Authlib's requests); `resource.py` turns a bearer JWT into the request's
`Access`; `registration.py`, `lifecycle.py`, `admin_api.py` and `cli.py` manage
clients. See docs/oauth.md.
"""
