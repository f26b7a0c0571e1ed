// typical.nut: a typical imp application for the memory figures of
// `make bench` (tests/bench/memory.sh): a sensor class sampled by a timer,
// readings batched in a blob and sent to the agent, a table of command
// handlers, formatted logs. At the end it logs "bench heap free N" with
// imp.getmemoryfree() after a collection.
const SAMPLE_S = 10;
const BATCH = 6;

class Sensor {
  name = null;
  scale = 1.0;
  _n = 0;
  constructor(name_, scale_) { name = name_; scale = scale_; }
  function read() {
    _n++;
    return (_n * 37 % 100) * scale;
  }
}

class Reporter {
  _sensors = null;
  _batch = null;
  _count = 0;
  sent = 0;
  constructor(sensors) {
    _sensors = sensors;
    _batch = blob(BATCH * 4 * sensors.len());
  }
  function sample() {
    foreach (s in _sensors) _batch.writen(s.read(), 'f');
    if (++_count < BATCH) return;
    _batch.seek(0);
    local readings = [];
    while (!_batch.eos()) readings.push(_batch.readn('f'));
    agent.send("readings", {at = hardware.millis(), values = readings});
    sent++;
    _batch.seek(0);
    _count = 0;
  }
}

local sensors = [Sensor("temp", 0.5), Sensor("humidity", 1.0), Sensor("light", 2.5)];
local reporter = Reporter(sensors);

local handlers = {
  ping = function(data) { agent.send("pong", data); },
  rate = function(data) { server.log(format("rate request %d", data)); },
  status = function(data) {
    agent.send("status", {sent = reporter.sent, free = imp.getmemoryfree()});
  }
};
foreach (name, fn in handlers) agent.on(name, fn);

local ticks = 0;
function tick() {
  reporter.sample();
  ticks++;
  if (ticks % 60 == 0)
    server.log(format("%d samples, %d batches sent", ticks, reporter.sent));
  if (ticks < 360) {
    imp.wakeup(SAMPLE_S, tick);
  } else {
    collectgarbage();
    server.log("bench heap free " + imp.getmemoryfree());
  }
}
server.log("typical app started on " + imp.info().type);
tick();
