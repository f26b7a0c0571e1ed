/*
** capture.h: live libpcap capture of one test's loopback traffic.
** Owns the capture thread and the pcap file; the only module that includes
** <pcap/pcap.h>. Knows nothing of what the traffic means.
*/
#ifndef IMPCERT_CAPTURE_H
#define IMPCERT_CAPTURE_H

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

#endif
