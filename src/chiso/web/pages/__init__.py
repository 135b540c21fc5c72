"""HTML pages: one module per page, each rendering one typed context with the template of its name."""

from __future__ import annotations

from fastapi import APIRouter

from chiso.web.pages import (
    account,
    admin,
    appraise,
    audit,
    auth,
    declare,
    framework,
    hooks,
    opendata,
    overview,
    programme,
    reports,
    tasks,
    unit,
)

router = APIRouter(include_in_schema=False)
for module in (
    auth,
    overview,
    unit,
    framework,
    programme,
    tasks,
    declare,
    appraise,
    admin,
    account,
    opendata,
    reports,
    hooks,
    audit,
):
    router.include_router(module.router)
