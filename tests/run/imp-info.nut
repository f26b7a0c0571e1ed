// options: --board imp003
// imp identity, the send buffer (SEND-020..022), policy checks (SEND-029),
// user configuration limit (STORE-008), constants.
server.log(imp.info().type + " env " + imp.environment() + " " + ENVIRONMENT_MODULE);
server.log(imp.getsoftwareversion() + " mac " + imp.getmacaddress() + " id " + hardware.getdeviceid());
server.log("buffer " + imp.setsendbuffersize(8000) + " " + imp.setsendbuffersize(100) + " " + imp.setsendbuffersize(100000) + " " + imp.setsendbuffersize(0));
try { server.setsendtimeoutpolicy(7, WAIT_TIL_SENT, 10); } catch (e) { server.log(e); }
try { server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, -1); } catch (e) { server.log(e); }
server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_FOR_ACK, 10);
server.log("connected " + server.isconnected() + " flush " + server.flush(5));
local net = imp.net.info();
server.log("free " + net.ipv4.server.tcpsendfree + " active " + net.active + " " +
           net.interface[0].type + " " + net.ipv4.address + " dns " + net.ipv4.dnsserver[0]);
local big = blob(4097);
try { imp.setuserconfiguration(big); } catch (e) { server.log(e); }
imp.setuserconfiguration(blob(4096));
server.log("userconf " + imp.getuserconfiguration().len());
server.log(WAKEREASON_SW_RESTART + " " + SEND_ERROR_WOULDBLOCK + " " + SHUTDOWN_NEWFIRMWARE + " " + NOT_AUTHORISED);
server.disconnect();
server.log("dropped: RETURN_ON_ERROR does not reconnect");
local offline = agent.send("x", 1);
server.connect(function(r) {
  server.log("offline send gave " + offline + ", connect callback " + r);
});
