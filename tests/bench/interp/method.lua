-- Method calls on class instances: a small class hierarchy, 2,000,000 calls.
local Counter = {}
Counter.__index = Counter
function Counter.new(step) return setmetatable({n = 0, step = step}, Counter) end
function Counter:bump() self.n = self.n + self.step; return self end
function Counter:get() return self.n end
local Wrapping = setmetatable({}, {__index = Counter})
Wrapping.__index = Wrapping
function Wrapping.new(step) return setmetatable({n = 0, step = step}, Wrapping) end
function Wrapping:bump()
  Counter.bump(self)
  if self.n > 100000 then self.n = self.n - 100000 end
  return self
end
local cs = {Counter.new(1), Wrapping.new(3), Counter.new(2), Wrapping.new(5)}
local s = 0
for i = 1, 500000 do
  for _, c in ipairs(cs) do s = (s + c:bump():get()) % 1000003 end
end
print(s)
