#!/usr/bin/env bash
# Sending benchmark: N emails to the local SMTP sink and N SMS to the local gateway
# through dondoc's transports (send_bench), next to the sink's own limit with a plain
# client (smtp_blast.py) and next to Prometheus Alertmanager sending the same number of
# emails to the same sink (when /usr/bin/prometheus-alertmanager is installed:
# apt-get install prometheus-alertmanager). Everything listens on 127.0.0.1 only.
#
#   bench/send_bench.sh [BUILD_DIR] [N]        (defaults: build/release, 10000)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build/release}
N=${2:-10000}
WORK=$(mktemp -d /tmp/dondoc-send-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_port() {  # FILE -> prints the first line once it is there
  for _ in $(seq 100); do
    if [[ -s $1 ]]; then head -1 "$1"; return; fi
    sleep 0.1
  done
  echo "server did not start ($1)" >&2
  exit 1
}

start_sink() {  # NAME -> sets SINK to its port (not in a subshell: PIDS must be kept)
  /usr/bin/python3 "$SRC/tests/servers/smtp_server.py" --outdir "$WORK/$1" --no-store --lifetime 1800 \
    >"$WORK/$1.port" 2>"$WORK/$1.err" &
  PIDS+=($!)
  SINK=$(wait_port "$WORK/$1.port")
}

count() { [[ -f $WORK/$1/received.jsonl ]] && wc -l <"$WORK/$1/received.jsonl" || echo 0; }

echo "== dondoc transports: $N emails, $N SMS, one io_context thread"
start_sink dondoc
/usr/bin/python3 "$SRC/tests/servers/sms_gateway.py" --lifetime 1800 >"$WORK/gw.port" 2>"$WORK/gw.err" &
PIDS+=($!)
GW=$(wait_port "$WORK/gw.port")
/usr/bin/time -f "send_bench: %e s wall, %U s user, %S s sys, max RSS %M KB" \
  "$BUILD/bench/send_bench" --smtp-port "$SINK" --gateway-port "$GW" --emails "$N" --sms "$N"
echo "sink received: $(count dondoc)"

echo "== the sink's own limit: plain smtplib client, 8 connections"
start_sink plain
"$BUILD/bench/send_bench" --dump-email "$WORK/one.eml"
/usr/bin/python3 "$SRC/bench/smtp_blast.py" "$SINK" "$WORK/one.eml" "$N" 8
echo "sink received: $(count plain)"

if [[ -x /usr/bin/prometheus-alertmanager ]]; then
  echo "== Prometheus Alertmanager: $N alerts, one email each, same sink"
  start_sink am
  AMPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$WORK/am.yml" <<EOF
global:
  smtp_smarthost: '127.0.0.1:$SINK'
  smtp_from: 'dondoc@snv.example'
  smtp_require_tls: false
route:
  receiver: mail
  group_by: ['key']
  group_wait: 0s
  group_interval: 1h
  repeat_interval: 24h
receivers:
  - name: mail
    email_configs:
      - to: 'binh.tv@stc.example'
        send_resolved: false
        headers:
          Subject: '[Nhắc hạn] Sở Tài chính — Báo cáo 6 tháng — hạn thứ Sáu, 14/06/2019 ({{ .CommonLabels.key }})'
EOF
  /usr/bin/prometheus-alertmanager --config.file="$WORK/am.yml" --storage.path="$WORK/am-data" \
    --web.listen-address="127.0.0.1:$AMPORT" --cluster.listen-address= --log.level=warn \
    >"$WORK/am.log" 2>&1 &
  AMPID=$!
  PIDS+=($AMPID)
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$AMPORT/-/ready" >/dev/null && break
    sleep 0.1
  done
  /usr/bin/python3 - "$AMPORT" "$N" "$WORK/am" "$AMPID" <<'EOF'
import json, sys, time, urllib.request
port, n, outdir, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def rss():
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
def cpu():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / 100.0
def received():
    try:
        return sum(1 for _ in open(outdir + "/received.jsonl"))
    except OSError:
        return 0
cpu0 = cpu()
t0 = time.monotonic()
batch = 500
for start in range(0, n, batch):
    alerts = [{"labels": {"alertname": "Reminder", "key": "k%06d" % i},
               "annotations": {"summary": "Sở Tài chính — Báo cáo 6 tháng — hạn thứ Sáu, 14/06/2019"}}
              for i in range(start, min(n, start + batch))]
    req = urllib.request.Request("http://127.0.0.1:%s/api/v2/alerts" % port, json.dumps(alerts).encode(),
                                 {"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=60).read()
posted = time.monotonic() - t0
last, stalled = received(), time.monotonic()
while received() < n and time.monotonic() - stalled < 60:
    time.sleep(0.2)
    if received() != last:
        last, stalled = received(), time.monotonic()
dt = time.monotonic() - t0
got = received()
print("alertmanager: %d of %d emails received, %.2f s (alerts posted in %.2f s), %.0f msg/s, "
      "cpu %.2f s, peak RSS %.1f MB" % (got, n, dt, posted, got / dt, cpu() - cpu0, rss() / 1024.0))
EOF
else
  echo "== Prometheus Alertmanager: not installed (apt-get install prometheus-alertmanager)"
fi
