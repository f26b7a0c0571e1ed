#!/usr/bin/env python3
"""fakedut.py: a device that misbehaves in one chosen way, for
tests/misbehaving-dut.sh. It speaks just enough of specs/jig.md and
specs/wire.md (hand-encoded protobuf) to reach the step where it fails.

  fakedut.py MODE --jig PATH --ports P1,P2 --ca FILE --server-name NAME
             --server-addr ADDR

Modes (each reaches a step of the conversation, then misbehaves there):
  die-after-hello     jig Hello, BootState, Led, then exits 1
  jig-garbage         sends a frame length of 0xdeadbeef and random bytes
                      on the jig, then idles
  jig-flood           sends BootState over and over on the jig
  die-after-connect   after the BlinkUp: TCP connect to the cloud, then exit
  die-in-handshake    after the BlinkUp: a TLS ClientHello, then SIGSEGV
  die-after-request   sends ActivationRequest, then SIGKILLs itself
  cloud-garbage       after the TLS handshake sends the same garbage
  cloud-flood         sends ActivationRequest frames without end
  hang-after-request  sends ActivationRequest, then stops doing anything
"""
import os
import random
import signal
import socket
import ssl
import struct
import sys
import time


# the same garbage every run, so that the verdicts can be checked
GARBAGE = bytes(random.Random(7).getrandbits(8) for _ in range(4092))


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, payload):
    """A length-delimited field."""
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def vfield(num, value):
    """A varint field."""
    return varint(num << 3) + varint(value)


def frame(body):
    return struct.pack(">I", len(body)) + body


def hello():
    return frame(field(1, field(1, b"imp001") + field(2, b"fake 1.0")))


def boot_state(state):
    return frame(field(4, vfield(1, state)))


def led():
    return frame(field(3, vfield(1, 1) + vfield(2, 1)))


def activation_request():
    return frame(field(1, field(1, b"plan") + field(2, b"token")))


def read_frame(sock):
    """One whole frame from sock (None at EOF)."""
    hdr = b""
    while len(hdr) < 4:
        more = sock.recv(4 - len(hdr))
        if not more:
            return None
        hdr += more
    n = struct.unpack(">I", hdr)[0]
    body = b""
    while len(body) < n:
        more = sock.recv(n - len(body))
        if not more:
            return None
        body += more
    return body


def main():
    mode = sys.argv[1]
    args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    jig = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    jig.connect(args["--jig"])
    if mode == "jig-garbage":
        jig.sendall(b"\xde\xad\xbe\xef" + GARBAGE[:60])
        time.sleep(600)
    jig.sendall(hello() + boot_state(0) + led())
    if mode == "die-after-hello":
        sys.exit(1)
    if mode == "jig-flood":
        while True:
            jig.sendall(boot_state(0) * 64)
    # wait for the BlinkUp (JigEnvelope field 2), then go to the cloud
    while True:
        body = read_frame(jig)
        if body is None:
            sys.exit(0)
        if body[:1] == b"\x12":
            break
    jig.sendall(boot_state(1))
    port = int(args["--ports"].split(",")[0])
    raw = socket.create_connection((args["--server-addr"], port))
    if mode == "die-after-connect":
        sys.exit(3)
    ctx = ssl.create_default_context(cafile=args["--ca"])
    if mode == "die-in-handshake":
        # a real ClientHello, then death while the server answers
        raw.setblocking(False)
        half = ctx.wrap_socket(raw, server_hostname=args["--server-name"],
                               do_handshake_on_connect=False)
        try:
            half.do_handshake()
        except ssl.SSLWantReadError:
            pass
        time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGSEGV)
    tls = ctx.wrap_socket(raw, server_hostname=args["--server-name"])
    if mode == "cloud-garbage":
        tls.sendall(b"\xde\xad\xbe\xef" + GARBAGE)
        time.sleep(600)
    if mode == "cloud-flood":
        while True:
            tls.sendall(activation_request() * 64)
    tls.sendall(activation_request())
    if mode == "die-after-request":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "hang-after-request":
        time.sleep(600)
    sys.exit("fakedut: unknown mode " + mode)


if __name__ == "__main__":
    main()
