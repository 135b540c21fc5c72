#!/usr/bin/env python3
"""Set up a virtual environment and run Chiso or its test suite.

Needs only Python 3.11+. `python3 tools/dev.py run` sets everything up and runs Chiso on its embedded
defaults; `python3 tools/dev.py test` sets up and runs the whole test suite (what CI runs).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("CHISO_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
# Packages that declare a newer Python than they need; installed without that check (see docs/units.md).
IGNORE_REQUIRES_PYTHON = ROOT / "requirements" / "ignore-requires-python.txt"
# Test folders whose outcome depends on the date (deadlines, overdue tasks, token expiry, periods).
CLOCK_SENSITIVE = [
    "tests/reliability",
    "tests/web",
    "tests/collection",
    "tests/programme",
    "tests/cli",
    "tests/results",
    "tests/dashboard",
]


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    printable = " ".join(str(a) for a in args)
    print(f"+ {printable}", flush=True)
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def ensure_java() -> None:
    """PySpark (the scale-out engine of `chiso sources`) needs a Java 17+ runtime; Debian has one."""
    if shutil.which("java"):
        return
    if os.name != "posix" or not shutil.which("apt-get") or os.geteuid() != 0:
        print("Java not found: the Spark engine and its tests need Java 17+ (e.g. openjdk-17-jre-headless).")
        return
    run("apt-get", "update", "-qq")
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "openjdk-17-jre-headless")


def browser() -> None:
    """Debian's Chromium and ChromeDriver for the browser tests (tests/browser), when they are missing."""
    if Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists():
        return
    if not Path("/usr/bin/apt-get").exists() or os.geteuid() != 0:
        print("Chromium is missing: install Debian's chromium and chromium-driver to run the browser tests", flush=True)
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", "chromium-driver", env=env)


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 — this script may be started by an older python3
        sys.exit(f"Chiso needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    ensure_java()
    if not PY.exists():
        run(sys.executable, "-m", "venv", VENV)
    stamp = VENV / ".chiso-installed"
    inputs = [ROOT / "pyproject.toml", IGNORE_REQUIRES_PYTHON]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in inputs if p.exists())).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    if IGNORE_REQUIRES_PYTHON.exists():
        run(PY, "-m", "pip", "install", "--quiet", "--ignore-requires-python", "-r", IGNORE_REQUIRES_PYTHON)
    stamp.write_text(digest)


def setup_for_tests() -> None:
    setup()
    browser()


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    extra = sys.argv[2:]
    if command == "run":
        setup()
        run(BIN / "chiso", "demo", *extra)
    elif command == "test":
        setup_for_tests()
        run(BIN / "ruff", "check", "src", "tests", "benchmarks", "tools")
        run(BIN / "mypy", "src/chiso")  # strict on engine/ and framework/ (pyproject.toml)
        run(PY, "-m", "pytest", *extra)
        if not extra:  # the date-sensitive folders once more, on a clock a year later (tests/conftest.py)
            shifted = {**os.environ, "CHISO_TEST_SHIFT_DAYS": "365"}
            run(PY, "-m", "pytest", "-q", *CLOCK_SENSITIVE, env=shifted)
    elif command == "setup":
        setup_for_tests()
    else:
        print(__doc__)
        sys.exit(0 if command == "help" else 2)


if __name__ == "__main__":
    main()
