"""What a receiver runs on each push: check the signature and refuse a stale timestamp (a replay).

docs/integration.md shows the same function with the standard library only, to copy into a receiver
(there "now" is `time.time()`; here it is Chiso's clock).
"""

from __future__ import annotations

import hashlib
import hmac

from chiso.clock import SYSTEM

TOLERANCE_SECONDS = 300  # a push signed more than 5 minutes ago (or ahead) is refused as a replay


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The `Chiso-Signature` header: HMAC-SHA256 of "<timestamp>.<body>" with the subscription's secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, now: float | None = None) -> bool:
    """True when `header` (Chiso-Signature) signs exactly `body` with `secret`, within 5 minutes of now."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if not parts.get("t", "").isdigit() or "v1" not in parts:
        return False
    timestamp = int(parts["t"])
    if abs((SYSTEM.now().timestamp() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts["v1"])
