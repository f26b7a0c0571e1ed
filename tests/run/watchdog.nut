// options: --for 5
// exit: 1
// Code that never returns is stopped by the instruction budget and
// restarted as after an uncaught error.
server.log("wake " + hardware.wakereason());
if (hardware.wakereason() == WAKEREASON_POWER_ON)
  imp.wakeup(1, function() { while (true) {} });
