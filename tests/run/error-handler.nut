// options: --for 10
// imp.onunhandledexception gets the message, then the VM restarts all the
// same with WAKEREASON_SQUIRREL_ERROR; the run exits 0. A caught error is
// not uncaught.
server.log("wake " + hardware.wakereason());
imp.onunhandledexception(function(e) { server.error("handler: " + e); });
try { throw "caught"; } catch (e) { server.log("try/catch: " + e); }
if (hardware.wakereason() == WAKEREASON_POWER_ON)
  imp.wakeup(1, function() { throw "boom"; });
