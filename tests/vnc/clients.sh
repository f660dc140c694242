#!/bin/bash
# Several viewers at once, the client cap, passwords, and the loopback rule.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.inc"

start_demo --scene anim --max-clients 2
"$CLIENT" --port "$PORT" --wait-ms 3000 >"$TMP/a.out" 2>&1 & A=$!
"$CLIENT" --port "$PORT" --wait-ms 3000 >"$TMP/b.out" 2>&1 & B=$!
sleep 1
"$CLIENT" --port "$PORT" --expect-refused --timeout-ms 3000 || fail "third client not refused"
wait $A || fail "client A"; wait $B || fail "client B"
for f in a b; do
  read -r _ n _ < <(grep '^updates' "$TMP/$f.out"); [ "$n" -ge 20 ] || fail "viewer $f: $n updates"
done
"$CLIENT" --port "$PORT" >/dev/null || fail "slot not freed after clients left"
stop_server
expect_grep "clients_refused=1" "$SERVER_OUT" "refusal counted"
ok "two viewers at once, third refused"

start_demo --scene static --password generate
[ ${#PASSWORD} -eq 8 ] || fail "generated password '$PASSWORD'"
"$CLIENT" --port "$PORT" --password "$PASSWORD" >/dev/null || fail "right password refused"
"$CLIENT" --port "$PORT" --password wrongpw1 --expect-refused --timeout-ms 3000 || fail "wrong password accepted"
# Right after a failure every attempt fails for a moment (guessing rate).
"$CLIENT" --port "$PORT" --password "$PASSWORD" --expect-refused --timeout-ms 3000 || fail "no lockout"
sleep 2.2
"$CLIENT" --port "$PORT" --password "$PASSWORD" >/dev/null || fail "lockout did not end"
stop_server
ok "password"

if "$DEMO" --listen 0.0.0.0 --seconds 1 >"$TMP/any.out" 2>&1; then fail "0.0.0.0 without password accepted"; fi
expect_grep "needs a password" "$TMP/any.out" "non-loopback refusal message"
"$DEMO" --listen "127.0.0.1:$PORT" --seconds 1 >/dev/null 2>&1 &
sleep 0.3
if "$DEMO" --listen "127.0.0.1:$PORT" --seconds 1 >"$TMP/busy.out" 2>&1; then fail "port in use accepted"; fi
expect_grep "cannot listen" "$TMP/busy.out" "busy port message"
wait
ok "listen rules"
