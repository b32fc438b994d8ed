#!/usr/bin/env bash
# libFuzzer targets (tests/fuzz/): builds the `fuzz` preset (clang-14, ASan + UBSan) and
# runs each target for SECONDS, starting from its committed corpus (tests/fuzz/corpus/T/)
# plus what earlier runs found (build/fuzz/corpus/T/). Fails when a target crashes; the
# input is left in build/fuzz/artifacts/T/ — add it to tests/fuzz/corpus/T/ as crash-NAME
# once fixed, and the normal suite replays it from then on.
#   scripts/fuzz.sh 60                  CI: a minute per target
#   scripts/fuzz.sh 3600 roster http    an hour each for two targets
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=(roster reply token mime sms_hooks http); fi
jobs=${DONDOC_BUILD_JOBS:-2}

cmake --preset fuzz -DDONDOC_WERROR=ON >/dev/null
cmake --build --preset fuzz -j"$jobs" --target "${targets[@]/#/fuzz_}"

declare -A max_len=([roster]=16384 [reply]=4096 [token]=512 [mime]=8192 [sms_hooks]=4096 [http]=16384)
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
summary=()
failed=0
for t in "${targets[@]}"; do
  work=build/fuzz/corpus/$t
  art=build/fuzz/artifacts/$t
  mkdir -p "$work" "$art"
  log=build/fuzz/$t.log
  echo "::: fuzz $t for ${seconds} s"
  rc=0
  build/fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 \
    -max_len="${max_len[$t]:-4096}" -print_final_stats=1 -artifact_prefix="$art/" \
    "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  files=$(find "$work" -type f | wc -l)
  if [[ $rc -ne 0 ]]; then
    failed=1
    tail -60 "$log"
    summary+=("$(printf '%-10s %6ss %12s runs %7s/s cov %6s corpus %6s  CRASH (%s)' "$t" "$seconds" "$runs" "$rate" "$cov" "$files" "$(ls -t "$art" | head -1)")")
  else
    summary+=("$(printf '%-10s %6ss %12s runs %7s/s cov %6s corpus %6s  ok' "$t" "$seconds" "$runs" "$rate" "$cov" "$files")")
  fi
done
echo
echo "fuzz summary ($(date -u +%FT%TZ), ${seconds} s per target):"
printf '%s\n' "${summary[@]}" | tee build/fuzz/summary.txt
exit $failed
