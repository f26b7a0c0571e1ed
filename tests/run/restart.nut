// options: --for 10
// server.restart() restarts the VM with WAKEREASON_SW_RESTART (no update
// pending); server.sleepfor() sleeps like imp.deepsleepfor().
server.log("wake " + hardware.wakereason());
if (hardware.wakereason() == WAKEREASON_POWER_ON)
  imp.wakeup(1, function() { server.restart(); server.log("never"); });
else if (hardware.wakereason() == WAKEREASON_SW_RESTART)
  imp.wakeup(1, function() { server.sleepfor(2); });
