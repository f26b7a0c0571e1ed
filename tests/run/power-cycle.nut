// options: --for 20 --power-cycle-at 5
// A power cycle: no shutdown handler, nv lost, user configuration kept,
// WAKEREASON_POWER_ON again.
server.onshutdown(function(r) { server.log("never: shutdown " + r); });
local uc = imp.getuserconfiguration();
server.log("wake " + hardware.wakereason() + " nv " + ("nv" in getroottable()) +
           " userconf " + (uc == null ? "none" : uc.tostring()));
nv <- {set = true};
imp.setuserconfiguration("kept");
