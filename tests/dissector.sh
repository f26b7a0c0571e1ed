#!/bin/sh
# dissector.sh: checks tools/wireshark/impcert.lua with the real tshark.
# Run by tests/check.sh after the conformance run (env BUILD set): it
# decrypts the TLS captures that run left in $BUILD/check-captures (ID.pcap
# + ID.keys) and checks the decoded impcert fields against what the boot
# plugin sent (plugins/boot/boot.c), then feeds the dissector a synthetic
# plain-TCP capture (split frames, garbage, oversized and empty frames,
# deep Values, the jig protocol). Every tshark run must leave no Lua error
# on stderr nor as _ws.lua.error. Prints one line per check and ends with
# "N passed, N failed"; exits non-zero on any failure.
set -u
B=${BUILD:-build}
CAPS=$B/check-captures
LUA=tools/wireshark/impcert.lua
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dissector.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; }
# check COND-STATUS MESSAGE: ok if the previous command succeeded.
check() {
  st=$1; shift
  if [ "$st" -eq 0 ]; then ok "$*"; else bad "$*"; fi
}
TAB=$(printf '\t')

finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
  exit $?
}

if ! command -v tshark >/dev/null 2>&1; then
  bad "tshark is not installed (Debian package tshark)"
  finish
fi

# lua_clean NAME ERRFILE: the run whose stderr is ERRFILE loaded the script
# and raised no Lua error.
lua_clean() {
  if grep -q "Lua:" "$2"; then
    bad "$1: tshark reported a Lua error: $(grep "Lua:" "$2" | head -n 2)"
  else
    ok "$1: no Lua error on stderr"
  fi
}

# server_port ID: tcp.dstport of the first SYN of capture ID.
server_port() {
  tshark -r "$CAPS/$1.pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' \
    -T fields -e tcp.dstport 2>/dev/null | head -n 1
}

# decode ID FILTER FIELD...: decrypted impcert fields of capture ID, one
# line per frame, tab-separated; stderr in $TMP/ID.err.
decode() {
  id=$1; filter=$2; shift 2
  port=$(server_port "$id")
  set -- -T fields -E separator=/t -E occurrence=a "$@"
  tshark -r "$CAPS/$id.pcap" -o "tls.keylog_file:$CAPS/$id.keys" \
    -d "tcp.port==$port,tls" -X "lua_script:$LUA" -Y "$filter" "$@" \
    2>>"$TMP/$id.err"
}

# --- registration ----------------------------------------------------------
tshark -G fields -X "lua_script:$LUA" >"$TMP/fields" 2>"$TMP/fields.err"
lua_clean "tshark -G fields" "$TMP/fields.err"
for f in impcert.kind impcert.frame.length impcert.activation.plan_id \
         impcert.device_state.wake_reason impcert.code_hash.sha256 \
         impcert.cloud_answer.match impcert.log.text impjig.kind; do
  cut -f 3 "$TMP/fields" | grep -qx "$f"
  check $? "tshark -G fields lists $f"
done

# --- the conformance run's captures ----------------------------------------
for id in BOOT-001 BOOT-004 WIRE-002 WIRE-003; do
  if [ ! -s "$CAPS/$id.pcap" ] || [ ! -s "$CAPS/$id.keys" ]; then
    bad "$CAPS/$id.pcap or .keys is missing (run the conformance run first)"
  fi
done

# BOOT-001: the device's first message is the activation request with the
# values the jig's BlinkUp delivered.
boot=plugins/boot/boot.c
plan=$(sed -n 's/^#define PLAN "\(.*\)"$/\1/p' "$boot")
token=$(sed -n 's/^#define TOKEN "\(.*\)"$/\1/p' "$boot")
code=$(sed -n 's/^#define CODE "\(.*\)"$/\1/p' "$boot" | sed 's/\\"/"/g')
if [ -z "$plan" ] || [ -z "$token" ] || [ -z "$code" ]; then
  bad "could not read PLAN, TOKEN and CODE from $boot"
fi
if [ -s "$CAPS/BOOT-001.pcap" ]; then
  port=$(server_port BOOT-001)
  first=$(decode BOOT-001 "impcert && tcp.srcport != $port" \
    -e impcert.kind -e impcert.activation.plan_id \
    -e impcert.activation.enrollment_token -e impcert.frame.number \
    | head -n 1)
  kind=$(printf '%s\n' "$first" | cut -f 1)
  [ "$kind" = ActivationRequest ]
  check $? "BOOT-001: first device message is ActivationRequest (got '$kind')"
  got=$(printf '%s\n' "$first" | cut -f 2)
  [ -n "$plan" ] && [ "$got" = "$plan" ]
  check $? "BOOT-001: impcert.activation.plan_id is '$plan' (got '$got')"
  got=$(printf '%s\n' "$first" | cut -f 3)
  [ -n "$token" ] && [ "$got" = "$token" ]
  check $? "BOOT-001: enrollment_token is '$token' (got '$got')"
  got=$(printf '%s\n' "$first" | cut -f 4)
  [ "$got" = 1 ]
  check $? "BOOT-001: it is impcert.frame.number 1 (got '$got')"
  lua_clean BOOT-001 "$TMP/BOOT-001.err"
