"""Permissions are named actions; every service entry point calls `check(actor, action, unit)`.

An `Actor` is who acts: a user with roles, scoped to one unit for a unit's officer. Roles:
`officer` (declares for their own unit), `appraiser` (programme office: appraises, computes results),
`admin` (opens and closes periods, reopens, publishes) and `system` (automatic measures).
"""

from __future__ import annotations

from dataclasses import dataclass

from chiso.errors import PermissionDenied

ROLES = ("officer", "appraiser", "admin", "system")


@dataclass(frozen=True)
class Actor:
    user: str
    roles: frozenset[str]
    unit_code: str | None = None

    def has(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    own_unit_roles: frozenset[str] = frozenset()  # these roles only on the actor's own unit
    description: str = ""


def _rule(description: str, *roles: str, own_unit: tuple[str, ...] = ()) -> Rule:
    return Rule(frozenset(roles), frozenset(own_unit), description)


ACTIONS: dict[str, Rule] = {
    "actor.manage": _rule("create actors (officers, appraisers)", "admin"),
    "period.open": _rule("open a collection period", "admin"),
    "period.close": _rule("close a collection period", "admin"),
    "period.reopen": _rule("reopen a closed or published period, with a reason", "admin"),
    "period.view": _rule("see a period and its completeness", "appraiser", "admin", own_unit=("officer",)),
    "declaration.view": _rule("read a unit's declarations", "appraiser", "admin", own_unit=("officer",)),
    "declaration.edit": _rule("edit a unit's draft or returned items", own_unit=("officer",)),
    "declaration.submit": _rule("submit a unit's items for appraisal", own_unit=("officer",)),
    "declaration.appraise": _rule("return or accept a submitted item", "appraiser", "admin"),
    "declaration.approve": _rule("approve a unit's accepted items", "admin", "appraiser"),
    "value.record": _rule("record a value (measured, imported)", "system", "admin", own_unit=("officer",)),
    "results.compute": _rule("compute result runs", "appraiser", "admin"),
    "results.publish": _rule("publish a result run (and lock the period)", "admin"),
    "results.view": _rule("read result runs", "officer", "appraiser", "admin"),
    "audit.view": _rule("read the audit log", "admin", "appraiser"),
    "task.view": _rule("read plans, tasks and their progress reports", "officer", "appraiser", "admin", "system"),
    "task.update": _rule("report progress on a task the unit leads", "admin", own_unit=("officer",)),
    "task.manage": _rule("create, edit and import plans and their tasks", "admin"),
}


def check(actor: Actor, action: str, unit_code: str | None = None) -> None:
    """Raise PermissionDenied unless `actor` may do `action` (on `unit_code`, when it concerns a unit)."""
    rule = ACTIONS.get(action)
    if rule is None:
        raise KeyError(f"unknown action {action!r}; register it in chiso.permissions.ACTIONS")
    if actor.roles & rule.roles:
        return
    if actor.roles & rule.own_unit_roles and actor.unit_code is not None:
        if unit_code is None or unit_code == actor.unit_code:
            return
        raise PermissionDenied(
            f"{actor.user} may {rule.description} only for unit {actor.unit_code}, not {unit_code} ({action})"
        )
    allowed = sorted(rule.roles | rule.own_unit_roles)
    raise PermissionDenied(
        f"{actor.user} (roles: {', '.join(sorted(actor.roles)) or 'none'}) may not {rule.description} "
        f"({action}); it needs one of the roles: {', '.join(allowed)}"
    )
