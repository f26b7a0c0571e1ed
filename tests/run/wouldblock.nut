// options:
// A 4000-byte blob does not fit in the 3456-byte send buffer. Under
// RETURN_ON_ERROR it is sent all the same (never WOULDBLOCK: SEND-016);
// under RETURN_ON_ERROR_NO_DISCONNECT it returns SEND_ERROR_WOULDBLOCK, is
// not sent and the session stays (SEND-013); after
// imp.setsendbuffersize() it goes.
local big = blob(4000);
big[0] = 0xab;
big[3999] = 0xcd;
server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, 1);
server.log("return-on-error: " + agent.send("big", big));
server.setsendtimeoutpolicy(RETURN_ON_ERROR_NO_DISCONNECT, WAIT_TIL_SENT, 1);
server.log("no-disconnect: " + agent.send("big", big) + " connected " + server.isconnected());
imp.setsendbuffersize(8192);
server.log("bigger buffer: " + agent.send("big", big));
