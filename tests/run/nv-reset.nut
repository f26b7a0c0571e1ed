// options: --for 100
// imp.reset() is a cold start: WAKEREASON_SW_RESET, nv lost; the user
// configuration survives it.
server.log("wake " + hardware.wakereason() + " nv " + ("nv" in getroottable()));
if (imp.getuserconfiguration() == null) {
  imp.setuserconfiguration("reset once");
  nv <- {x = 1};
  imp.wakeup(3, function() {
    imp.reset();
    server.log("never: imp.reset() does not return");
  });
} else {
  server.log("userconf " + imp.getuserconfiguration().tostring());
}
