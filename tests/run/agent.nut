// options: --for 30 --send ping={"n":1,"list":[1,2.5,"x",null,true]}@1 --send nobody=1@2 --send ping=2@3 --send ping=3@20
// agent.on receives --send values at their time; a second agent.on
// replaces the first; a message with no handler is reported by name; a
// message that arrives while the device sleeps is dropped.
agent.on("ping", function(d) {
  agent.send("pong", {got = d});
  agent.on("ping", function(d2) { agent.send("second", d2); });
});
local b = blob(2);
b.writen(0x1234, 'w');
agent.send("hello", {b = b, f = 0.5, i = -7, s = "q\"uote", a = [], t = {}});
imp.wakeup(10, function() { imp.deepsleepfor(15); });
