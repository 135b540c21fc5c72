"""Vietnamese first, English second: gettext catalogs (msgids are the Vietnamese text) and number formats.

The English catalog is `locale/en/LC_MESSAGES/messages.po`, compiled in memory on first use (no
binary file in the repository). Numbers: 0,8002 · 34,87 % · 31/12/2025 in Vietnamese.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from chiso import numbers

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def N_(message: str) -> str:
    """Marks a Vietnamese text for the catalog without translating it here."""
    return message


LABELS = {
    "draft": N_("Nháp"),
    "submitted": N_("Đã gửi"),
    "returned": N_("Bị trả lại"),
    "resubmitted": N_("Đã gửi lại"),
    "accepted": N_("Đã chấp nhận"),
    "approved": N_("Đã phê duyệt"),
    "published": N_("Đã công bố"),
    "open": N_("Đang mở"),
    "closed": N_("Đã đóng"),
    "self_assessed": N_("Tự đánh giá"),
    "appraised": N_("Thẩm định"),
    "final": N_("Cuối cùng"),
    "saved": N_("Đã lưu bản nháp."),
    "return": N_("Đã trả lại."),
    "accept": N_("Đã chấp nhận."),
    "approve": N_("Đã phê duyệt đơn vị."),
    "submit": N_("Đã gửi thẩm định."),
    "publish": N_("Đã công bố kết quả."),
    "computed": N_("Đã tính kết quả."),
    "opened": N_("Đã mở kỳ đánh giá."),
    "close": N_("Đã đóng kỳ."),
    "reopen": N_("Đã mở lại kỳ."),
    "user-created": N_("Đã tạo tài khoản."),
    "user-changed": N_("Đã cập nhật tài khoản."),
    "token-created": N_("Đã cấp token."),
    "token-revoked": N_("Đã thu hồi token."),
    "password-reset": N_("Đã đặt lại mật khẩu."),
    "users-imported": N_("Đã nhập tài khoản từ tệp."),
    "password-changed": N_("Đã đổi mật khẩu."),
    # programme target statuses (programme/status.py LABELS) and task statuses (programme/schemas.py)
    "achieved": N_("Đã đạt"),
    "on_track": N_("Đúng tiến độ"),
    "at_risk": N_("Có nguy cơ không đạt"),
    "late": N_("Quá hạn, chưa đạt"),
    "no_data": N_("Chưa có dữ liệu"),
    "not_started": N_("Chưa triển khai"),
    "in_progress": N_("Đang triển khai"),
    "done": N_("Hoàn thành"),
    "paused": N_("Tạm dừng"),
    "cancelled": N_("Không thực hiện"),
    "reported": N_("Đã ghi nhận báo cáo tiến độ."),
    "http-400": N_("Yêu cầu không hợp lệ"),
    "http-401": N_("Cần đăng nhập"),
    "http-403": N_("Không có quyền"),
    "http-404": N_("Không tìm thấy"),
    "http-405": N_("Phương thức không được phép"),
    "http-409": N_("Xung đột"),
    "http-413": N_("Nội dung quá lớn"),
    "http-422": N_("Dữ liệu không hợp lệ"),
    "http-429": N_("Quá nhiều yêu cầu"),
    "http-503": N_("Hệ thống đang bận"),
}


def labeller(lang: str):  # type: ignore[no-untyped-def]
    """`label(code)`: the translated label of a state, a variant, a message code or an HTTP status."""
    translate = translations(lang).gettext

    def label(code: str) -> str:
        return translate(LABELS[code]) if code in LABELS else code

    return label


@functools.cache
def translations(lang: str) -> NullTranslations:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT_LANGUAGE or not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(lang: str):  # type: ignore[no-untyped-def]
    return translations(lang).gettext


@functools.lru_cache(maxsize=8192)
def _formatted(value: float, lang: str, digits: int) -> str:
    # Pages repeat the same few numbers (points 0–10, maxima) hundreds of times; Babel formats each
    # in about 0.1 ms.
    return numbers.format(value, lang=lang, digits=digits)


@dataclass(frozen=True)
class Formats:
    """Number and date formats of one language, for templates (`fmt.num(x, 2)`)."""

    lang: str

    @property
    def locale(self) -> str:
        return "vi" if self.lang == "vi" else "en"

    def num(self, value: float | None, digits: int = 2) -> str:
        if value is None:
            return "–"
        if value == 0:  # 0 and -0.0 are one key to the cache, not to the format
            return numbers.format(value, lang=self.lang, digits=digits)
        return _formatted(value, self.lang, digits)

    def field(self, value: float | None) -> str:
        """A form input's value: exact, ungrouped and never ambiguous, so saving it untouched keeps it."""
        return numbers.field(value, lang=self.lang)

    def pct(self, share: float | None, digits: int = 2) -> str:
        """A share (0–1) as a percentage: 34,87 % (vi) or 34.87% (en)."""
        if share is None:
            return "–"
        text = self.num(share * 100, digits)
        return f"{text} %" if self.lang == "vi" else f"{text}%"

    def signed(self, value: float | None, digits: int = 2) -> str:
        if value is None:
            return "–"
        return ("+" if value > 0 else "") + self.num(value, digits)

    def date(self, value: dt.date | dt.datetime | None) -> str:
        if value is None:
            return "–"
        return value.strftime("%d/%m/%Y")

    def datetime(self, value: dt.datetime | None) -> str:
        if value is None:
            return "–"
        local = value.astimezone(dt.timezone(dt.timedelta(hours=7)))  # Vietnam, no daylight saving
        return local.strftime("%d/%m/%Y %H:%M")

    def rank(self, value: int | float | None) -> str:
        return "–" if value is None else str(int(value))

    def name(self, vi: str, en: str) -> str:
        return en if self.lang == "en" and en else vi
