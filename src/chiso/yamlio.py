"""YAML that Chiso ships or stored itself, read and written by libyaml where PyYAML was built with it.

The pure-Python parser costs a tenth of a second per definition file; every measuring process and
every cold start reads several (frameworks, measure sets, the source catalogue). Safe constructors and
representers only: plain data, as `yaml.safe_load` and `yaml.safe_dump` give.
"""

from __future__ import annotations

from typing import Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def safe_yaml(text: str) -> Any:
    """Plain data from YAML text (safe constructors only)."""
    return yaml.load(text, Loader=SAFE_LOADER)
