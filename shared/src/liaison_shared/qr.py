"""QR codes as inline SVG: a tracking link on a citizen's receipt, a check-in code shown by an
organiser. SVG, not PNG, so the page needs no image library and the code stays sharp when
printed on a contact-point board."""

from __future__ import annotations

import segno


def svg(data: str, *, scale: int = 4, title: str = "", fit: bool = False) -> str:
    """An ``<svg>`` element (no XML declaration) to place in a page; error correction M, which
    survives a board's scratches and glare. ``title`` is what a screen reader says. ``fit``: no
    fixed size but a viewBox, so the code fills the width its page gives it (an organiser's screen)."""
    code = segno.make_qr(data, error="m")
    return code.svg_inline(scale=scale, border=2, title=title or None, omitsize=fit)
