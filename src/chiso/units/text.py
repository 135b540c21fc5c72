"""Text helpers for Vietnamese names: accent folding for search, tone placement for comparison."""

from __future__ import annotations

import re
import unicodedata

# Đ/đ is a letter of its own, not D with a combining mark, so NFD leaves it alone.
_D_STROKE = str.maketrans({"đ": "d", "Đ": "D"})

# Two spelling conventions coexist: the older "Hoà, Thuỷ" (tone on the second vowel) and the newer
# "Hòa, Thủy" (tone on the first). Sources mix them, so names are compared in one convention.
_TONES_ON = {
    "a": "àáảãạ",
    "e": "èéẻẽẹ",
    "y": "ỳýỷỹỵ",
    "o": "òóỏõọ",
    "u": "ùúủũụ",
}
_OLD_STYLE = re.compile(r"(?<![qQ])([oOuU])([àáảãạèéẻẽẹỳýỷỹỵ])(?![\w])")


def fold(text: str) -> str:
    """Lower-case ASCII form of `text` for accent-insensitive matching: "Thái Nguyên" → "thai nguyen"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_STROKE))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def _tone_index(vowel: str) -> tuple[str, int]:
    for base, toned in _TONES_ON.items():
        if vowel.lower() in toned:
            return base, toned.index(vowel.lower())
    raise ValueError(vowel)


def _move_tone(match: re.Match[str]) -> str:
    first, second = match.group(1), match.group(2)
    base, tone = _tone_index(second)
    moved = _TONES_ON[first.lower()][tone]
    if first.isupper():
        moved = moved.upper()
    plain_second = base.upper() if second.isupper() else base
    return moved + plain_second


def modern_tone_placement(name: str) -> str:
    """Rewrite "Hoà, Thuỷ, Khoé" as "Hòa, Thủy, Khóe" so that both spellings of a name compare equal."""
    return _OLD_STYLE.sub(_move_tone, unicodedata.normalize("NFC", name))


def ascii_name(name: str) -> str:
    """Name without diacritics, keeping case: "Bắc Kạn" → "Bac Kan" (used for English names)."""
    decomposed = unicodedata.normalize("NFD", name.translate(_D_STROKE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
