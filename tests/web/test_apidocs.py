"""The OpenAPI document declares the bearer-token scheme; the docs page loads only the app's own files."""

from __future__ import annotations

import re


def test_openapi_declares_the_bearer_token(site):
    schema = site.client().get("/api/v1/openapi.json").json()
    scheme = schema["components"]["securitySchemes"]["bearerToken"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    assert {} in schema["security"] and {"bearerToken": []} in schema["security"]  # optional on public reads


def test_the_docs_page_refers_to_local_files_only(site):
    client = site.client()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert "<script>" not in page.text  # the CSP allows no inline script
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source
