"""The API's documentation page, served from Chiso's own files.

FastAPI's default page loads Swagger UI from a CDN with an inline script: the app's own CSP blocks the
script, and a closed provincial network cannot reach the CDN, so the page was blank. Here the page,
its start-up script and Swagger UI itself (5.x, which reads OpenAPI 3.1, from the PyPI package
`fastapi-offline`, used for its files only) come from this server.

The OpenAPI document also declares how to authenticate: a bearer token (`chiso users token`),
optional on the public reads, so that the page's "Authorize" button and generated clients know it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/api/v1/docs"
ASSETS_URL = "/api/v1/docs/assets"
BEARER = "bearerToken"

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chiso API — tài liệu / documentation</title>
<link rel="icon" href="{assets}/favicon.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/apidocs.js"></script>
</body>
</html>
"""


def swagger_assets() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


@router.get(DOCS_URL)
def docs_page() -> HTMLResponse:
    return HTMLResponse(PAGE.format(assets=ASSETS_URL, openapi="/api/v1/openapi.json"))


def mount(app: FastAPI) -> None:
    """Serve the documentation page and its files, and declare the token scheme in the OpenAPI document."""
    app.mount(ASSETS_URL, StaticFiles(directory=swagger_assets()), name="apidocs-assets")
    app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "API token from `chiso users token` or the administration page (chiso_…).",
                }
            }
            # Public reads need no token; with one, a caller sees what its scope allows.
            schema["security"] = [{}, {BEARER: []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
