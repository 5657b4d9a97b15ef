"""``ordinance serve``: the HTTP API and the web workbench, as one Starlette (ASGI) application.

- :mod:`ordinance.web.app` — :func:`create_app`, the application factory (policies loaded once,
  limits, security headers, the static page);
- :mod:`ordinance.web.api` — the route handlers of ``/v1/...``;
- :mod:`ordinance.web.common` — what the routes share (JSON responses, the handler wrapper,
  the content security policies);
- :mod:`ordinance.web.problems` — errors as ``application/problem+json``;
- :mod:`ordinance.web.compare` — the step-by-step difference of two decisions;
- :mod:`ordinance.web.openapi` — the OpenAPI 3.1 document served at ``/openapi.json``;
- ``static/`` — the single-page workbench (plain HTML, CSS and JavaScript).

docs/api.md describes every route with a real request and response.  Importing this package
imports Starlette; the rest of ``ordinance`` never does.
"""

from __future__ import annotations

from .app import Settings, create_app

__all__ = ["Settings", "create_app"]
