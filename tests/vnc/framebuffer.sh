#!/bin/bash
# A libvncclient viewer receives the framebuffer byte for byte (every
# lossless encoding), and its keys and pointer reach the input callbacks as
# PS/2 set 2 codes and relative motion.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.inc"

start_demo --scene static --log-input --png-on-exit "$TMP/server.png"
for enc in "" raw tight zrle hextile zlib; do
  "$CLIENT" --port "$PORT" ${enc:+--encodings "$enc"} --save "$TMP/client$enc.png" >"$TMP/c.out" 2>&1 \
    || { cat "$TMP/c.out"; fail "client ($enc) failed"; }
  expect_grep "size 1024x768" "$TMP/c.out" "screen size ($enc)"
done
"$CLIENT" --port "$PORT" --type 'aB!' --key 0xff52 --pointer 100,100,0 --pointer 110,95,1 \
  --pointer 110,95,0 --pointer 110,95,16 --pointer 110,95,0 --wait-ms 300 >"$TMP/c.out" 2>&1 \
  || { cat "$TMP/c.out"; fail "input client failed"; }
sleep 0.3
stop_server
for enc in "" raw tight zrle hextile zlib; do
  "$CLIENT" --compare-files "$TMP/client$enc.png" "$TMP/server.png" >"$TMP/cmp.out" || { cat "$TMP/cmp.out"; fail "pixels differ ($enc)"; }
done
ok "framebuffer identical over 6 encodings"

# 'a' = 1C; 'B' = Shift(12) + 32; '!' = Shift + the '1' key (16); Up = E0 75.
keys=$(grep '^key' "$SERVER_OUT" | tr '\n' '|')
expect_eq "$keys" "key 1c|key f0 1c|key 12|key 32|key f0 32|key f0 12|key 12|key 16|key f0 16|key f0 12|key e0 75|key e0 f0 75|" "set 2 sequence"
ok "keys"
ptr=$(grep '^pointer' "$SERVER_OUT" | tr '\n' '|')
# first event only sets the position; then +10,-5 with left down; release;
# wheel down = dz +1.
expect_eq "$ptr" "pointer 10 -5 0 1|pointer 0 0 0 0|pointer 0 0 1 0|" "pointer events"
ok "pointer"
