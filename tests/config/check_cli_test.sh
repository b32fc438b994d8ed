#!/bin/sh
# `dondoc check` as a user runs it: diagnostics on stderr followed by a count, one summary
# line on stdout on success, exit 0 (ok, warnings allowed), 1 (invalid roster or file),
# 2 (usage error). The diagnostics themselves must be exactly the corpus's expectations.
set -u
bin="${DONDOC_BIN:?DONDOC_BIN is the directory of the built dondoc}/dondoc"
corpus="${DONDOC_SOURCE_DIR:?}/tests/config/broken"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run NAME: checks one corpus case through the binary, from inside the corpus directory.
run() {
  name=$1
  (cd "$corpus" && "$bin" check --config "$name.toml" >"$tmp/out" 2>"$tmp/err")
  code=$?
  want_code=$(sed -n 's/^exit //p' "$corpus/$name.expected")
  sed '1,/^exit /d' "$corpus/$name.expected" >"$tmp/want"
  [ "$code" = "$want_code" ] || fail "$name: exit $code, expected $want_code"
  if [ "$want_code" = 0 ]; then
    # Warnings on stderr, nothing else; one summary line on stdout.
    diff -u "$tmp/want" "$tmp/err" >"$tmp/diff" || { fail "$name: stderr differs"; cat "$tmp/diff" >&2; }
    [ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "$name: stdout is not one line"
    grep -q "^$name.toml: ok: " "$tmp/out" || fail "$name: no summary line: $(cat "$tmp/out")"
  else
    # Every diagnostic and nothing else (the "N errors" count is for a terminal only);
    # stdout stays empty.
    diff -u "$tmp/want" "$tmp/err" >"$tmp/diff" || { fail "$name: stderr differs"; cat "$tmp/diff" >&2; }
    [ -s "$tmp/out" ] && fail "$name: stdout is not empty: $(cat "$tmp/out")"
  fi
}

for name in minimal-ok ok-with-warnings phone-plus840 syntax-error-include many-files-order vietnamese-columns \
  missing-config dir-as-config binary-garbage include-missing key-in-two-files; do
  run "$name"
done

# The shipped example loads: exit 0, a summary naming its units.
"$bin" check --config "$DONDOC_SOURCE_DIR/examples/quang-ngai-2019/dondoc.toml" >"$tmp/out" 2>"$tmp/err"
code=$?
[ "$code" = 0 ] || fail "example: exit $code: $(cat "$tmp/err")"
grep -q ': ok: 35 units' "$tmp/out" || fail "example: unexpected summary: $(cat "$tmp/out")"

# Usage errors exit 2 and say why on stderr.
"$bin" check --no-such-option >"$tmp/out" 2>"$tmp/err"
code=$?
[ "$code" = 2 ] || fail "unknown option: exit $code, expected 2"
[ -s "$tmp/err" ] || fail "unknown option: nothing on stderr"
"$bin" check --config >"$tmp/out" 2>"$tmp/err"
code=$?
[ "$code" = 2 ] || fail "--config without a value: exit $code, expected 2"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "check_cli_test: ok"
