// options: --for 100
// Timers fire in time order (ties in creation order), cancelwakeup
// stops one, onidle runs once when nothing else is due, millis() counts
// device time from boot.
imp.wakeup(2, function() { server.log("two at " + hardware.millis()); });
imp.wakeup(1, function() { server.log("one-a"); });
imp.wakeup(1, function() { server.log("one-b"); });
local t = imp.wakeup(1.5, function() { server.log("cancelled: never"); });
imp.cancelwakeup(t);
imp.onidle(function() { server.log("idle at " + hardware.millis()); });
local n = 0;
function tick() {
  n++;
  server.log("tick " + n);
  if (n < 3) imp.wakeup(10, tick);
}
imp.wakeup(10, tick);
server.log("main done");
