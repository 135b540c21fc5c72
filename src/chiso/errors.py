"""One error model: every error a user can act on derives from `ChisoError`.

An error carries a stable `code` (what went wrong), `params` (the figures of this case) and the `field`
it concerns. Its message is rendered from the code's Vietnamese template (the msgid of the project's
gettext catalogue, `web/locale`), in Vietnamese or, through a `gettext` callable, in English. A message
never names a CLI flag: the CLI adds the error's `hint` (e.g. `--comment`) itself.

`OUTCOMES` is the one table from an error's class to its HTTP status, problem type and CLI exit code;
the web (`web/problems.py`) and the CLI (`cli/session.py`, `cli/output.py`) both read it.

Errors raised before this model (a free text, `ChisoError("…")`) keep working: their text is shown as
written, under the code of their class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar


def N_(message: str) -> str:
    """Marks a Vietnamese text for the catalogue (tools/i18n.py extracts it) without translating it here."""
    return message


def _same(text: str) -> str:
    return text


# Code → Vietnamese template (`%(name)s` for the parameters). tools/i18n.py puts them in the catalogue.
MESSAGES: dict[str, str] = {
    "state": N_("%(subject)s đang ở trạng thái «%(state)s»: không thể %(action)s; được phép: %(allowed)s"),
    "conflict": N_("%(subject)s vừa được người khác thay đổi; hãy tải lại rồi làm lại."),
    # accounts
    "ministry.not-open": N_(
        "Chưa mở kỳ kê khai DTI năm %(year)s: văn phòng chuyển đổi số mở kỳ cho các sở chủ trì các chỉ số thành phần."
    ),
    "account.unknown": N_("Không có tài khoản «%(user)s»."),
    "account.exists": N_("Tài khoản «%(user)s» đã có."),
    "account.role-unknown": N_("Vai trò không có: %(roles)s. Các vai trò: %(known)s."),
    "account.unit-needed": N_("Cán bộ đơn vị cần có đơn vị kê khai."),
    "account.unit-not-allowed": N_("Chỉ cán bộ đơn vị mới gắn với một đơn vị; các vai trò khác để trống đơn vị."),
    "account.unit-unknown": N_("Không có đơn vị «%(unit)s»; ghi mã đơn vị (ví dụ 01840) hoặc đúng tên đơn vị."),
    "account.self-disable": N_("Quản trị viên không thể tự khoá tài khoản của mình."),
    "account.disabled": N_("Tài khoản «%(user)s» đang bị khoá."),
    "account.no-password": N_("Tài khoản «%(user)s» chỉ dùng token API, không đăng nhập bằng mật khẩu."),
    "password.short": N_("Mật khẩu cần ít nhất %(min)s ký tự."),
    "password.has-user": N_("Mật khẩu không được chứa tên đăng nhập."),
    "password.common": N_("Mật khẩu này quá phổ biến, dễ bị đoán; hãy chọn mật khẩu khác, ví dụ vài từ ghép lại."),
    "password.wrong": N_("Mật khẩu hiện tại không đúng."),
    "password.same": N_("Mật khẩu mới phải khác mật khẩu tạm thời."),
    "password.mismatch": N_("Hai lần nhập mật khẩu mới không giống nhau."),
    "token.scope": N_("Phạm vi token không có: «%(scope)s»; chọn read hoặc write."),
    "token.days": N_("Token có hạn từ 1 đến 3660 ngày."),
    "token.unknown": N_("Không có token API số %(id)s."),
    "import.empty": N_("Tệp không có dòng tài khoản nào."),
    "import.refused": N_("Chưa tạo tài khoản nào: tệp có %(n)s lỗi; sửa rồi nhập lại cả tệp."),
    "import.at": N_("Dòng %(row)s, cột «%(column)s»: %(problem)s"),
    "import.user-twice": N_("tên đăng nhập «%(user)s» đã có ở dòng %(first)s."),
    "import.user-invalid": N_("tên đăng nhập gồm 2–64 chữ không dấu, chữ số và các dấu . _ @ -"),
    "import.email-invalid": N_("địa chỉ thư điện tử không hợp lệ (ví dụ ten@example.vn)."),
    "import.name-invalid": N_("họ tên dài quá 200 ký tự."),
    "import.role-missing": N_("cần ghi vai trò, ví dụ «Cán bộ đơn vị»."),
    "import.unit-ambiguous": N_("«%(unit)s» là tên của nhiều đơn vị (%(codes)s); ghi mã đơn vị."),
    "import.columns": N_("Tệp thiếu cột: %(columns)s. Tải tệp mẫu để có đủ cột."),
    # collection periods and appraisal
    "period.reason-needed": N_("Mở lại một kỳ cần ghi lý do."),
    "period.dates": N_("Kỳ đóng (%(closes)s) trước khi mở (%(opens)s)."),
    "period.exists": N_("Kỳ «%(period)s» đã có; mở lại kỳ đó kèm lý do, hoặc chọn mã khác."),
    "review.comment-needed": N_("Trả lại một mục cần có nhận xét nói rõ còn thiếu gì."),
    "review.one-indicator": N_("Điểm thẩm định được cho từng chỉ số một."),
    "review.score-range": N_("%(indicator)s: điểm thẩm định phải từ 0 đến %(top)s."),
    "results.out-of-date": N_("Kết quả số %(run)s đã cũ: số liệu đã thay đổi; hãy tính lại rồi công bố kết quả mới."),
    "results.published": N_("Kết quả số %(run)s đã công bố; kết quả đã công bố không bao giờ thay đổi."),
    "results.unknown": N_("Không có lần tính kết quả số %(run)s."),
    "results.units-not-approved": N_("Chưa công bố được: %(n)s đơn vị chưa được phê duyệt (%(units)s)."),
    "results.period-published": N_("Kỳ này đã công bố kết quả cuối cùng; mở lại kỳ trước khi công bố lại."),
    # plans and tasks
    "plan.needed": N_("Chọn kế hoạch; các kế hoạch: %(known)s."),
    "plan.unknown": N_("Không có kế hoạch «%(plan)s»; các kế hoạch: %(known)s."),
    "plan.none": N_("Chưa có kế hoạch nhiệm vụ nào."),
    "task.unknown": N_("Kế hoạch %(plan)s không có nhiệm vụ «%(task)s»."),
    "task.done-needs-100": N_("Nhiệm vụ %(task)s: hoàn thành là tiến độ 100 %%, không phải %(progress)s %%."),
    "task.not-started-is-0": N_("Nhiệm vụ %(task)s: chưa triển khai là tiến độ 0 %%, không phải %(progress)s %%."),
    "task.status-unknown": N_("Trạng thái không có: %(status)s; các trạng thái: %(known)s."),
    "evidence.unknown": N_("Không có tệp minh chứng số %(id)s."),
    # Decision 766: the declared components (chiso.service766.declarations)
    "s766.refused": N_("Chưa ghi số liệu tự khai nào: có %(n)s lỗi; sửa rồi nhập lại cả tệp."),
    "s766.empty": N_("Tệp không có dòng số liệu nào."),
    "s766.columns": N_("Tệp thiếu cột: %(columns)s. Các cột cần có: %(expected)s."),
    "s766.unit-unknown": N_("Không có đơn vị «%(unit)s» (từ 1/7/2025); ghi mã đơn vị, ví dụ 01840 hoặc 19-SKHCN."),
    "s766.unit-kind": N_("%(unit)s không phải tỉnh, sở, ngành hay xã, phường: chỉ số 766 không tính cho đơn vị này."),
    "s766.period-invalid": N_("Kỳ «%(period)s» không hợp lệ; ghi tháng dạng YYYY-MM (ví dụ 2025-09) hoặc năm YYYY."),
    "s766.period-future": N_(
        "Kỳ %(period)s chưa bắt đầu (hôm nay %(today)s); chỉ kê khai kỳ đã qua hoặc đang diễn ra."
    ),
    "s766.variable-unknown": N_("«%(variable)s» không phải chỉ tiêu tự khai của chỉ số 766; các chỉ tiêu: %(known)s."),
    "s766.component-mismatch": N_(
        "Thành phần «%(component)s» không dùng chỉ tiêu %(variable)s; chỉ tiêu này thuộc thành phần %(expected)s."
    ),
    "s766.value-missing": N_("Cần ghi giá trị: một số không âm."),
    "s766.value-invalid": N_("«%(value)s» không phải một số viết rõ ràng: %(problem)s"),
    "s766.value-min": N_("%(label)s phải từ %(min)s trở lên (đang là %(value)s)."),
    "s766.value-max": N_("%(label)s tối đa là %(max)s (đang là %(value)s)."),
    "s766.value-whole": N_("%(label)s là số đếm: cần một số nguyên (đang là %(value)s)."),
    "s766.above-denominator": N_(
        "%(label)s (%(value)s) lớn hơn %(other)s (%(limit)s) của cùng đơn vị và kỳ; sửa một trong hai số."
    ),
    "s766.row-twice": N_(
        "Đơn vị %(unit)s, kỳ %(period)s, chỉ tiêu %(variable)s đã có ở dòng %(first)s; mỗi chỉ tiêu một dòng."
    ),
    "s766.version-invalid": N_(
        "Phiên bản «%(version)s» không hợp lệ: để nguyên cột Phiên bản của tệp mẫu (một số nguyên từ 0, hoặc để trống)."
    ),
    "s766.template-rows": N_(
        "Tệp mẫu sẽ có %(rows)s dòng, quá %(limit)s dòng mà một tệp được nhận; chọn ít kỳ hơn hoặc một đơn vị."
    ),
}


@dataclass(frozen=True)
class Outcome:
    """What an error class becomes at a boundary: HTTP status and problem type, CLI exit code."""

    status: int
    kind: str
    exit: int


class ChisoError(Exception):
    """Root of the errors that services raise for requests that cannot be done (never for bugs).

    `kind` (per class) is the row of `OUTCOMES`; `code` (per error) the message of `MESSAGES`."""

    kind: ClassVar[str] = "bad-request"
    coded = False  # an error raised with a code of MESSAGES (else a free text, shown as written)
    code = ""
    params: Mapping[str, Any] = {}
    field: str | None = None
    hint = ""
    detail = ""

    def __init__(
        self,
        text: str = "",
        *,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
        field: str | None = None,
        hint: str = "",
    ) -> None:
        self.coded = code is not None
        self.code = code or self.kind
        self.params: dict[str, Any] = dict(params or {})
        self.field = field
        self.hint = hint  # the CLI's flag for `field` (e.g. "--comment"); never shown on the web
        self.detail = text  # a free text (errors raised before the model): shown as written
        super().__init__(self.message())

    @classmethod
    def of(cls, code: str, *, field: str | None = None, hint: str = "", **params: Any) -> ChisoError:
        """An error of this class with a code of the catalogue and its parameters."""
        assert code in MESSAGES, f"no message for error code {code!r}"
        error = cls.__new__(cls)
        ChisoError.__init__(error, code=code, params=params, field=field, hint=hint)
        return error

    def message(self, gettext: Callable[[str], str] = _same, lang: str = "vi") -> str:
        """The message in the language of `gettext` (Vietnamese without one), numbers in `lang`'s format."""
        if not self.coded:  # a free text; or a subclass that set its message itself
            return self.detail or Exception.__str__(self)
        return gettext(MESSAGES[self.code]) % self.shown_params(lang)

    def shown_params(self, lang: str = "vi") -> dict[str, str]:
        """The parameters as written in a message: numbers in `lang`'s format, lists joined."""
        return {k: _shown(v, lang) for k, v in self.params.items()}

    def __str__(self) -> str:
        return self.message()


