#!/usr/bin/env python3
"""seeds.py: (re)make the seed corpora of tests/fuzz/<target>/ from what the
project already has: the plaintext captures (ID.app.pcap) of a conformance
run, the Squirrel language cases and the DUT profiles.

  build/bin/impcert run --dut harness/duts/refimp-native.conf \\
      --plugins build/plugins --capture /tmp/caps
  python3 tests/fuzz/seeds.py /tmp/caps

Seeds are inputs the targets handle well; the fuzzer mutates them. See
docs/fuzzing.md for each target's input format."""
import glob
import hashlib
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def put(target, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def packets(path):
    """The packets of a classic little-endian pcap file."""
    with open(path, "rb") as f:
        raw = f.read()
    assert struct.unpack("<I", raw[:4])[0] == 0xA1B2C3D4, path
    at = 24
    while at + 16 <= len(raw):
        _, _, incl, _ = struct.unpack("<IIII", raw[at:at + 16])
        yield raw[at + 16:at + 16 + incl]
        at += 16 + incl


def tcp_payload(pkt):
    """(src port, dst port, payload) of an Ethernet/IPv4/TCP packet."""
    if len(pkt) < 54 or pkt[12:14] != b"\x08\x00":
        return None
    ihl = (pkt[14] & 15) * 4
    tcp = 14 + ihl
    sport, dport = struct.unpack(">HH", pkt[tcp:tcp + 4])
    off = (pkt[tcp + 12] >> 4) * 4
    return sport, dport, pkt[tcp + off:]


def from_captures(capdir):
    for path in sorted(glob.glob(os.path.join(capdir, "*.app.pcap"))):
        raw = open(path, "rb").read()
        put("harness_pcap", raw)
        pkts = list(packets(path))
        put("harness_decode",
            b"\x00" + b"".join(struct.pack(">H", len(p)) + p for p in pkts))
        streams = {}
        for p in pkts:
            t = tcp_payload(p)
            if t and t[2]:
                streams.setdefault((t[0], t[1]), bytearray()).extend(t[2])
        for (sport, dport), data in streams.items():
            data = bytes(data)
            jig = 7 in (sport, dport)
            if jig:
                put("refimp_jig", data)
                put("harness_frame", b"\x01" + data)   # jig, 1-byte feeds
                put("harness_frame", b"\x7f" + data)   # jig, 64-byte feeds
            else:
                put("refimp_frame", b"\x00" + data)    # 1-byte reads
                put("refimp_frame", b"\x3f" + data)    # 64-byte reads
                put("harness_frame", b"\x00" + data)
                put("harness_frame", b"\xfe" + data)


def from_sources():
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/data/sq/*.case"))):
        text = open(path, "rb").read()
        # the script section of a case: between "--- script" and the next ---
        parts = text.split(b"--- ")
        for part in parts:
            if part.startswith(b"script\n"):
                src = part[len(b"script\n"):]
                put("sq_compile", src)
                put("sq_run", src)
    for path in sorted(glob.glob(os.path.join(ROOT, "harness/duts/*.conf"))):
        put("harness_profile", open(path, "rb").read())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: seeds.py CAPTURE_DIR")
    from_captures(sys.argv[1])
    from_sources()
