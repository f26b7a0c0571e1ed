-- Numeric loops: nested integer loops with arithmetic, compares, modulo.
local s = 0
for i = 0, 9999 do
  for j = 0, 999 do
    s = s + (i * j) % 7 + (j & 3)
    if s > 1000000 then s = s - 999983 end
  end
end
print(s)
