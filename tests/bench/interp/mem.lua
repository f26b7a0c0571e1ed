-- Memory: N small tables (arg[1], default 100000) kept alive in a global
-- array; prints the heap in bytes after a full collection at the end.
local n = tonumber(arg[1] or "100000")
tabs = {}
for i = 1, n do tabs[i] = {x = i - 1, y = (i - 1) * 2} end
local s = 0
for _, t in ipairs(tabs) do s = (s + t.x + t.y) % 1000003 end
print(n .. " " .. s)
collectgarbage("collect")
io.stderr:write(string.format("lua: heap used=%d\n", math.floor(collectgarbage("count") * 1024)))
