// options: --board impC001
// impC001: lettered pins with wake pin W, no pulse counter.
hardware.pinW.configure(DIGITAL_IN_WAKEUP);
try { hardware.pinW.configure(PULSE_COUNTER, 1); } catch (e) { server.log(e); }
hardware.pinC.configure(DIGITAL_OUT_OD_PULLUP, 1);
server.log(imp.info().type + " " + imp.net.info().interface[0].type);
