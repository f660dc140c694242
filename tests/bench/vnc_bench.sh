#!/bin/bash
# VNC output and idle cost: dirty-log rectangles (vmdeck) vs marking the
# whole frame every tick (kvmtool's ui/vnc.c).  Not part of the test suite.
#
#   tests/bench/vnc_bench.sh [BUILD_DIR] [SECONDS]
#
# For each scene (static = idle guest, line = one 16-pixel text line redrawn
# per frame at 30 fps, full = every pixel changes per frame) and each server
# mode, runs display_vncdemo with one libvncclient viewer (default encodings:
# Tight, lossless) connected for SECONDS and prints bytes sent per second,
# FramebufferUpdates sent, and the demo process's CPU time (for "static" the
# drawing thread sleeps, so that is the VNC server's own cost).
set -u
BUILD=${1:-build}
SECS=${2:-10}
T="$BUILD/tests/tools"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
printf '%-7s %-11s %12s %9s %9s %8s\n' scene mode bytes/s updates cpu_ms cpu_%
for scene in static line full; do
  for mode in dirty full-frame; do
    extra=(); [ "$mode" = full-frame ] && extra=(--full-frame)
    "$T/display_vncdemo" --listen 127.0.0.1 --scene "$scene" --seconds $((SECS + 1)) "${extra[@]}" >"$TMP/s.out" 2>&1 &
    pid=$!
    for _ in $(seq 50); do grep -q vnc:// "$TMP/s.out" && break; sleep 0.1; done
    port=$(sed -n 's|.*vnc://[0-9.]*:\([0-9]*\).*|\1|p' "$TMP/s.out")
    "$T/vncclient_check" --port "$port" --wait-ms $((SECS * 1000 - 500)) >"$TMP/c.out" 2>&1
    wait $pid
    line=$(grep '^stats' "$TMP/s.out")
    get() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    bytes=$(get bytes_sent); upd=$(get updates_sent); cpu=$(get cpu_ms)
    printf '%-7s %-11s %12d %9d %9d %7.2f%%\n' "$scene" "$mode" $((bytes / SECS)) "$upd" "$cpu" \
      "$(echo "scale=2; $cpu / ($SECS + 1) / 10" | bc)"
  done
done
