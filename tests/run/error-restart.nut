// options: --for 10
// exit: 1
// An uncaught error without imp.onunhandledexception restarts the code
// with WAKEREASON_SQUIRREL_ERROR; the run exits 1.
server.log("wake " + hardware.wakereason());
function fail() { local t = {}; return t.missing; }
if (hardware.wakereason() == WAKEREASON_POWER_ON)
  imp.wakeup(2, function() { fail(); });
