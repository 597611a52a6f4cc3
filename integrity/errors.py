"""Errors users see. Each carries a stable ``code`` for API clients and a zh-CN message for people.

Why one hierarchy: the CLI turns any ``IntegrityError`` into a one-line message and a non-zero exit,
the API into a JSON error with the same code, so bad input never surfaces as a traceback.
"""

from __future__ import annotations


class IntegrityError(Exception):
    """Base class. ``code`` is snake_case English; ``message`` is zh-CN and names the problem and limit."""

    code = "integrity_error"
    exit_code = 1
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, detail: dict[str, object] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.detail = detail or {}

    def to_dict(self) -> dict[str, object]:
        extra = {"detail": self.detail} if self.detail else {}
        return {"code": self.code, "message": self.message, **extra}


class InputError(IntegrityError):
    """The paper itself cannot be used: empty, binary, wrong type, too large, encrypted, unreadable."""

    code = "bad_input"
    exit_code = 2
    http_status = 422


class UnsupportedFileType(InputError):
    code = "unsupported_file_type"
    http_status = 415


class FileTooLarge(InputError):
    code = "file_too_large"
    http_status = 413


class UnreadableText(InputError):
    """Extraction produced no usable text (no text layer, garbled fonts): never report 0 % for this."""

    code = "text_layer_unreadable"


class EncryptedFile(InputError):
    """Password-protected PDF (or DOCX): nothing can be extracted without the password."""

    code = "encrypted_file"


class ParseLimitExceeded(InputError):
    """The sandboxed parser hit a limit (time, memory, pages, unpacked size); codes say which."""

    code = "parse_limit_exceeded"
    http_status = 413


class CorpusError(IntegrityError):
    """The reference corpus is missing, corrupt or was asked for something it does not hold."""

    code = "corpus_error"
    exit_code = 3
    http_status = 409


class CatalogueError(IntegrityError):
    code = "catalogue_error"
    exit_code = 4


class PolicyError(IntegrityError):
    code = "policy_error"
    exit_code = 5
