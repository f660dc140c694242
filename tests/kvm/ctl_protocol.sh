#!/bin/bash
# Control socket protocol: valid requests, malformed JSON, an oversized line,
# unknown commands, concurrent clients, mode 0600; the VM keeps running
# through all of it.
. "$(dirname "$0")/../lib.sh"
need_kvm
command -v python3 >/dev/null || { echo "SKIP: python3 needed to talk to the socket"; exit 77; }

export VMDECK_RUNTIME_DIR=$TMP/run
L=$TMP/lib
cleanup() { "$VMDECK" kill ctl --library "$L" >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT

"$VMDECK" create ctl --template counter --cmdline "rate=20" --library "$L" >/dev/null || fail "create"
"$VMDECK" start ctl --library "$L" || fail "start"
SOCK=$VMDECK_RUNTIME_DIR/ctl/control.sock
[ -S "$SOCK" ] || fail "no control.sock"
expect_eq "$(stat -c %a "$SOCK")" 600 "control.sock mode"
expect_eq "$(stat -c %a "$VMDECK_RUNTIME_DIR/ctl")" 700 "runtime dir mode"

python3 - "$SOCK" <<'PY' || fail "protocol checks"
import json, socket, sys, threading
path = sys.argv[1]

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s, s.makefile("rb")

def ask(s, f, raw):
    s.sendall(raw if isinstance(raw, bytes) else raw.encode())
    line = f.readline()
    assert line.endswith(b"\n"), "reply is a line: %r" % line
    return json.loads(line)

s, f = conn()
r = ask(s, f, '{"id":1,"cmd":"status"}\n')
assert r["ok"] and r["id"] == 1 and r["state"] == "running" and r["name"] == "ctl", r
assert r["cpus"] == 1 and r["memory"] == 64 << 20, r
r = ask(s, f, '{"id":2,"cmd":"stats"}\n')
assert r["ok"] and r["id"] == 2 and len(r["vcpus"]) == 1, r
assert r["vcpus"][0]["tid"] > 0 and "by_reason" in r["vcpus"][0] and "kvm" in r["vcpus"][0], r
# malformed: each gets an error reply, the connection stays usable
for bad in ['{', 'hello', '[1,2]', '{"id":3}', '{"id":3,"cmd":5}', '{"id":3,"cmd":"status"} x',
            '\x00\x01\x02', '{"id":3,"cmd":"status","a":' + '[' * 5000 + '}']:
    r = ask(s, f, bad + '\n')
    assert r["ok"] is False and r["error"], (bad, r)
# unknown command
r = ask(s, f, '{"id":4,"cmd":"format-c"}\n')
assert r["ok"] is False and r["id"] == 4 and "unknown command" in r["error"], r
# screenshot of a VM without a display: an error, not a crash; sendkey
# works (every VM has an i8042) but refuses bad or missing key names
r = ask(s, f, '{"id":5,"cmd":"screenshot","path":"/tmp/x.png"}\n')
assert r["ok"] is False and "no display" in r["error"], r
r = ask(s, f, '{"id":6,"cmd":"sendkey","keys":"a"}\n')
assert r["ok"] is True, r
r = ask(s, f, '{"id":6,"cmd":"sendkey","keys":"ctrl-nosuchkey"}\n')
assert r["ok"] is False and "not a key combination" in r["error"], r
r = ask(s, f, '{"id":6,"cmd":"sendkey","keys":42}\n')
assert r["ok"] is False and "keys" in r["error"], r
r = ask(s, f, '{"id":6,"cmd":"sendkey"}\n')
assert r["ok"] is False, r
# several requests in one write, answered in order
s.sendall(b'{"id":7,"cmd":"status"}\n{"id":8,"cmd":"status"}\n\n{"id":9,"cmd":"status"}\n')
ids = [json.loads(f.readline())["id"] for _ in range(3)]
assert ids == [7, 8, 9], ids
# pause / resume
r = ask(s, f, '{"id":10,"cmd":"pause"}\n'); assert r["ok"] and r["state"] == "paused", r
r = ask(s, f, '{"id":11,"cmd":"status"}\n'); assert r["state"] == "paused", r
r = ask(s, f, '{"id":12,"cmd":"stats"}\n'); assert r["vcpus"][0]["state"] == "paused", r
r = ask(s, f, '{"id":13,"cmd":"resume"}\n'); assert r["ok"] and r["state"] == "running", r

# oversized line: an error reply, then the server drops that client
b, bf = conn()
b.sendall(b'{"id":1,"cmd":"' + b'x' * (70 * 1024))
r = json.loads(bf.readline())
assert r["ok"] is False and "longer" in r["error"], r
try:
    rest = bf.readline()
except ConnectionResetError:  # closed with our unread bytes still queued
    rest = b""
assert rest == b"", "oversized client dropped"

# concurrent clients, each with its own conversation
errors = []
def worker(n):
    try:
        c, cf = conn()
        for i in range(20):
            r = ask(c, cf, json.dumps({"id": n * 100 + i, "cmd": "stats" if i % 2 else "status"}) + "\n")
            assert r["ok"] and r["id"] == n * 100 + i, r
        c.close()
    except Exception as e:
        errors.append(repr(e))
ts = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
assert not errors, errors

# more clients than the cap: the extra ones are refused with a message
held = [conn() for _ in range(15)]
extra, ef = conn()
line = ef.readline()
assert b"too many clients" in line, line
for c, _ in held:
    c.close()
# the first connection still works
r = ask(s, f, '{"id":99,"cmd":"status"}\n')
assert r["ok"] and r["state"] == "running", r
print("protocol ok")
PY
ok "protocol: valid, malformed, oversized, unknown, concurrent, client cap"

# The capped clients' sockets close asynchronously; until the VM process has
# reaped them a status probe can be refused and ls says "starting".
for _ in $(seq 30); do
  "$VMDECK" ls --library "$L" > "$TMP/ls"
  grep -q "ctl .*running" "$TMP/ls" && break
  sleep 0.1
done
expect_grep "ctl .*running" "$TMP/ls" "VM still running after hostile clients"
"$VMDECK" kill ctl --library "$L" || fail "kill"
[ ! -e "$VMDECK_RUNTIME_DIR/ctl" ] || fail "runtime dir left after kill"
ok "kill cleans the runtime dir"
