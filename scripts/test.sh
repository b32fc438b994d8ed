#!/usr/bin/env bash
# The whole test suite: installs what is missing (build and test packages), builds the
# release preset with warnings as errors, and runs every test with CTest.
#   scripts/test.sh                 release build, all tests
#   scripts/test.sh --preset asan   the same under AddressSanitizer + UBSan
#   scripts/test.sh --preset tsan   the multi-threaded tests under ThreadSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
preset=release
if [[ "${1:-}" == "--preset" ]]; then preset=$2; shift 2; fi
scripts/install-deps.sh --test
cmake --preset "$preset" -DDONDOC_WERROR=ON >/dev/null
if [[ "$preset" == tsan ]]; then
  cmake --build --preset "$preset" -j"$(nproc)" --target threads_tests
else
  cmake --build --preset "$preset" -j"$(nproc)"
fi
ctest --preset "$preset" -j"$(nproc)" "$@"
