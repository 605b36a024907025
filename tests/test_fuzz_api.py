"""Schemathesis against the running app's OpenAPI schema, on SQLite and on PostgreSQL
(issue 11): every operation gets a bounded number of generated requests, valid and invalid,
over real HTTP; none may answer 5xx or break the schema (status, content type, body).

Each run prints one line with its counts (operations, requests, failures), e.g.
`pytest -s tests/test_fuzz_api.py`; the examples are bounded so that both runs together
stay within about a minute.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from dailypapers.runtime import Runtime
from dailypapers.web.app import create_app
from live_uvicorn import serve
from web_helpers import seed, with_secret

EXAMPLES = 8
"""Generated requests per operation and mode (two modes, ~14 operations: about 200)."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def server(rt: Runtime) -> Iterator[str]:
    """The app over uvicorn, with a few papers, features and a submitter stored."""
    rt.settings = with_secret(rt.settings)
    seed(rt.engine)
    with serve(create_app(rt)) as url:
        yield url


def test_openapi_fuzzing_finds_no_5xx_and_no_schema_violations(server: str, rt: Runtime) -> None:
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    counts = {"requests": 0}
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, server, counts, failures)
    backend = rt.engine.dialect.name
    print(
        f"\nschemathesis {backend}: {len(operations)} operations, {counts['requests']} "
        f"requests, {len(failures)} failures"
    )
    assert operations and not failures, "\n".join(failures[:10])


def _fuzz(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    url: str,
    counts: dict[str, int],
    failures: list[str],
) -> None:
    """Run EXAMPLES generated cases of one operation, recording (not raising) failures."""
    checks = [*CHECKS, negative_data_rejection] if mode == GenerationMode.NEGATIVE else CHECKS

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        counts["requests"] += 1
        response = case.call(base_url=url, timeout=30)
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as exc:  # a check failed: keep it, go on
            failures.append(f"{mode.value} {case.method} {case.path}: {str(exc)[:300]}")

    try:
        run()
    except Unsatisfiable:  # nothing to get wrong: an operation without parameters
        assert mode == GenerationMode.NEGATIVE
