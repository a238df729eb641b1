#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then runs the whole test suite through CTest:
# unit, e2e and slow (bounded fuzzing) labels. The benchmarks are not built here (they are not
# tests, and CI time matters): `cmake --preset release -DDUBKIT_BUILD_BENCH=ON` brings them back.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh -DDUBKIT_BUILD_BENCH=OFF
ctest --preset release
