// options: --for 1000
// nv survives deep sleep (warm boot, WAKEREASON_TIMER); a warm boot does
// not connect until the code sends (seeds/003).
if (!("nv" in getroottable())) nv <- {wakes = 0, when = []};
server.log("boot " + hardware.wakereason() + " wakes " + nv.wakes);
nv.wakes++;
nv.when.append(hardware.millis());
if (nv.wakes <= 2) {
  imp.wakeup(5, function() { imp.deepsleepfor(60); });
} else {
  server.log("done after " + nv.when.len() + " boots");
}