fi

# BOOT-004: the cloud deploys code (match false, code + its hash) and the
# device reports the SHA-256 of that code after its reboot.
if [ -s "$CAPS/BOOT-004.pcap" ]; then
  want=$(printf '%s' "$code" | sha256sum | cut -d ' ' -f 1)
  want_code=$(printf '%s' "$code" | od -An -v -tx1 | tr -d ' \n')
  decode BOOT-004 impcert.cloud_answer -e impcert.cloud_answer.match \
    -e impcert.cloud_answer.code -e impcert.cloud_answer.code_hash \
    >"$TMP/answer"
  grep -Eq "^(0|False)${TAB}" "$TMP/answer"
  check $? "BOOT-004: a CloudAnswer with match false"
  awk -F '\t' -v c="$want_code" -v h="$want" \
    '$2 == c && $3 == h { found = 1 } END { exit !found }' "$TMP/answer"
  check $? "BOOT-004: the CloudAnswer carries the code and its SHA-256"
  decode BOOT-004 impcert.code_hash -e impcert.code_hash.sha256 \
    | tr ',' '\n' >"$TMP/hashes"
  grep -qx "$want" "$TMP/hashes"
  check $? "BOOT-004: a CodeHash equal to sha256(CODE) = $want"
  grep -qx '0000000000000000000000000000000000000000000000000000000000000000' \
    "$TMP/hashes"
  check $? "BOOT-004: a CodeHash of 32 zero bytes before the deployment"
  lua_clean BOOT-004 "$TMP/BOOT-004.err"
fi

# WIRE-002 / WIRE-003: the cloud's bad frames are flagged, not Lua errors.
if [ -s "$CAPS/WIRE-002.pcap" ]; then
  n=$(decode WIRE-002 impcert.oversized -e frame.number | wc -l)
  [ "$n" -ge 1 ]
  check $? "WIRE-002: the oversized frame is flagged impcert.oversized"
  lua_clean WIRE-002 "$TMP/WIRE-002.err"
fi
if [ -s "$CAPS/WIRE-003.pcap" ]; then
  n=$(decode WIRE-003 impcert.malformed -e frame.number | wc -l)
  [ "$n" -ge 1 ]
  check $? "WIRE-003: the garbage frame is flagged impcert.malformed"
  lua_clean WIRE-003 "$TMP/WIRE-003.err"
fi

