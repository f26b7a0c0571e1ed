-- String building: small strings from numbers, concatenated into lines and
-- lines into 4 KiB buffers.
local total, buf = 0, ""
for i = 0, 299999 do
  local line = "k" .. i .. "=" .. (i % 97) .. ";"
  buf = buf .. line
  if #buf >= 4096 then total = total + #buf; buf = "" end
end
total = total + #buf
print(total)
