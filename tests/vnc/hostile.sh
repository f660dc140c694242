#!/bin/bash
# Hostile clients (HOSTILE-INPUTS.md, "VNC garbage" and "a client that stops
# reading"): each bad one is dropped or harmless, the server survives, and a
# good client connected throughout keeps receiving updates.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.inc"

start_demo --scene anim
"$CLIENT" --port "$PORT" --wait-ms 15000 >"$TMP/good.out" 2>&1 &
GOOD=$!
sleep 0.5
for mode in garbage bad-version unknown-msg cuttext-huge bad-bpp; do
  out=$("$HOSTILE" --port "$PORT" --mode "$mode" --hold-ms 3000)
  echo "$mode: $out"
  case "$out" in dropped*) ;; *) fail "$mode: client not dropped ($out)";; esac
done
for mode in encodings-65535 zero-colour-max fur-huge partial key-flood; do
  out=$("$HOSTILE" --port "$PORT" --mode "$mode" --hold-ms 1000)
  echo "$mode: $out"
  server_alive || fail "server died after $mode"
done
out=$("$HOSTILE" --port "$PORT" --mode noread --hold-ms 8000)
echo "noread: $out"
case "$out" in dropped*) ;; *) fail "non-reading client never dropped ($out)";; esac
wait "$GOOD" || { cat "$TMP/good.out"; fail "good client lost its connection"; }
cat "$TMP/good.out"
read -r _ updates _ _ _ gap < <(grep '^updates' "$TMP/good.out")
[ "$updates" -ge 100 ] || fail "good client got only $updates updates in 15 s"
[ "$gap" -lt 2000 ] || fail "good client stalled $gap ms"
server_alive || fail "server died"
"$CLIENT" --port "$PORT" >/dev/null || fail "new client after the attacks"
stop_server
grep stats "$SERVER_OUT"
ok "hostile clients dropped; good client: $updates updates, max gap $gap ms"