# No capture of the run makes the script fail. One tshark run over all of
# them merged (a tshark start costs seconds on a loaded machine); only when
# it finds an error are the captures run one by one to name the culprit.
nerr=0
set --
for p in "$CAPS"/*.pcap; do
  case $p in *.app.pcap) continue ;; esac
  [ -s "${p%.pcap}.keys" ] && set -- "$@" "$p"
done
if [ $# -gt 0 ]; then
  mergecap -F pcapng -w "$TMP/all.pcapng" "$@" 2>"$TMP/merge.err"
  check $? "mergecap joins the $# TLS captures of $CAPS"
  for p in "$@"; do cat "${p%.pcap}.keys"; done >"$TMP/all.keys"
  dports=$(tshark -r "$TMP/all.pcapng" \
    -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields -e tcp.dstport \
    2>/dev/null | sort -u)
  set --
  for port in $dports; do set -- "$@" -d "tcp.port==$port,tls"; done
  n=$(tshark -r "$TMP/all.pcapng" -o "tls.keylog_file:$TMP/all.keys" "$@" \
    -X "lua_script:$LUA" -Y _ws.lua.error -T fields -e frame.number \
    2>"$TMP/all.err" | wc -l)
  if [ "$n" -ne 0 ] || grep -q "Lua:" "$TMP/all.err"; then
    for p in "$CAPS"/*.pcap; do
      id=$(basename "$p" .pcap)
      [ -s "$CAPS/$id.keys" ] || continue
      n=$(decode "$id" _ws.lua.error -e frame.number | wc -l)
      if [ "$n" -ne 0 ] || grep -q "Lua:" "$TMP/$id.err"; then
        bad "$id: $n frames with _ws.lua.error"
        nerr=$((nerr + 1))
      fi
    done
    [ "$nerr" -gt 0 ] || nerr=1
  fi
fi
[ "$nerr" -eq 0 ]
check $? "no _ws.lua.error in any capture of $CAPS"

# --- a synthetic plain-TCP capture -----------------------------------------
# Stream 1 (40000 -> 40001, found by the "tcp" heuristic): a Log, an
# AgentMessage split over three segments, a Value nested 33 deep, an empty
# frame, garbage, then an oversized length. Stream 2 (40002 -> 40003,
# Decode As impjig): Hello and Led.
/usr/bin/python3 - "$TMP/syn.pcap" <<'PY'
import struct, sys

def varint(n):
    out = b''
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])

def ld(field, body):
    return varint(field << 3 | 2) + varint(len(body)) + body

def frame(body):
    return struct.pack('!I', len(body)) + body

def tcp(sport, dport, seq, ack, flags, data):
    h = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags,
                    65535, 0, 0)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40 + len(data), 1, 0, 64, 6,
                     0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    return b'\0' * 12 + b'\x08\x00' + ip + h + data

log = frame(ld(6, b'\x08\x01' + ld(2, b'hi')))
agent = frame(ld(7, ld(1, b't') + ld(2, b'\x18\x05') + b'\x18\x07'))
deep = b'\x08\x01'
for _ in range(33):
    deep = ld(7, ld(1, deep))      # Value{array{items: ...}}
deep = frame(ld(7, ld(1, b'd') + ld(2, deep)))
s1 = [log + agent[:3], agent[3:9], agent[9:], deep,
      b'\0\0\0\0' + frame(b'\xff' * 6), b'\x00\x04\x00\x01']
hello = frame(ld(1, ld(1, b'imp001') + ld(2, b'38.0')))
led = frame(ld(3, b'\x08\x01\x10\x01'))
s2 = [hello + led]

pk = []
for (c, s, segs) in ((40000, 40001, s1), (40002, 40003, s2)):
    pk += [tcp(c, s, 100, 0, 0x02, b''), tcp(s, c, 500, 101, 0x12, b''),
           tcp(c, s, 101, 501, 0x10, b'')]
    seq = 101
    for d in segs:
        pk.append(tcp(c, s, seq, 501, 0x18, d))
        seq += len(d)
with open(sys.argv[1], 'wb') as out:
    out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate(pk):
        out.write(struct.pack('<IIII', i, 0, len(p), len(p)) + p)
PY
check $? "synthetic capture written"

# One tshark run dissects the synthetic capture (a tshark start costs
# seconds on a loaded machine); each check then reads its columns. Columns:
# 1 frame.number, 2-7 kind, log text and level, agent message name and seq,
# value.integer, 8-11 the depth, empty, malformed and oversized flags,
# 12 frame.length, 13 impcert.frame.number, 14-16 impjig kind, hello board,
# led colour, 17 _ws.lua.error. Only frames with impcert, impjig or a Lua
# error are listed.
tshark -r "$TMP/syn.pcap" -d tcp.port==40003,impjig -X "lua_script:$LUA" \
  -Y 'impcert || impjig || _ws.lua.error' \
  -T fields -E separator=/t -E occurrence=a -e frame.number \
  -e impcert.kind -e impcert.log.text -e impcert.log.level \
  -e impcert.agent_message.name -e impcert.agent_message.seq \
  -e impcert.value.integer -e impcert.depth -e impcert.empty \
  -e impcert.malformed -e impcert.oversized -e impcert.frame.length \
  -e impcert.frame.number -e impjig.kind -e impjig.hello.board \
  -e impjig.led.colour -e _ws.lua.error >"$TMP/syn.all" 2>>"$TMP/syn.err"
# syn_frames AWK-CONDITION: how many of those frames meet the condition.
syn_frames() {
  awk -F '\t' "$1" "$TMP/syn.all" | grep -c .
}
cut -f 2-7 "$TMP/syn.all" | grep -qx "Log${TAB}hi${TAB}1${TAB}${TAB}${TAB}"
check $? "synthetic: Log{ERROR, \"hi\"} found by the tcp heuristic"
cut -f 2-7 "$TMP/syn.all" |
  grep -qx "AgentMessage${TAB}${TAB}${TAB}t${TAB}7${TAB}-3"
check $? "synthetic: AgentMessage split over 3 segments reassembled" \
  "(seq 7, sint32 -3)"
n=$(syn_frames '$8 != ""')
[ "$n" -eq 1 ]
check $? "synthetic: a Value nested 33 deep is flagged impcert.depth"
n=$(syn_frames '$9 != ""')
[ "$n" -eq 1 ]
check $? "synthetic: a length-0 frame is flagged impcert.empty"
n=$(syn_frames '$10 != ""')
[ "$n" -eq 1 ]
check $? "synthetic: a garbage body is flagged impcert.malformed"
n=$(syn_frames '$11 != "" && ("," $12 ",") ~ /,262145,/')
[ "$n" -eq 1 ]
check $? "synthetic: length 262145 is flagged impcert.oversized"
got=$(awk -F '\t' '$11 != "" { print $13 }' "$TMP/syn.all")
[ "$got" = 6 ]
check $? "synthetic: the oversized frame is impcert.frame.number 6" \
  "(got '$got')"
awk -F '\t' '$14 != ""' "$TMP/syn.all" | cut -f 14-16 >"$TMP/jig"
grep -qx "Hello,Led${TAB}imp001${TAB}1" "$TMP/jig"
check $? "synthetic: impjig decodes Hello{imp001} and Led{ORANGE}" \
  "(got '$(tr '\t\n' '| ' <"$TMP/jig")')"
n=$(syn_frames '$17 != ""')
[ "$n" -eq 0 ]
check $? "synthetic: no _ws.lua.error"
lua_clean synthetic "$TMP/syn.err"

# --- captures/: the application-level captures, plaintext on our ports ----
# Every message `impcert decode` finds must be dissected (impcert or
# impjig, no Lua error), and some decoded field values are checked.
IC=$B/bin/impcert
for cap in captures/*.app.pcap; do
  name=$(basename "$cap" .app.pcap)
  tshark -r "$cap" -X "lua_script:$LUA" -T fields -E separator=/t \
    -E occurrence=a -e impcert.kind -e impjig.kind -e _ws.lua.error \
    >"$TMP/cap-$name" 2>"$TMP/cap-$name.err"
  # One line per packet; a packet may hold several frames (comma-joined).
  n_ws=$(cut -f 1,2 "$TMP/cap-$name" | tr '\t,' '\n\n' | grep -c .)
  n_ic=$("$IC" decode "$cap" 2>/dev/null | grep -c .)
  [ "$n_ws" -gt 0 ] && [ "$n_ws" -eq "$n_ic" ]
  check $? "captures/$name: tshark dissects all $n_ic messages (got $n_ws)"
  n=$(cut -f 3 "$TMP/cap-$name" | grep -c .)
  [ "$n" -eq 0 ]
  check $? "captures/$name: no _ws.lua.error"
  lua_clean "captures/$name" "$TMP/cap-$name.err"
done
# capfield CAPTURE FILTER FIELD EXPECTED: the first value of FIELD in the
# frames FILTER selects is EXPECTED.
capfield() {
  got=$(tshark -r "captures/$1.app.pcap" -X "lua_script:$LUA" -Y "$2" \
    -T fields -e "$3" 2>/dev/null | head -n 1)
  [ "$got" = "$4" ]
  check $? "captures/$1: $3 is '$4' (got '$got')"
}
capfield cold-boot-activation impcert.activation impcert.activation.plan_id \
  plan-0001-impcert
capfield cold-boot-activation impcert.device_state \
  impcert.device_state.wake_reason 9
capfield code-update 'impcert.code_hash && tcp.srcport == 40001' \
  impcert.code_hash.sha256 \
  a7a01619655cd7c92923f05561dc51fc7fbde5b7029fe26fe5391b3b5c36e088
capfield erase-credentials impcert.cloud_answer \
  impcert.cloud_answer.erase_credentials 1
capfield forced-os impcert.new_os impcert.new_os.version 38.19
capfield forced-os impcert.new_os impcert.new_os.forced 1
capfield server-list impcert.server_list impcert.server_list.hosts \
  cloud.impcert.test,backup.impcert.test
capfield wouldblock 'impcert.log' impcert.log.text "first send 4"
capfield fieldbug-no-wifi-settings impcert.device_state \
  impcert.device_state.os_version 35.8
capfield fieldbug-blinkup-crash impjig.blinkup impjig.blinkup.plan_id \
  plan-0001-impcert
capfield warm-boot 'impcert.device_state.wake_reason == 1' \
  impcert.device_state.boot_count 2
# The session of port-fallback came in on 443 and is still impcert there.
n=$(tshark -r captures/port-fallback.app.pcap -X "lua_script:$LUA" \
  -Y 'tcp.port == 443 && tcp.len > 0 && !impcert' -T fields \
  -e frame.number 2>/dev/null | wc -l)
[ "$n" -eq 0 ]
check $? "captures/port-fallback: no undissected data on port 443"

finish
