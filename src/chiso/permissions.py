"""Permissions are named actions; every service entry point calls `check(actor, action, unit)`.

An `Actor` is who acts: a user with roles, scoped to one unit for a unit's officer. Roles:

- `admin`: accounts, periods (open, close, reopen), publication — everything;
- `programme_officer`: the programme office, province-wide: periods, appraisal, results, publication;
- `appraiser`: appraises declarations and computes results;
- `officer`: a unit's officer (scoped to one unit): declares and submits for that unit;
- `viewer`: leaders and analysts: reads results (published or not) and completeness, changes nothing;
- `system`: machines feeding automatic measures; the measuring service (`MEASURE`) is the only one
  that records `measured` values (`value.measure`): a person's value is declared or imported.

Anyone, including the public (an actor without roles), may do the actions marked public: read published
results, the frameworks, the list of periods and the programmes' targets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chiso.errors import PermissionDenied
from chiso.units.ref import CURRENT_ERA, UnitRef

ROLES = ("admin", "programme_officer", "appraiser", "officer", "viewer", "system")
ROLE_LABELS = {
    "admin": ("Quản trị", "Administrator"),
    "programme_officer": ("Cán bộ chương trình (toàn tỉnh)", "Programme officer (province-wide)"),
    "appraiser": ("Thẩm định", "Appraiser"),
    "officer": ("Cán bộ đơn vị", "Unit officer"),
    "viewer": ("Xem", "Viewer"),
    "system": ("Hệ thống", "System"),
}


@dataclass(frozen=True)
class Actor:
    user: str
    roles: frozenset[str]
    unit_code: str | None = None

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_public(self) -> bool:
        return not self.roles


PUBLIC = Actor("public", frozenset())  # a visitor who has not logged in
MEASURE = Actor("measure", frozenset({"system"}))  # the measuring service: records computed from records


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    own_unit_roles: frozenset[str] = frozenset()  # these roles only on the actor's own unit
    description: str = ""
    public: bool = False  # anyone, logged in or not


def _rule(description: str, *roles: str, own_unit: tuple[str, ...] = (), public: bool = False) -> Rule:
    return Rule(frozenset(roles), frozenset(own_unit), description, public)


OFFICE = ("admin", "programme_officer")  # the programme office, province-wide
ACTIONS: dict[str, Rule] = {
    "actor.manage": _rule("create actors (officers, appraisers)", *OFFICE),
    "account.manage": _rule("manage accounts and API tokens", "admin"),
    "account.password": _rule(
        "change one's own password", "admin", "programme_officer", "appraiser", "officer", "viewer"
    ),
    "period.open": _rule("open a collection period", *OFFICE),
    "period.close": _rule("close a collection period", *OFFICE),
    "period.reopen": _rule("reopen a closed or published period, with a reason", "admin"),
    "period.list": _rule("list the collection periods", public=True),
    "period.view": _rule("see a period and its completeness", "appraiser", "viewer", *OFFICE, own_unit=("officer",)),
    "declaration.view": _rule("read a unit's declarations", "appraiser", *OFFICE, own_unit=("officer",)),
    "declaration.edit": _rule("edit a unit's draft or returned items", own_unit=("officer",)),
    "declaration.submit": _rule("submit a unit's items for appraisal", own_unit=("officer",)),
    "declaration.appraise": _rule("return or accept a submitted item", "appraiser", *OFFICE),
    "declaration.approve": _rule("approve a unit's accepted items", "appraiser", *OFFICE),
    "value.record": _rule("record an imported value", "system", "admin", own_unit=("officer",)),
    "value.measure": _rule("record a measured value (the measuring service only)", "system"),
    "value.view": _rule("read stored values", "system", "appraiser", "viewer", *OFFICE, own_unit=("officer",)),
    "framework.view": _rule("read the indicator frameworks", public=True),
    "results.compute": _rule("compute result runs (also the events worker)", "appraiser", "system", *OFFICE),
    "results.publish": _rule("publish a result run (and lock the period)", *OFFICE),
    "results.view": _rule("read result runs, published or not", "officer", "appraiser", "viewer", *OFFICE),
    "results.view_published": _rule("read published results", public=True),
    "audit.view": _rule("read and verify the audit log (logins and addresses included)", "admin"),
    "evidence.manage": _rule("remove stored evidence files no record cites", "admin"),
    "dossier.watch": _rule(
        "see the open dossiers near or past their deadline",
        "appraiser",
        "viewer",
        "system",
        *OFFICE,
        own_unit=("officer",),
    ),
    "national.view": _rule("read the provinces' national DTI, published or recomputed", public=True),
    "programme.view": _rule("read programmes, their targets, observed figures and forecasts", public=True),
    "task.view": _rule("read plans, tasks and progress reports", "officer", "appraiser", "viewer", "system", *OFFICE),
    "task.update": _rule("report progress on a task the unit leads", *OFFICE, own_unit=("officer",)),
    "task.manage": _rule("create, edit and import plans and their tasks", *OFFICE),
    "report.view": _rule("read a province's annual report (PDF, XLSX)", "viewer", *OFFICE),
    "ministry.import": _rule("import the Ministry's DTI component list and open the province's declaration", *OFFICE),
    "ministry.view": _rule(
        "read the province's DTI declaration, its estimate and the comparison", "appraiser", "viewer", *OFFICE
    ),
    "hooks.manage": _rule("manage webhook subscriptions and read their delivery log", "admin"),
    "service766.declare": _rule(
        "declare the Decision 766 components Chiso cannot measure (feedback, population data …)",
        *OFFICE,
        own_unit=("officer",),
    ),
}


def allowed(actor: Actor, action: str, unit_code: str | UnitRef | None = None) -> bool:
    """Whether `check` would pass (for showing or hiding a link; the service still checks)."""
    try:
        check(actor, action, unit_code)
    except PermissionDenied:
        return False
    return True


def check(actor: Actor, action: str, unit_code: str | UnitRef | None = None) -> None:
    """Raise PermissionDenied unless `actor` may do `action` (on the unit, when it concerns one).

    A unit given as a bare code is one of the current era's; an officer is the officer of a current
    unit, so a UnitRef of another era — the same code naming another unit — is not theirs.
    """
    rule = ACTIONS.get(action)
    if rule is None:
        raise KeyError(f"unknown action {action!r}; register it in chiso.permissions.ACTIONS")
    for listener in _listeners:
        listener(actor, action, unit_code)
    if rule.public or actor.roles & rule.roles:
        return
    if actor.roles & rule.own_unit_roles and actor.unit_code is not None:
        unit = UnitRef(CURRENT_ERA, unit_code) if isinstance(unit_code, str) else unit_code
        if unit is None or unit == UnitRef(CURRENT_ERA, actor.unit_code):
            return
        named = unit.code if unit.era == CURRENT_ERA else str(unit)
        raise PermissionDenied(
            f"{actor.user} may {rule.description} only for unit {actor.unit_code}, not {named} ({action})",
            actor=actor,
            action=action,
            unit_code=unit.code,
        )
    allowed_roles = sorted(rule.roles | rule.own_unit_roles)
    raise PermissionDenied(
        f"{actor.user} (roles: {', '.join(sorted(actor.roles)) or 'none'}) may not {rule.description} "
        f"({action}); it needs one of the roles: {', '.join(allowed_roles)}",
        actor=actor,
        action=action,
        unit_code=unit_code.code if isinstance(unit_code, UnitRef) else unit_code,
    )


# Observers of every check: the tests use one to assert that every route reaches a permission check.
_listeners: list[Callable[[Actor, str, str | UnitRef | None], None]] = []


def listen(listener: Callable[[Actor, str, str | UnitRef | None], None]) -> Callable[[], None]:
    """Call `listener(actor, action, unit_code)` on every check; returns a function that stops it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)
