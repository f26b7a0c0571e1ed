// options: --for 200000
// time() and date() follow the RTC (2026-01-01 00:00:00 UTC at the start
// of a run) through timers and deep sleep; server.sleepuntil() wakes at
// the next given UTC time.
function show(tag) {
  local d = date();
  server.log(format("%s %d %04d-%02d-%02d %02d:%02d:%02d wday %d yday %d", tag,
    time(), d.year, d.month + 1, d.day, d.hour, d.min, d.sec, d.wday, d.yday));
}
show("wake " + hardware.wakereason());
local d0 = date(951782400); // 2000-02-29
server.log(format("leap %d-%d-%d yday %d", d0.year, d0.month + 1, d0.day, d0.yday));
if (hardware.wakereason() == WAKEREASON_POWER_ON)
  imp.wakeup(90061, function() { show("timer"); server.sleepuntil(6, 30); });
