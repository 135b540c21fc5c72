"""JSON API under /api/v1, described by OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from fastapi import APIRouter

from chiso.web.api import catalog, dossiers, geo, programmes, results, series, service766, values
from chiso.web.api.common import PROBLEMS

router = APIRouter(responses=PROBLEMS)
router.include_router(catalog.router)
router.include_router(results.router)
router.include_router(values.router)
router.include_router(programmes.router)
router.include_router(dossiers.router)
router.include_router(series.router)
router.include_router(geo.router)
router.include_router(service766.router)
