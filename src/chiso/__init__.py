"""Chiso: run and measure a province's digital transformation programme.

The public library API lives here: `load_framework` and `score`.
"""

from __future__ import annotations

__version__ = "0.1.0"
