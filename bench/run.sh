#!/usr/bin/env bash
# End-to-end benchmark on loopback: the same load against
#   a) Caddy reverse_proxy alone,
#   b) Caddy + biohook entrust (RFC 9421 + normalise) + reverse_proxy,
#   c) b with dedupe (memory store),
#   d) biohook authenteq with four 1 MiB images,
#   e) b with durable delivery on a bbolt spool (the vendor is answered once
#      the event is fsync'd; delivery to the upstream follows),
#   f) b with durable delivery on Redis (append-only file, fsync always),
#      when redis-server is installed,
# each to the same trivial upstream. Every run is bounded in time and count
# and stops by itself. Usage: bench/run.sh [seconds per scenario] [concurrency]
# (ONLY="a b" runs just those scenarios).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conc=${2:-16}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/caddy" ./cmd/caddy
go build -o "$work/upstream" ./bench/upstream
go build -o "$work/load" ./bench/load
"$work/upstream" -listen 127.0.0.1:19100 &
sleep 0.5

scenario() { # name, Caddyfile route body, load args...
	local name=$1 route=$2
	shift 2
	# ONLY="a b" runs just those scenarios.
	if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" ${name%%_*} "* ]]; then
		return 0
	fi
	cat >"$work/Caddyfile" <<CADDY
{
	admin off
	auto_https off
	log {
		level ERROR
	}
}
http://127.0.0.1:19080 {
	$route
}
CADDY
	"$work/caddy" run --config "$work/Caddyfile" >"$work/caddy.log" 2>&1 &
	local pid=$!
	for _ in $(seq 50); do curl -s -o /dev/null 127.0.0.1:19080 && break; sleep 0.1; done
	local rss_log="$work/rss-$name"
	# Written aside and moved, so that the sample taken as the process exits
	# (an empty read) never replaces the last good one.
	( while kill -0 $pid 2>/dev/null; do
		grep VmHWM /proc/$pid/status >"$rss_log.new" 2>/dev/null && mv "$rss_log.new" "$rss_log"
		sleep 0.2
	done ) &
	local out ticks requests
	out=$("$work/load" -d "${secs}s" -c "$conc" "$@")
	# Caddy's own CPU time (user + system), per request: steadier than
	# requests/s when the load generator and upstream share the cores.
	ticks=$(awk '{print $14 + $15}' /proc/$pid/stat)
	requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$out")
	kill $pid; wait $pid 2>/dev/null || true
	echo "$name: $out peak_rss=$(awk '{print $2 $3}' "$rss_log" 2>/dev/null)" \
		"caddy_cpu_per_request=$(awk -v t="$ticks" -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0fus", t / hz / n * 1e6 }')"
}

scenario a_plain "reverse_proxy 127.0.0.1:19100" -vendor plain -url http://127.0.0.1:19080/hooks/entrust
scenario b_entrust "biohook entrust {
		secret bench-secret-0123456
	}
	reverse_proxy 127.0.0.1:19100" -vendor entrust -secret bench-secret-0123456 -url http://127.0.0.1:19080/hooks/entrust
if grep -q 'dedupe' caddyfile.go; then
	scenario c_entrust_dedupe "biohook entrust {
		secret bench-secret-0123456
		dedupe {
			store memory
		}
	}
	reverse_proxy 127.0.0.1:19100" -vendor entrust -secret bench-secret-0123456 -url http://127.0.0.1:19080/hooks/entrust
fi
if [ -f vendors/authenteq.go ]; then
	scenario d_authenteq_4x1MiB "biohook authenteq {
		client_id bench-client
		secret bench-secret-0123456
	}
	reverse_proxy 127.0.0.1:19100" -vendor authenteq -secret bench-secret-0123456 -client-id bench-client -url http://127.0.0.1:19080/hooks/authenteq
fi
if grep -q 'durable' caddyfile.go; then
	scenario e_entrust_durable_bolt "biohook entrust {
		secret bench-secret-0123456
		durable {
			spool bolt $work/spool.db
		}
	}
	reverse_proxy 127.0.0.1:19100" -vendor entrust -secret bench-secret-0123456 -url http://127.0.0.1:19080/hooks/entrust
	if command -v redis-server >/dev/null 2>&1; then
		mkdir -p "$work/redis"
		redis-server --port 19379 --bind 127.0.0.1 --save "" --appendonly yes --appendfsync always \
			--dir "$work/redis" --daemonize yes --pidfile "$work/redis/pid" >/dev/null
		trap 'kill "$(cat "$work/redis/pid" 2>/dev/null)" 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
		sleep 0.3
		scenario f_entrust_durable_redis "biohook entrust {
		secret bench-secret-0123456
		durable {
			spool redis redis://127.0.0.1:19379
		}
	}
	reverse_proxy 127.0.0.1:19100" -vendor entrust -secret bench-secret-0123456 -url http://127.0.0.1:19080/hooks/entrust
	fi
fi
