// options: --for 20 --reload-at 2 --reload-at 10
// New Squirrel announced (--reload-at) with a server.onshutdown handler:
// the handler gets SHUTDOWN_NEWSQUIRREL and the code goes on until it
// calls server.restart() (WAKEREASON_NEW_SQUIRREL). Without a handler the
// reload restarts the code at once.
server.log("wake " + hardware.wakereason());
if (hardware.wakereason() == WAKEREASON_POWER_ON) {
  server.onshutdown(function(reason) {
    server.log("shutdown " + reason);
    imp.wakeup(1, function() {
      server.log("still running");
      server.restart();
    });
  });
}
