/*
** run.h: `refimp run APP.nut ...`: runs device code on a simulated board
** in virtual time with a stand-in cloud that accepts every send, and
** prints one line per observable event (docs/refimp-run.md).
*/
#ifndef REFIMP_RUN_RUN_H
#define REFIMP_RUN_RUN_H

/* argv[0] is "run". Returns the exit status: 0 ok, 1 an uncaught error
** with no onunhandledexception handler, 2 bad usage, syntax error or an
** unreadable file. */
int run_main(int argc, char **argv);

#endif
