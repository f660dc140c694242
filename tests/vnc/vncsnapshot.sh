#!/bin/bash
# A third-party client (Debian's vncsnapshot) captures the screen: right
# size, not blank.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.inc"
command -v vncsnapshot >/dev/null || { echo "SKIP: vncsnapshot not installed"; exit 77; }

start_demo --scene anim
# vncsnapshot takes a display number relative to 5900.
timeout 30 vncsnapshot -quiet -allowblank "127.0.0.1::$PORT" "$TMP/shot.jpg" >"$TMP/snap.out" 2>&1 \
  || { cat "$TMP/snap.out"; fail "vncsnapshot failed"; }
stop_server
info=$(file "$TMP/shot.jpg")
echo "$info" | grep -q '1024x768' || fail "snapshot size: $info"
# A blank 1024x768 JPEG is a few KB; the demo's noisy background is far more.
size=$(stat -c %s "$TMP/shot.jpg")
[ "$size" -gt 50000 ] || fail "snapshot looks blank ($size bytes)"
if command -v convert >/dev/null; then
  sd=$(convert "$TMP/shot.jpg" -colorspace gray -format '%[fx:standard_deviation]' info: 2>/dev/null)
  if [ -n "$sd" ]; then
    echo "grey standard deviation: $sd"
    awk -v s="$sd" 'BEGIN { exit !(s > 0.05) }' || fail "snapshot is flat (sd $sd)"
  fi
fi
ok "vncsnapshot 1024x768, $size bytes"
