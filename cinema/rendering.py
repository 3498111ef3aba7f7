"""One place that decides between a whole page and an HTMX fragment."""
from __future__ import annotations

from flask import make_response, render_template, request


def wants_fragment() -> bool:
    """True for an HTMX request that is neither boosted nor a history restore."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(page: str, fragment: str | None = None, status: int = 200, **context):
    """Render ``fragment`` for a fragment request, else ``page``; both get the same context.

    The answer varies by ``HX-Request`` so no cache hands a fragment to a full navigation.
    """
    template = fragment if fragment and wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
