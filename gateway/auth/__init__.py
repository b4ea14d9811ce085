"""Who is asking and what they may touch: API keys, users, roles, scopes, the audit log.

The middleware (`middleware.py`) turns a request's credential into an `Access`
(`access.py`) and installs it with `gateway.query.access.access_scope`; every
surface then checks the IR through `current_access()` before SQL runs.
"""
