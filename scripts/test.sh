#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then runs the whole test suite through CTest:
# unit, e2e and slow (bounded fuzzing) labels.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --preset release
