"""The collection workflow as data: (state, action) → next state, for items and for periods.

Item: draft → submitted → returned ⇄ resubmitted → accepted → approved → published (locked).
A unit-period's state follows its items (`unit_state`). A period is open, closed (drafts can no
longer be submitted; returned items still can) or published (read-only until an admin reopens it).
"""

from __future__ import annotations

from typing import Final

from chiso.errors import TransitionRefused

ITEM_STATES: Final = ("draft", "submitted", "returned", "resubmitted", "accepted", "approved", "published")
ITEM_TRANSITIONS: Final[dict[tuple[str, str], str]] = {
    ("draft", "edit"): "draft",
    ("draft", "submit"): "submitted",
    ("returned", "edit"): "returned",
    ("returned", "submit"): "resubmitted",
    ("submitted", "return"): "returned",
    ("resubmitted", "return"): "returned",
    ("accepted", "return"): "returned",
    ("submitted", "accept"): "accepted",
    ("resubmitted", "accept"): "accepted",
    ("accepted", "approve"): "approved",
    ("approved", "publish"): "published",
    ("approved", "reopen"): "accepted",
    ("published", "reopen"): "accepted",
}

PERIOD_STATES: Final = ("open", "closed", "published")
PERIOD_TRANSITIONS: Final[dict[tuple[str, str], str]] = {
    ("open", "close"): "closed",
    ("open", "publish"): "published",
    ("closed", "publish"): "published",
    ("closed", "reopen"): "open",
    ("published", "reopen"): "open",
}


def allowed(state: str, table: dict[tuple[str, str], str] = ITEM_TRANSITIONS) -> list[str]:
    return [action for (s, action) in table if s == state]


def next_state(subject: str, state: str, action: str, table: dict[tuple[str, str], str] = ITEM_TRANSITIONS) -> str:
    """The state after `action`, or TransitionRefused naming the state, the action and what is allowed."""
    try:
        return table[(state, action)]
    except KeyError:
        raise TransitionRefused(subject, state, action, allowed(state, table)) from None


def unit_state(item_states: list[str]) -> str:
    """A unit-period's state: returned if any item is; else the least advanced state of its items."""
    states = set(item_states)
    if not states:
        return "draft"
    for dominant in ("returned", "draft", "resubmitted"):
        if dominant in states:
            return dominant
    return min(states, key=ITEM_STATES.index)
