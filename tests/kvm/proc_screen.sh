#!/bin/bash
# A running VM's screen and keyboard from the command line: `vmdeck sendkey`
# types into the gfx guest (it echoes keys on COM1, read through `vmdeck
# console`), `vmdeck screenshot` saves its screen as a PNG; serial input
# through the console socket reaches a guest that reads it (hello echo=1).
. "$(dirname "$0")/../lib.sh"
need_kvm

export VMDECK_RUNTIME_DIR=$TMP/run
L=$TMP/lib
cleanup() {
  for n in g h; do "$VMDECK" kill $n --library "$L" >/dev/null 2>&1; done
  rm -rf "$TMP"
}
trap cleanup EXIT
v() { "$VMDECK" "$@" --library "$L"; }
# console_until NAME PATTERN: collect console output until PATTERN shows up.
console_until() {
  for _ in $(seq 100); do
    timeout 2 "$VMDECK" console "$1" --library "$L" </dev/null >"$TMP/con.$1" 2>&1
    grep -q -- "$2" "$TMP/con.$1" && return 0
    sleep 0.1
  done
  cat "$TMP/con.$1"; fail "console of $1: '$2' never appeared"
}

v create g --template gfx --cmdline "scene=static" >/dev/null || fail "create g"
v start g >/dev/null || fail "start g"
console_until g "gfx: ready"

v sendkey g h || fail "sendkey h"
v sendkey g shift-i || fail "sendkey shift-i"
v sendkey g ret || fail "sendkey ret"
console_until g "key: enter"
expect_grep "key: h" "$TMP/con.g" "sendkey h echoed"
expect_grep "key: I" "$TMP/con.g" "sendkey shift-i echoed as I"
v sendkey g nosuchkey 2>"$TMP/err" && fail "unknown key accepted"
expect_grep "not a key combination" "$TMP/err" "unknown key message"
ok "sendkey"

v screenshot g "$TMP/g.png" || fail "screenshot"
file "$TMP/g.png" | grep -q "PNG image data, 1024 x 768" || fail "screenshot: $(file "$TMP/g.png")"
( cd "$TMP" && v screenshot g rel.png ) || fail "screenshot to a relative path"
[ -s "$TMP/rel.png" ] || fail "relative screenshot path not honoured"
v screenshot g /nonexistent/dir/x.png 2>"$TMP/err" && fail "screenshot into a missing dir"
ok "screenshot"

v create h --template hello --cmdline "echo=1" >/dev/null || fail "create h"
v start h >/dev/null || fail "start h"
console_until h "echo mode"
v screenshot h "$TMP/h.png" 2>"$TMP/err" && fail "screenshot of a VM without display"
expect_grep "no display" "$TMP/err" "no-display message"
printf 'typed into the console\n' | timeout 5 "$VMDECK" console h --library "$L" >/dev/null 2>&1
console_until h "echo: typed into the console"
ok "console input reaches the guest"
v stop g >/dev/null || fail "stop g"
v kill h >/dev/null 2>&1
# A starter with its stdio closed (cron, some daemons) still gets its answer.
"$VMDECK" start g --library "$L" <&- >&- 2>&- || fail "start with stdin/stdout/stderr closed"
expect_eq "$(v ls | awk '$1 == "g" { print $2 }')" running "state after a start with closed stdio"
v kill g >/dev/null 2>&1
echo "1 passed, 0 failed"
