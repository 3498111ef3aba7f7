"""/api/v1/docs: the API reference, rendered on the server from the generated OpenAPI document
(no script, no CDN: it works under the app's Content-Security-Policy as it is)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(spec: dict) -> list[dict]:
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                operations.append({"path": path, "method": method.upper(), **operation,
                                   "parameters": item.get("parameters", []) +
                                   operation.get("parameters", [])})
    return operations


@bp.get("/docs")
def reference():
    """The human-readable reference of every operation, grouped by area."""
    spec = current_app.extensions["cinema_api"].spec.to_dict()
    return render_template("pages/api/docs.html", spec=spec, operations=_operations(spec))
