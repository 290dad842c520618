"""Field types shared by the event models and the request bodies."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from ..orgunits import is_valid_code


def _division_code(code: str) -> str:
    if not is_valid_code(code):
        raise ValueError("not a city, county, town or village division code")
    return code


OrgCode = Annotated[
    str, Field(pattern=r"^[0-9]{12}$", description="12-digit division code (统计用区划代码) of a city, county, town or village",
               examples=["640221000000"]),
    AfterValidator(_division_code),
]


# C0 and C1 controls but tab, line feed and carriage return (a CRLF of a multi-line CSV cell), and
# unpaired surrogates (a JSON "\ud800"): PostgreSQL refuses a NUL or a broken character mid-transaction,
# and the others hide in what a reader sees (an escape sequence, a backspace).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def plain_text(text: str) -> str:
    """``text`` when it holds no control character but newlines and tabs; the refusal names none."""
    if _CONTROL.search(text):
        raise ValueError("a control character is not allowed (a newline or a tab is)")
    return text


PlainText = Annotated[str, AfterValidator(plain_text)]
"""Text a person wrote (a case's content, a name): refused with a control character in it."""
