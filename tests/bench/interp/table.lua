-- Table insert and lookup: 200,000 string keys and 200,000 integer keys
-- inserted, then each looked up five times.
local t, u, keys = {}, {}, {}
for i = 0, 199999 do
  local k = "key" .. i
  keys[i] = k
  t[k] = i
  u[i * 7] = i
end
local s = 0
for r = 1, 5 do
  for i = 0, 199999 do
    s = (s + t[keys[i]] + u[i * 7]) % 1000003
  end
end
print(s)
