"""QR codes drawn on the server as inline SVG (segno): no script, no outside service."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str) -> SafeString:
    # Inline SVG markup with presentation attributes only (no style attribute, no <style>),
    # so the page's Content Security Policy needs no exception.
    # The markup is segno's own drawing (paths, no text from the data), safe to embed.
    svg = segno.make(data, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return mark_safe(svg)  # noqa: S308
