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
    dossiers,
    framework,
    home,
    hooks,
    ministry,
    national,
    opendata,
    overview,
    programme,
    reports,
    service766,
    tasks,
    unit,
)

router = APIRouter(include_in_schema=False)
for module in (
    auth,
    overview,
    home,
    national,
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
    dossiers,
    ministry,
    service766,
):
    router.include_router(module.router)
