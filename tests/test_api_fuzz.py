"""Schemathesis against a live server: every operation of the generated OpenAPI document,
positive and negative data, with a patron's and an admin's token, and the stateful links
(hold -> confirm -> cancel). No 5xx, no response that breaks the schema.

The run is bounded (examples per operation and time budgets: 40 s for the operations, 20 s for
the stateful sequences) so the suite stays short.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cinema.models import UserRole
from tests.api_helpers import token_user
from tests.booking_helpers import setup_showtime

CHECKS = ",".join(["not_a_server_error", "status_code_conformance", "content_type_conformance",
                   "response_schema_conformance", "response_headers_conformance"])
MAX_EXAMPLES = os.environ.get("API_FUZZ_MAX_EXAMPLES", "25")
MAX_SECONDS = os.environ.get("API_FUZZ_MAX_SECONDS", "40")
STATEFUL_SECONDS = os.environ.get("API_FUZZ_STATEFUL_SECONDS", "20")


def _schemathesis(live_server: str, token: str, tmp_path: Path, seconds: str, *extra: str):
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run",
        f"{live_server}/api/v1/openapi.json", "--url", live_server,
        "--checks", CHECKS, "--max-examples", MAX_EXAMPLES, "--max-time", seconds,
        "--seed", "12345", "--workers", "1", "--no-shrink",
        "--header", f"Authorization: Bearer {token}",
        "--report", "junit", "--report-dir", str(tmp_path), *extra,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"})
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    return result


def test_schemathesis_finds_no_server_error_and_no_schema_violation(app_ctx, live_server,
                                                                    tmp_path):
    setup_showtime()  # showtime 1 with seats 1..12: the hold examples can succeed
    _, tokens, _ = token_user(app_ctx, role=UserRole.ADMIN)  # every operation is open to it
    # Every operation, one by one: explicit examples, the schema's edges, then random data.
    _schemathesis(live_server, tokens["access_token"], tmp_path / "operations", MAX_SECONDS,
                  "--phases", "examples,coverage,fuzzing")
    # Sequences along the OpenAPI links (hold -> detail / confirm / cancel) on the patron side,
    # with a budget of their own so the many admin operations cannot starve them.
    _schemathesis(live_server, tokens["access_token"], tmp_path / "stateful", STATEFUL_SECONDS,
                  "--phases", "stateful", "--include-path-regex", "^/api/v1/(bookings|showtimes)")
