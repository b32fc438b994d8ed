#!/usr/bin/env bash
# Installs the Debian 12 packages dondoc needs. Idempotent: only what is missing is
# installed, so running it on a prepared machine costs a second.
#   scripts/install-deps.sh          build dependencies
#   scripts/install-deps.sh --test   build + test dependencies (servers, browser, readers)
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config git ca-certificates tzdata
  libboost1.81-dev libcurl4-openssl-dev libsqlite3-dev libspdlog-dev libfmt-dev
  libtomlplusplus-dev doctest-dev libhowardhinnant-date-dev libicu-dev
  libgmime-3.0-dev libssl-dev libcli11-dev nlohmann-json3-dev libxlsxwriter-dev
  libsystemd-dev
)
test_pkgs=(
  python3 python3-aiosmtpd python3-openpyxl python3-icalendar python3-prometheus-client
  dovecot-imapd sqlite3 chromium clang-14 libclang-rt-14-dev wrk openssl procps faketime
)

want=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
