// Method calls on class instances: a small class hierarchy, 2,000,000 calls.
class Counter {
  n = 0;
  step = 1;
  constructor(step_) { step = step_; }
  function bump() { n += step; return this; }
  function get() { return n; }
}
class Wrapping extends Counter {
  function bump() { base.bump(); if (n > 100000) n -= 100000; return this; }
}
local cs = [Counter(1), Wrapping(3), Counter(2), Wrapping(5)];
local s = 0;
for (local i = 0; i < 500000; i++)
  foreach (c in cs) s = (s + c.bump().get()) % 1000003;
print(s + "\n");
