#!/bin/bash
# The real thing: vmdeck runs the gfx guest with its framebuffer served over
# VNC. A libvncclient client receives the full framebuffer (byte-identical
# to vmdeck's own --screenshot-on-exit PNG), types keys that the guest echoes
# on COM1, clicks and sees the click report; Debian's vncsnapshot captures
# the screen; a hostile client does not disturb the VM.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.inc"
need_kvm

SERIAL="$TMP/serial.out"
SERVER_OUT="$TMP/server.out"
"$VMDECK" run "$VMDECK_SOURCE_DIR/configs/gfx.ini" --cmdline "scene=static" --vnc 127.0.0.1 \
  --timeout 120 --screenshot-on-exit "$TMP/exit.png" >"$SERIAL" 2>"$SERVER_OUT" &
SERVER_PID=$!
trap 'kill -9 $SERVER_PID 2>/dev/null; rm -rf "$TMP"' EXIT
wait_address
for _ in $(seq 200); do grep -q "gfx: ready" "$SERIAL" && break; sleep 0.1; done
expect_grep "gfx: framebuffer 1024x768x32 pitch 4096 at 0xe0000000 (multiboot)" "$SERIAL" \
  "framebuffer announced through Multiboot"
expect_grep "gfx: ready" "$SERIAL" "guest ready"

# Keys: VNC keysyms -> set 2 -> i8042 (translated to set 1) -> guest -> COM1.
"$CLIENT" --port "$PORT" --type "vm" --key 0xff0d --wait-ms 300 >"$TMP/keys.out" 2>&1 \
  || { cat "$TMP/keys.out"; fail "client typing"; }
for _ in $(seq 50); do grep -q "key: enter" "$SERIAL" && break; sleep 0.1; done
expect_grep "key: v" "$SERIAL" "typed v echoed"
expect_grep "key: m" "$SERIAL" "typed m echoed"
expect_grep "key: enter" "$SERIAL" "Return echoed"
ok "keyboard"

# Pointer: absolute positions -> relative PS/2 packets; press and release left.
"$CLIENT" --port "$PORT" --pointer 600,500,0 --pointer 640,520,0 --pointer 640,520,1 \
  --pointer 640,520,0 --wait-ms 300 >"$TMP/ptr.out" 2>&1 || { cat "$TMP/ptr.out"; fail "client pointer"; }
for _ in $(seq 50); do grep -q "click: left" "$SERIAL" && break; sleep 0.1; done
expect_grep "click: left" "$SERIAL" "click reported"
ok "mouse"

# A hostile client is dropped; the VM and the next client carry on.
"$HOSTILE" --port "$PORT" --mode garbage >/dev/null 2>&1 || true
server_alive || fail "vmdeck died after a hostile client"

# Let the guest finish drawing (static scene: nothing changes now), then
# grab the framebuffer over VNC, stop the VM and compare with its own PNG.
sleep 1
"$CLIENT" --port "$PORT" --save "$TMP/client.png" --wait-ms 1000 >"$TMP/fb.out" 2>&1 \
  || { cat "$TMP/fb.out"; fail "client framebuffer"; }
expect_grep "size 1024x768" "$TMP/fb.out" "client sees 1024x768"

if command -v vncsnapshot >/dev/null; then
  timeout 30 vncsnapshot -quiet -allowblank "127.0.0.1::$PORT" "$TMP/shot.jpg" >"$TMP/snap.out" 2>&1 \
    || { cat "$TMP/snap.out"; fail "vncsnapshot failed"; }
  file "$TMP/shot.jpg" | grep -q '1024x768' || fail "vncsnapshot size: $(file "$TMP/shot.jpg")"
  [ "$(stat -c %s "$TMP/shot.jpg")" -gt 10000 ] || fail "vncsnapshot image looks blank"
  ok "vncsnapshot"
else
  fail "vncsnapshot not installed (bash .ci/setup installs it)"
fi

kill -INT $SERVER_PID
st=0; wait $SERVER_PID || st=$?
expect_eq "$st" 130 "vmdeck run status after SIGINT"
[ -s "$TMP/exit.png" ] || fail "no --screenshot-on-exit PNG"
"$CLIENT" --compare-files "$TMP/client.png" "$TMP/exit.png" || fail "VNC framebuffer differs from the PNG"
ok "VNC framebuffer == screenshot PNG, pixel for pixel"
echo "1 passed, 0 failed"