def _shown(value: Any, lang: str) -> str:
    if isinstance(value, float):
        from chiso import numbers  # numbers' errors derive from this module's

        return numbers.format(value, lang=lang)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return str(value)


class NotFound(ChisoError):
    kind = "not-found"


class PermissionDenied(ChisoError):
    """Refused by `chiso.permissions.check`, which says who asked for what (the audit log records it)."""

    kind = "forbidden"
    actor: Any = None
    action: str | None = None
    unit_code: str | None = None

    def __init__(
        self, message: str, *, actor: Any = None, action: str | None = None, unit_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.actor, self.action, self.unit_code = actor, action, unit_code


class TransitionRefused(ChisoError):
    """A workflow action not allowed in the current state; says what is allowed instead."""

    kind = "state"

    def __init__(
        self, subject: str, state: str, action: str, allowed: list[str] | tuple[str, ...], detail: str = ""
    ) -> None:
        self.subject, self.state, self.action, self.allowed = subject, state, action, tuple(allowed)
        more = f" ({detail})" if detail else ""
        params = {"subject": subject, "state": state, "action": f"{action}{more}", "allowed": ", ".join(allowed) or "—"}
        super().__init__(code="state", params=params)


class ConflictError(ChisoError):
    """Someone else changed the record since it was read; carries the current value to start again from."""

    kind = "conflict"

    def __init__(self, subject: str, current: Any, message: str = "") -> None:
        self.subject, self.current = subject, current
        if message:
            super().__init__(message)
        else:
            super().__init__(code="conflict", params={"subject": subject})


class ImmutableError(ChisoError):
    """An attempt to change something that is fixed once written (a published run, the audit log)."""

    kind = "state"


# The one table from an error's kind (its class's `kind`) to what it becomes at the boundaries.
# Exit codes: 2 the command was refused and wrote nothing; 3 someone else changed the data meanwhile
# (running it again may succeed).
OUTCOMES: dict[str, Outcome] = {
    "bad-request": Outcome(400, "bad-request", 2),
    "validation": Outcome(422, "validation", 2),
    "not-found": Outcome(404, "not-found", 2),
    "forbidden": Outcome(403, "forbidden", 2),
    "state": Outcome(409, "state", 2),
    "conflict": Outcome(409, "conflict", 3),
}
ANONYMOUS = Outcome(401, "authentication-required", 2)  # a refusal of someone not logged in


def outcome_of(exc: ChisoError, *, anonymous: bool = False) -> Outcome:
    if anonymous and isinstance(exc, PermissionDenied):
        return ANONYMOUS
    return OUTCOMES[type(exc).kind]
