/*
** capture.h: live libpcap capture of one test's loopback traffic.
** Owns the capture thread and the pcap file; the only module that includes
** <pcap/pcap.h>. Knows nothing of what the traffic means.
*/
#ifndef IMPCERT_CAPTURE_H
#define IMPCERT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct capture;

/* Start capturing TCP traffic on the loopback interface to or from any of
** ports[0..nports) into a classic pcap file at path (link type EN10MB, as
** Linux loopback gives). Returns once the capture is active, so traffic
** after the call is in the file. Returns NULL with d filled on failure
** (for example no CAP_NET_RAW). */
struct capture *capture_start(const char *path, const uint16_t *ports,
                              int nports, struct ic_diag *d);

/* Stop, flush every packet seen so far to the file, close it, free c.
** Returns the number of packets written, or -1 if the capture loop or the
** file failed or the kernel dropped packets (the file then holds what was
** written, a valid but incomplete capture). NULL is
** ignored (returns 0). Same as capture_finish(c, NULL). */
long capture_stop(struct capture *c);

/* capture_stop that also says why it returned -1: d names the file and
** the libpcap or I/O error. */
long capture_finish(struct capture *c, struct ic_diag *d);

/* ---- the application-level capture: plaintext frames as fabricated TCP --- */

/* Which conversation a frame belongs to: the cloud session (device
** 10.0.0.2 <-> cloud 10.0.0.1 port 31314) or the jig (device 10.0.0.2 <->
** jig 10.0.0.3 port 7). */
enum appcap_chan { APPCAP_WIRE, APPCAP_JIG };

#define APPCAP_WIRE_PORT 31314
#define APPCAP_JIG_PORT 7

struct appcap;

/* Create a classic pcap (EN10MB) at path for plaintext frames. NULL with d
** filled on failure. */
struct appcap *appcap_open(const char *path, struct ic_diag *d);

/* Record one whole frame (header + body) as TCP segments, timestamped now.
** A channel without an open stream gets a handshake first. a NULL or n 0:
** nothing. */
void appcap_frame(struct appcap *a, enum appcap_chan ch, bool from_device,
                  const uint8_t *frame, size_t n);

/* A new cloud session begins on the cloud's port port_index (0, 1, 2, 3:
** recorded as port 31314, 993, 443, 52753, so a replay knows which ports refused
** the device before): the open wire stream, if any, is closed as by the
** harness, and a new TCP stream starts (handshake, next device port). */
void appcap_session(struct appcap *a, int port_index);

/* Who ended a stream; recorded in the TCP flags so a replay can tell. */
enum appcap_closer {
  APPCAP_BY_DEVICE,  /* the device sent the first FIN */
  APPCAP_BY_HARNESS, /* the cloud or jig sent the first FIN */
  APPCAP_POWER_CUT   /* jig only: an RST from the jig = the harness cut
                        the DUT's power (recorded even with no jig stream) */
};

/* End the open stream of ch (no-op if none, except a power cut). */
void appcap_end(struct appcap *a, enum appcap_chan ch, enum appcap_closer who);

/* Stamp the following packets with ts_us (microseconds since the epoch)
** instead of the real clock; 0 goes back to the clock. For generators. */
void appcap_set_time(struct appcap *a, long long ts_us);

/* Flush, close, free. Streams still open are left open (no FIN): the
** recording ended, nobody closed them. NULL is ignored. */
void appcap_close(struct appcap *a);

/* ---- reading a pcap file ------------------------------------------------- */

/* Called for each packet: the link type (DLT_ value), the timestamp in
** microseconds since the epoch, the byte offset of its record in the file
** (-1 if unknown), the captured bytes. Return 0 to go on, non-zero to
** stop. */
typedef int (*capture_read_cb)(void *ctx, int linktype, long long ts_us,
                               long offset, const uint8_t *data, size_t len);

/* Read every packet of the pcap or pcapng file at path in order. Returns
** the number of packets read, or -1 with d naming the file and the byte
** offset where reading failed (cb has then seen every packet before). */
long capture_read(const char *path, capture_read_cb cb, void *ctx,
                  struct ic_diag *d);

#endif
