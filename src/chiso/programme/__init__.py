"""Programmes: resolutions and decisions with targets, their progress and forecasts."""

from chiso.programme.io import ProgrammeError, load_programme, shipped
from chiso.programme.spec import Programme, Target
from chiso.programme.status import Status, TargetStatus, evaluate

__all__ = ["Programme", "ProgrammeError", "Status", "Target", "TargetStatus", "evaluate", "load_programme", "shipped"]
