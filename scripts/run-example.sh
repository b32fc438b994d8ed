#!/usr/bin/env bash
# The main job on the example roster (Quảng Ngãi, Công văn 1639/UBND-NC) with the embedded
# defaults: SQLite in a state directory and the file outbox, no SMTP or SMS gateway.
# Installs what is missing, builds, validates the roster, shows a simulated year, then
# runs the daemon in the foreground (Ctrl-C stops it; DONDOC_EXAMPLE_SECONDS=N stops it
# after N seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target dondoc dondocd -j"$(nproc)"
bin=build/release
example=examples/quang-ngai-2019/dondoc.toml
state=${DONDOC_EXAMPLE_STATE:-$PWD/build/example-state}

echo "== dondoc check"
"$bin/cli/dondoc" check --config "$example"
echo
echo "== dondoc plan, June 2019 (one unit)"
"$bin/cli/dondoc" plan --config "$example" --from 2019-06-01 --to 2019-06-30 --unit so-tai-chinh
echo
echo "== dondoc simulate, 2019 (a fresh store, the file outbox; two units answer)"
replies=$(mktemp)
trap 'rm -f "$replies"' EXIT
cat >"$replies" <<'JSON'
{"at": "2019-06-03T09:00:00+07:00", "unit": "so-tai-chinh", "occurrence": "dan-van-6-thang@2019-06-15", "action": "ack"}
{"at": "2019-06-12T15:00:00+07:00", "unit": "so-tai-chinh", "occurrence": "dan-van-6-thang@2019-06-15", "action": "submit"}
{"at": "2019-06-18T10:00:00+07:00", "unit": "huyen-ly-son", "occurrence": "dan-van-6-thang@2019-06-15", "action": "submit"}
JSON
"$bin/cli/dondoc" simulate --config "$example" --from 2019-05-01 --to 2019-12-31 --replies "$replies"
echo
echo "== dondocd (state in $state, outbox in $state/outbox; status at http://127.0.0.1:8081/)"
mkdir -p "$state"
if [[ -n "${DONDOC_EXAMPLE_SECONDS:-}" ]]; then
  exec timeout --signal=TERM --preserve-status "$DONDOC_EXAMPLE_SECONDS" "$bin/daemon/dondocd" --config "$example" --state-dir "$state"
fi
exec "$bin/daemon/dondocd" --config "$example" --state-dir "$state"
