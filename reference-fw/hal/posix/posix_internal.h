/*
** posix_internal.h: what the files of hal/posix share among themselves:
** the descriptors hal_wait_event watches and the stop request.
*/
#ifndef REFIMP_HAL_POSIX_INTERNAL_H
#define REFIMP_HAL_POSIX_INTERNAL_H

#include <stdbool.h>

/* The open cloud connection's socket, or -1. */
int posix_net_fd(void);
/* True if the TLS layer holds decrypted bytes not yet read. */
bool posix_net_pending(void);
/* The jig socket, or -1. */
int posix_jig_fd(void);
/* The read end of the stop pipe (readable once a stop is requested). */
int posix_stop_fd(void);

/* Wait for events on fd (POLLIN/POLLOUT) or a stop request, at most
** timeout_ms (-1: no limit). 1: ready, 0: timeout, -1: stop or error. */
int posix_wait_fd(int fd, short events, int timeout_ms);

/* write(2) all of buf to fd; 0 or -1. */
int posix_write_all(int fd, const void *buf, size_t n);

#endif
