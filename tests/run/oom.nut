// options: --for 10
// Out of memory is a software reset: WAKEREASON_SW_RESET, a cold start.
server.log("wake " + hardware.wakereason());
if (imp.getuserconfiguration() == null) {
  imp.setuserconfiguration("once");
  local hog = [];
  imp.wakeup(1, function() {
    while (true) hog.append(blob(1024));
  });
}
