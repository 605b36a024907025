#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need, then lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null))
  else
    sudo apt-get install -y -q chromium >/dev/null
  fi
fi
.venv/bin/ruff check src tests benchmarks scripts
.venv/bin/ruff format --check src tests benchmarks scripts
.venv/bin/mypy
# Two workers, one test file each at a time (files share module fixtures): 6.5 min instead of 11.
.venv/bin/pytest -n "${DAILYPAPERS_TEST_WORKERS:-2}" --dist loadfile "$@"
