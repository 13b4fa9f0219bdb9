#!/usr/bin/env bash
# Scenarios a) and b) of run.sh, interleaved, each a fixed 20,000 requests:
# prints, per run, requests/s and Caddy's own CPU time (user + system) per
# request. Interleaving and a fixed count make the comparison steadier than
# run.sh's timed runs on a machine whose neighbours come and go.
# Usage: bench/ab.sh [pairs]
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-6}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/caddy" ./cmd/caddy
go build -o "$work/upstream" ./bench/upstream
go build -o "$work/load" ./bench/load
"$work/upstream" -listen 127.0.0.1:19100 &
sleep 0.5
hz=$(getconf CLK_TCK)

run() { # scenario, route, load vendor
	printf '{\n\tadmin off\n\tauto_https off\n\tlog {\n\t\tlevel ERROR\n\t}\n}\nhttp://127.0.0.1:19080 {\n\t%s\n}\n' "$2" >"$work/Caddyfile"
	"$work/caddy" run --config "$work/Caddyfile" >/dev/null 2>&1 &
	local pid=$!
	for _ in $(seq 50); do curl -s -o /dev/null 127.0.0.1:19080 && break; sleep 0.1; done
	local out ticks
	out=$("$work/load" -d 60s -n 20000 -c 16 -vendor "$3" -secret bench-secret-0123456 -url http://127.0.0.1:19080/hooks/entrust)
	ticks=$(awk '{print $14 + $15}' /proc/$pid/stat)
	kill $pid
	wait $pid 2>/dev/null || true
	echo "$1: $out caddy_cpu_per_request=$(awk -v t="$ticks" -v hz="$hz" 'BEGIN { printf "%.0fus", t / hz / 20000 * 1e6 }')"
}

for _ in $(seq "$pairs"); do
	run a_plain "reverse_proxy 127.0.0.1:19100" plain
	run b_entrust "biohook entrust {
		secret bench-secret-0123456
	}
	reverse_proxy 127.0.0.1:19100" entrust
done
