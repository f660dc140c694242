#!/bin/bash
# Guest mode change: the viewer follows (NewFBSize) and the pixels after the
# change are exact; a mode larger than the window is refused.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.inc"

start_demo --scene static --resize-after-ms 800 --resize 800x600 --png-on-exit "$TMP/server.png"
"$CLIENT" --port "$PORT" --wait-ms 2000 --save "$TMP/client.png" >"$TMP/c.out" 2>&1 || { cat "$TMP/c.out"; fail "client"; }
stop_server
expect_grep "resize 800x600: ok" "$SERVER_OUT" "resize accepted"
"$CLIENT" --compare-files "$TMP/client.png" "$TMP/server.png" || fail "pixels after resize"
ok "resize 1024x768 -> 800x600"
