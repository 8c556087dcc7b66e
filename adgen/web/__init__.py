"""The HTTP edge shared by the UI and the REST API: browser cookies, upload policy, limits, headers, serving.

- ``browsers``: the signed browser cookie and what the server keeps per browser (uploads, logged-in account).
- ``guard``: ``HttpGuard``, the ASGI middleware in front of every route, and ``guard_app`` to install it.
- ``server``: uvicorn options (request-header deadline, session hashes masked in access logs).
"""
