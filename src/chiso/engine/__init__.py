"""The scoring engine: pure and vectorised. Framework + panel of values → Result.

Imports nothing from the rest of Chiso but the framework specification; no database, web or files.
"""

from chiso.engine.panel import Panel
from chiso.engine.result import Result
from chiso.engine.run import STAGES, run

__all__ = ["STAGES", "Panel", "Result", "run"]
