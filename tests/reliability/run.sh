#!/usr/bin/env bash
# The fault-injection suite (tests/reliability/): the real dondocd against the local SMTP
# sink and SMS gateway, one fault per scenario, a table at the end.
#   tests/reliability/run.sh --short            CI's form (about 10 minutes on 2 cores)
#   tests/reliability/run.sh --long             the long form (docs/RELIABILITY.md)
#   tests/reliability/run.sh --short --only kill9,clock --json out.json --markdown out.md
# Uses $DONDOC_BUILD_DIR (default build/release); builds dondocd there when it is missing.
# Not part of ctest: CI (.ci/run) calls this script directly.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${DONDOC_BUILD_DIR:-build/release}
if [[ ! -x $BUILD/daemon/dondocd ]]; then
  if [[ $BUILD == build/release ]]; then
    cmake --preset release -DDONDOC_WERROR=ON >/dev/null
    cmake --build --preset release --target dondocd dondoc
  else
    echo "run.sh: no dondocd in $BUILD (set DONDOC_BUILD_DIR to a build directory)" >&2
    exit 2
  fi
fi
export DONDOC_BUILD_DIR=$BUILD DONDOC_SOURCE_DIR=$PWD PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 tests/reliability/reliability.py "$@"
