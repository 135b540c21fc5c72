"""The report tests use the web tests' seeded sites (one per scenario and backend)."""

from tests.web.conftest import cheap_hashes, published, seeded, site  # noqa: F401
