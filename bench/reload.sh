#!/usr/bin/env bash
# Counts the connections reset while Caddy reloads under load, in front of
# reverse_proxy alone and in front of a biohook route: 4 senders, a new
# connection per request, a reload every 500 ms. Usage: bench/reload.sh [reloads]
set -euo pipefail
cd "$(dirname "$0")/.."
reloads=${1:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/caddy" ./cmd/caddy
go build -o "$work/reload" ./bench/reload
for mode in plain biohook plain biohook; do
	"$work/reload" -mode "$mode" -reloads "$reloads" -caddy "$work/caddy" -body testdata/faceio/auth.json
done
