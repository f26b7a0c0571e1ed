// options: --json --for 3 --send cmd={"on":true}@1
// exit: 1
// --json prints the same events as JSON lines.
agent.on("cmd", function(d) {
  hardware.pin1.configure(DIGITAL_OUT, d.on ? 1 : 0);
  server.error("tab\there");
});
imp.wakeup(2, function() { local a = [1]; a[5]; });
