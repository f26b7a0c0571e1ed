-- impcert.lua: Wireshark dissectors for the impcert wire protocol
-- (impwire.Envelope, specs/wire.proto) and the jig protocol
-- (impjig.JigEnvelope, specs/jig.proto).
--
-- Owns: the framing (4-byte big-endian length, then one protobuf message),
-- reassembly over TCP and TLS with dissect_tcp_pdus, a small protobuf walker
-- driven by the field tables below (written from the .proto files; no use of
-- Wireshark's protobuf preloading), the named fields impcert.* / impjig.*,
-- expert info for malformed or oversized frames, and the registrations:
--   impcert: TCP ports 31314 and 52753 (wire.md): TLS, or plaintext frames
--            as in ID.app.pcap (chosen per stream by its first bytes); a
--            heuristic on "tls" (decrypted application data) and on "tcp";
--            Decode As.
--   impjig:  TCP port 7 when the stream begins like a jig frame (the jig of
--            ID.app.pcap; else Echo); Decode As.
-- Load with `tshark -X lua_script:impcert.lua` or copy to the personal
-- plugins folder; see docs/wireshark.md. Written for Wireshark 4.0, Lua 5.2.

local WIRE_MAX = 262144          -- wire.md, "Framing"
local JIG_MAX = 65536            -- jig.md, "Transport"
local VALUE_DEPTH_MAX = 32       -- wire.md, "Values"
local WIRE_PORTS = { 31314, 52753 }
local FALLBACK_PORTS = { 993, 443 }  -- wire.md: tried after 31314

------------------------------------------------------------------------------
-- Schemas. A message is { name, abbr, fields = { [num] = field } }; a field
-- is { name, type, required?, repeated?, msg?, enum? }. Types: string, bytes,
-- bool, uint32, uint64, sint32, float, enum, msg.

local function M(name, abbr, fields)
  return { name = name, abbr = abbr, fields = fields }
end
local function F(name, type, opts)
  local f = { name = name, type = type }
  for k, v in pairs(opts or {}) do f[k] = v end
  return f
end
local REQ = { required = true }

-- impwire.Value and its helpers form a cycle; fill fields in afterwards.
local Value = M("Value", "value", nil)
local ValueArray = M("ValueArray", "value.array", nil)
local ValueSlot = M("ValueSlot", "value.slot", nil)
local ValueTable = M("ValueTable", "value.table", nil)
Value.fields = {
  [1] = F("is_null", "bool"),
  [2] = F("boolean", "bool"),
  [3] = F("integer", "sint32"),
  [4] = F("real", "float"),
  [5] = F("str", "string"),
  [6] = F("blob", "bytes"),
  [7] = F("array", "msg", { msg = ValueArray }),
  [8] = F("table", "msg", { msg = ValueTable }),
}
Value.is_value = true
ValueArray.fields = {
  [1] = F("items", "msg", { msg = Value, repeated = true }),
}
ValueSlot.fields = {
  [1] = F("key", "msg", { msg = Value, required = true }),
  [2] = F("value", "msg", { msg = Value, required = true }),
}
ValueTable.fields = { [1] = F("slots", "msg", { msg = ValueSlot,
                                                repeated = true }) }

local LOG_LEVEL = { [0] = "LOG", [1] = "ERROR" }

local Envelope = M("Envelope", "", {
  [1] = F("activation_request", "msg", { msg = M("ActivationRequest",
    "activation", {
      [1] = F("plan_id", "string", REQ),
      [2] = F("enrollment_token", "string", REQ),
    }) }),
  [2] = F("activation_result", "msg", { msg = M("ActivationResult",
    "activation_result", {
      [1] = F("activated", "bool", REQ),
      [2] = F("reason", "string"),
    }) }),
  [3] = F("device_state", "msg", { msg = M("DeviceState", "device_state", {
      [1] = F("mac", "string", REQ),
      [2] = F("device_id", "string", REQ),
      [3] = F("imp_type", "string", REQ),
      [4] = F("os_version", "string", REQ),
      [5] = F("wake_reason", "uint32", REQ),
      [6] = F("boot_count", "uint32", REQ),
    }) }),
  [4] = F("code_hash", "msg", { msg = M("CodeHash", "code_hash", {
      [1] = F("sha256", "bytes", REQ),
    }) }),
  [5] = F("cloud_answer", "msg", { msg = M("CloudAnswer", "cloud_answer", {
      [1] = F("match", "bool", REQ),
      [2] = F("code", "bytes"),
      [3] = F("code_hash", "bytes"),
      [4] = F("rtc_unix_ms", "uint64"),
      [5] = F("configparams", "msg", { msg = Value }),
      [6] = F("erase_credentials", "bool"),
    }) }),
  [6] = F("log", "msg", { msg = M("Log", "log", {
      [1] = F("level", "enum", { required = true, enum = LOG_LEVEL }),
      [2] = F("text", "string", REQ),
    }) }),
  [7] = F("agent_message", "msg", { msg = M("AgentMessage", "agent_message", {
      [1] = F("name", "string", REQ),
      [2] = F("data", "msg", { msg = Value }),
      [3] = F("seq", "uint32"),
    }) }),
  [8] = F("ack", "msg", { msg = M("Ack", "ack", {
      [1] = F("seq", "uint32", REQ),
    }) }),
  [9] = F("reload", "msg", { msg = M("Reload", "reload", {}) }),
  [10] = F("new_os", "msg", { msg = M("NewOs", "new_os", {
      [1] = F("version", "string", REQ),
      [2] = F("image", "bytes"),
      [3] = F("sha256", "bytes"),
      [4] = F("forced", "bool"),
    }) }),
  [11] = F("server_list", "msg", { msg = M("ServerList", "server_list", {
      [1] = F("hosts", "string", { repeated = true }),
    }) }),
  [12] = F("restart", "msg", { msg = M("Restart", "restart", {}) }),
})

local LED_COLOUR = { [0] = "OFF", [1] = "ORANGE", [2] = "GREEN", [3] = "RED",
                     [4] = "AMBER" }
local BOOT_STATE = { [0] = "UNACTIVATED", [1] = "PENDING_ACTIVATION",
                     [2] = "ACTIVATED_NO_CODE", [3] = "ACTIVATED_WITH_CODE" }

local JigEnvelope = M("JigEnvelope", "", {
  [1] = F("hello", "msg", { msg = M("Hello", "hello", {
      [1] = F("board", "string", REQ),
      [2] = F("os_version", "string", REQ),
      [3] = F("features", "string", { repeated = true }),
    }) }),
  [2] = F("blinkup", "msg", { msg = M("BlinkUp", "blinkup", {
      [1] = F("ssid", "string"),
      [2] = F("password", "string"),
      [3] = F("plan_id", "string", REQ),
      [4] = F("enrollment_token", "string", REQ),
    }) }),
  [3] = F("led", "msg", { msg = M("Led", "led", {
      [1] = F("colour", "enum", { required = true, enum = LED_COLOUR }),
      [2] = F("flashing", "bool", REQ),
    }) }),
  [4] = F("boot_state", "msg", { msg = M("BootState", "boot_state", {
      [1] = F("state", "enum", { required = true, enum = BOOT_STATE }),
    }) }),
  [5] = F("clock_set", "msg", { msg = M("ClockSet", "clock_set", {
      [1] = F("now_ms", "uint64", REQ),
      [2] = F("seq", "uint32", REQ),
    }) }),
  [6] = F("clock_advance", "msg", { msg = M("ClockAdvance", "clock_advance", {
      [1] = F("ms", "uint64", REQ),
      [2] = F("seq", "uint32", REQ),
    }) }),
  [7] = F("clock_done", "msg", { msg = M("ClockDone", "clock_done", {
      [1] = F("now_ms", "uint64", REQ),
      [2] = F("seq", "uint32", REQ),
    }) }),
  [8] = F("deep_sleep", "msg", { msg = M("DeepSleep", "deep_sleep", {
      [1] = F("wake_in_ms", "uint64", REQ),
      [2] = F("wake_pin", "bool", REQ),
    }) }),
  [9] = F("app_state", "msg", { msg = M("AppState", "app_state", {
      [1] = F("running", "bool", REQ),
      [2] = F("sha256", "bytes"),
      [3] = F("wake_reason", "uint32"),
    }) }),
  [60] = F("reset_pulse", "msg", { msg = M("ResetPulse", "reset_pulse", {}) }),
})

------------------------------------------------------------------------------
-- ProtoFields, made from the schemas: <proto>.<msg abbr>.<field name>.

local function pf_for(abbr, f)
  local label = f.name
  if f.type == "string" then return ProtoField.string(abbr, label) end
  if f.type == "bytes" then return ProtoField.bytes(abbr, label) end
  if f.type == "bool" then return ProtoField.bool(abbr, label) end
  if f.type == "uint32" then return ProtoField.uint32(abbr, label) end
  if f.type == "uint64" then return ProtoField.uint64(abbr, label) end
  if f.type == "sint32" then return ProtoField.int32(abbr, label) end
  if f.type == "float" then return ProtoField.float(abbr, label) end
  if f.type == "enum" then
    return ProtoField.uint32(abbr, label, base.DEC, f.enum)
  end
  return ProtoField.none(abbr, label)  -- "msg": a subtree
end

-- Gives every field of msg (and of the messages it reaches) a ProtoField
-- in f.pf, appending them to list. Each message is visited once.
local function make_fields(prefix, msg, list, seen)
  if seen[msg] then return end
  seen[msg] = true
  local base_abbr = prefix
  if msg.abbr ~= "" then base_abbr = prefix .. "." .. msg.abbr end
  for _, f in pairs(msg.fields) do
    local abbr = base_abbr .. "." .. f.name
    if msg.abbr == "" then abbr = prefix .. "." .. f.name end
    -- The Envelope's message fields are named by their message's abbr.
    if msg.abbr == "" and f.msg then abbr = prefix .. "." .. f.msg.abbr end
    f.pf = pf_for(abbr, f)
    list[#list + 1] = f.pf
    if f.msg then make_fields(prefix, f.msg, list, seen) end
  end
end

------------------------------------------------------------------------------
-- The protobuf walker.

-- Reads a varint at off (not beyond limit). Returns the value as a Lua
-- number (exact below 2^53), as a UInt64, and its length; nil if truncated
-- or longer than 10 bytes.
local function read_varint(tvb, off, limit)
  local lo, hi, shift, n = 0, 0, 0, 0
  while true do
    if off + n >= limit or n >= 10 then return nil end
    local b = tvb(off + n, 1):uint()
    n = n + 1
    local bits = bit32.band(b, 0x7f)
    if shift < 32 then lo = bit32.bor(lo, bit32.lshift(bits, shift)) end
    if shift + 7 > 32 then
      if shift >= 32 then
        hi = bit32.bor(hi, bit32.lshift(bits, shift - 32))
      else
        hi = bit32.bor(hi, bit32.rshift(bits, 32 - shift))
      end
    end
    shift = shift + 7
    if b < 0x80 then
      return hi * 4294967296 + lo, UInt64.new(lo, hi), n
    end
  end
end

local WT_NAMES = { [0] = "varint", [1] = "64-bit", [2] = "length-delimited",
                   [3] = "start group", [4] = "end group", [5] = "32-bit" }
-- The wire type each field type must have.
local WT_OF = { string = 2, bytes = 2, msg = 2, bool = 0, uint32 = 0,
                uint64 = 0, sint32 = 0, enum = 0, float = 5 }

local function zigzag32(v)
  if v % 2 == 0 then return v / 2 end
  return -(v + 1) / 2
end

-- Per-protocol state the walker needs: the expert fields and the field for
-- unknown data. ctx = { ex = {...}, unknown_pf, info = {...} }.

-- Decodes the message msg found in tvb[off, limit) into tree. depth counts
-- Value nesting. Returns true if the message was well formed.
local decode_message

local function short_text(s)
  if #s > 40 then s = s:sub(1, 37) .. "..." end
  return s
end

-- Adds one scalar field; returns its value (number, bool or string) or nil.
local function add_scalar(ctx, tree, f, tvb, off, len, num, u64)
  local r = tvb(off, len)
  if f.type == "string" then
    local s = ""
    if len > 0 then s = r:string() end
    tree:add(f.pf, r, s)
    return s
  elseif f.type == "bytes" then
    tree:add(f.pf, r)
    return len
  elseif f.type == "bool" then
    tree:add(f.pf, r, num ~= 0)
    return num ~= 0
  elseif f.type == "uint32" or f.type == "enum" then
    local item = tree:add(f.pf, r, bit32.band(u64:lower(), 0xffffffff))
    if num > 4294967295 then
      item:add_proto_expert_info(ctx.ex.range, f.name .. " exceeds 32 bits")
    end
    if f.type == "enum" and f.enum[num] == nil then
      item:add_proto_expert_info(ctx.ex.range,
        f.name .. ": unknown enum value " .. tostring(num))
    end
    return num
  elseif f.type == "uint64" then
    tree:add(f.pf, r, u64)
    return num
  elseif f.type == "sint32" then
    local v = zigzag32(num)
    if v < -2147483648 or v > 2147483647 then
      local item = tree:add(f.pf, r, 0)
      item:add_proto_expert_info(ctx.ex.range, f.name .. " exceeds 32 bits")
    else
      tree:add(f.pf, r, v)
    end
    return v
  elseif f.type == "float" then
    local v = r:le_float()
    tree:add(f.pf, r, v)
    return v
  end
  return nil
end

decode_message = function(ctx, tvb, off, limit, msg, tree, depth)
  local ok = true
  local seen = {}
  local pos = off
  while pos < limit do
    local key, _, klen = read_varint(tvb, pos, limit)
    if key == nil then
      tree:add_proto_expert_info(ctx.ex.malformed,
        msg.name .. ": truncated field tag at byte " .. (pos - off))
      return false
    end
    local num = math.floor(key / 8)
    local wt = key % 8
    local f = msg.fields[num]
    local vstart = pos + klen
    local vlen, vnum, vu64, vskip
    if wt == 0 then
      local n
      vnum, vu64, n = read_varint(tvb, vstart, limit)
      if vnum == nil then
        tree:add_proto_expert_info(ctx.ex.malformed, msg.name ..
          ": truncated varint in field " .. num)
        return false
      end
      vlen, vskip = n, n
    elseif wt == 1 or wt == 5 then
      vlen = (wt == 1) and 8 or 4
      vskip = vlen
    elseif wt == 2 then
      local l, _, n = read_varint(tvb, vstart, limit)
      if l == nil or vstart + n + l > limit then
        tree:add_proto_expert_info(ctx.ex.malformed, msg.name ..
          ": field " .. num .. " runs past the end of its message")
        return false
      end
      vstart = vstart + n
      vlen = l
      vskip = n + l
    else
      tree:add_proto_expert_info(ctx.ex.malformed, msg.name ..
        ": field " .. num .. " has wire type " .. (WT_NAMES[wt] or wt) ..
        ", which impcert never uses")
      return false
    end
    if vstart + vlen > limit then
      tree:add_proto_expert_info(ctx.ex.malformed, msg.name ..
        ": field " .. num .. " runs past the end of its message")
      return false
    end
    if num == 0 then
      tree:add_proto_expert_info(ctx.ex.malformed,
        msg.name .. ": field number 0")
      return false
    end
    if f == nil or WT_OF[f.type] ~= wt then
      local item = tree:add(ctx.unknown_pf, tvb(pos, vstart + vlen - pos))
      item:set_text("Unknown field " .. num .. " (" ..
                    (WT_NAMES[wt] or wt) .. ")")
      if f ~= nil then
        item:add_proto_expert_info(ctx.ex.malformed, msg.name .. "." ..
          f.name .. " has the wrong wire type " .. WT_NAMES[wt])
        ok = false
      else
        item:add_proto_expert_info(ctx.ex.unknown,
          msg.name .. ": unknown field " .. num)
      end
    else
      if seen[num] and not f.repeated and msg ~= ctx.top then
        tree:add_proto_expert_info(ctx.ex.unknown, msg.name .. "." ..
          f.name .. " appears more than once (the last one counts)")
      end
      seen[num] = true
      if f.type == "msg" then
        local sub = tree:add(f.pf, tvb(vstart, vlen))
        sub:set_text(f.name .. " (" .. f.msg.name .. ")")
        local d = depth
        if f.msg.is_value then d = depth + 1 end
        if d > VALUE_DEPTH_MAX then
          sub:add_proto_expert_info(ctx.ex.depth, "Value nesting exceeds " ..
            VALUE_DEPTH_MAX .. " levels")
          ok = false
        elseif not decode_message(ctx, tvb, vstart, vstart + vlen, f.msg,
                                  sub, d) then
          ok = false
        end
        if msg == ctx.top then
          ctx.kind = f.msg.name
          ctx.kind_range = tvb(pos, klen)
          ctx.body = sub
          ctx.count = (ctx.count or 0) + 1
        end
      else
        local v = add_scalar(ctx, tree, f, tvb, vstart, vlen, vnum, vu64)
        if f.summary and v ~= nil then
          ctx.summary = f.name .. "=" .. short_text(tostring(v))
        end
      end
    end
    pos = vstart + vlen
    if wt == 0 then pos = vstart + vskip end
  end
  for n, f in pairs(msg.fields) do
    if f.required and not seen[n] then
      tree:add_proto_expert_info(ctx.ex.missing,
        msg.name .. ": required field " .. f.name .. " is missing")
      ok = false
    end
  end
  return ok
end

-- A few fields are worth showing in the Info column.
Envelope.fields[1].msg.fields[1].summary = true    -- plan_id
Envelope.fields[3].msg.fields[5].summary = true    -- wake_reason
Envelope.fields[5].msg.fields[1].summary = true    -- match
Envelope.fields[6].msg.fields[2].summary = true    -- log text
Envelope.fields[7].msg.fields[1].summary = true    -- agent message name
JigEnvelope.fields[4].msg.fields[1].summary = true -- boot state
JigEnvelope.fields[3].msg.fields[1].summary = true -- led colour

------------------------------------------------------------------------------
-- One framed protocol: makes the Proto, its fields, experts and dissector.

local f_tcp_stream = Field.new("tcp.stream")

-- TCP streams the impcert heuristics recognised (see Registration).
local known_streams = {}

-- on_init, if given, runs when a capture is (re)loaded.
local function make_framed(name, desc, top, max, on_init)
  local p = Proto(name, desc)
  local fields = {}
  local f_kind = ProtoField.string(name .. ".kind", "Message kind")
  local f_len = ProtoField.uint32(name .. ".frame.length", "Frame length")
  local f_unknown = ProtoField.bytes(name .. ".unknown", "Unknown field")
  local f_no = ProtoField.uint32(name .. ".frame.number", "Frame number",
    base.DEC, nil, nil, "1-based, per direction per TCP stream (wire.md)")
  fields[1], fields[2], fields[3], fields[4] = f_kind, f_len, f_unknown, f_no
  make_fields(name, top, fields, {})
  p.fields = fields
  local ex = {
    oversized = ProtoExpert.new(name .. ".oversized",
      "Frame length exceeds the maximum", expert.group.MALFORMED,
      expert.severity.ERROR),
    truncated = ProtoExpert.new(name .. ".truncated",
      "Frame cut short (not reassembled)", expert.group.MALFORMED,
      expert.severity.ERROR),
    empty = ProtoExpert.new(name .. ".empty", "Empty frame (length 0)",
      expert.group.MALFORMED, expert.severity.ERROR),
    malformed = ProtoExpert.new(name .. ".malformed",
      "Malformed message", expert.group.MALFORMED, expert.severity.ERROR),
    no_message = ProtoExpert.new(name .. ".no_message",
      "Envelope carries no message", expert.group.MALFORMED,
      expert.severity.ERROR),
    several = ProtoExpert.new(name .. ".several",
      "Envelope carries more than one message", expert.group.PROTOCOL,
      expert.severity.WARN),
    missing = ProtoExpert.new(name .. ".missing",
      "Required field missing", expert.group.MALFORMED,
      expert.severity.ERROR),
    unknown = ProtoExpert.new(name .. ".unknown_field",
      "Unknown or repeated field", expert.group.UNDECODED,
      expert.severity.NOTE),
    range = ProtoExpert.new(name .. ".range",
      "Value out of range", expert.group.PROTOCOL, expert.severity.WARN),
    depth = ProtoExpert.new(name .. ".depth",
      "Value nesting too deep", expert.group.MALFORMED,
      expert.severity.ERROR),
  }
  p.experts = { ex.oversized, ex.truncated, ex.empty, ex.malformed,
                ex.no_message, ex.several, ex.missing, ex.unknown,
                ex.range, ex.depth }

  -- Frame numbers: counted per TCP stream and direction on the first
  -- pass, remembered per (packet, frame in packet) for later passes.
  local counters, numbers = {}, {}
  function p.init()
    counters, numbers = {}, {}
    if on_init then on_init() end
  end
  local function frame_number(pinfo)
    local idx = (tonumber(pinfo.private[name .. "_n"]) or 0) + 1
    pinfo.private[name .. "_n"] = tostring(idx)
    local key = pinfo.number .. ":" .. idx
    if numbers[key] == nil then
      local st = f_tcp_stream()
      local dir = tostring(st and st.value) .. " " .. tostring(pinfo.src) ..
                  " " .. tostring(pinfo.src_port)
      counters[dir] = (counters[dir] or 0) + 1
      numbers[key] = counters[dir]
    end
    return numbers[key]
  end

  -- PDU length for dissect_tcp_pdus. An oversized frame is never
  -- reassembled: its "PDU" is the rest of the segment, flagged below.
  local function get_len(tvb, pinfo, off)
    if tvb:len() - off < 4 then return 4 end  -- only without reassembly
    local n = tvb(off, 4):uint()
    if n > max then return tvb:len() - off end
    return 4 + n
  end

  local function dissect_pdu(tvb, pinfo, tree)
    local t = tree:add(p, tvb())
    if tvb:len() < 4 then  -- only without reassembly
      t:add_proto_expert_info(ex.truncated, "Frame header cut short")
      return tvb:len()
    end
    local n = tvb(0, 4):uint()
    t:add(f_no, tvb(0, 0), frame_number(pinfo)):set_generated()
    local li = t:add(f_len, tvb(0, 4))
    local kind
    if n <= max and tvb:len() < 4 + n then  -- only without reassembly
      li:add_proto_expert_info(ex.truncated, "Frame cut short: " ..
        (tvb:len() - 4) .. " of " .. n .. " bytes")
      kind = "truncated frame"
    elseif n > max then
      li:add_proto_expert_info(ex.oversized, "Frame length " .. n ..
        " exceeds the maximum " .. max .. "; the peer must close")
      kind = "oversized frame"
    elseif n == 0 then
      li:add_proto_expert_info(ex.empty, "Frame length 0: an empty " ..
        top.name .. " is invalid")
      kind = "empty frame"
    else
      local ctx = { ex = ex, unknown_pf = f_unknown, top = top }
      local ok = decode_message(ctx, tvb, 4, 4 + n, top, t, 0)
      if ctx.kind then
        t:add(f_kind, ctx.kind_range, ctx.kind)
        t:append_text(", " .. ctx.kind)
        kind = ctx.kind
        if ctx.summary then kind = kind .. " " .. ctx.summary end
        if ctx.count > 1 then
          t:add_proto_expert_info(ex.several, top.name .. " carries " ..
            ctx.count .. " messages (a oneof keeps the last)")
        end
      elseif ok then
        t:add_proto_expert_info(ex.no_message, top.name ..
          " decodes but has no message set")
        kind = "no message"
      end
      if not ok then
        kind = (kind and (kind .. " ") or "") .. "[malformed]"
      end
    end
    pinfo.cols.protocol:set(desc)
    -- The Info column lists this packet's frames only (TLS would put its
    -- "Application Data" between them).
    local info = pinfo.private[name .. "_info"]
    if info == nil then info = kind else info = info .. ", " .. kind end
    pinfo.private[name .. "_info"] = info
    pinfo.cols.info:set(info)
    return tvb:len()
  end

  -- Heuristics call this function itself: p.dissector reads back as a
  -- Dissector handle, and calling that uses up pinfo.can_desegment.
  local function dissect(tvb, pinfo, tree)
    if tvb:len() == 0 then return 0 end
    dissect_tcp_pdus(tvb, tree, 4, get_len, dissect_pdu, true)
    return tvb:len()
  end
  p.dissector = dissect

  -- Does tvb begin like one of our frames? The length must be plausible,
  -- the first tag must be a message field of the top message and its
  -- length must fill the frame exactly (a oneof envelope has one field).
  local function looks_like(tvb)
    local have = tvb:len()
    if have < 6 then return false end
    local n = tvb(0, 4):uint()
    if n < 2 or n > max then return false end
    local key, _, klen = read_varint(tvb, 4, math.min(have, 4 + n))
    if key == nil or key % 8 ~= 2 then return false end
    local f = top.fields[math.floor(key / 8)]
    if f == nil or f.type ~= "msg" then return false end
    local l, _, llen = read_varint(tvb, 4 + klen, math.min(have, 4 + n))
    if l == nil then return false end
    return klen + llen + l == n
  end
  return p, looks_like, dissect
end

local impcert, impcert_looks_like, impcert_dissect =
  make_framed("impcert", "impcert", Envelope, WIRE_MAX,
              function() known_streams = {} end)
local impjig, impjig_looks_like, impjig_dissect =
  make_framed("impjig", "impjig", JigEnvelope, JIG_MAX)

------------------------------------------------------------------------------
-- Registration.

local tcp_port = DissectorTable.get("tcp.port")
local tls_port = DissectorTable.get("tls.port")
local tls = Dissector.get("tls")

-- Does tvb begin with a TLS record header (content type 20..23, major
-- version 3)? Our frames never do: their first byte is a length's top
-- byte, 0 for any frame under 16 MiB.
local function looks_like_tls(tvb)
  if tvb:len() < 3 then return false end
  local ct = tvb(0, 1):uint()
  return ct >= 20 and ct <= 23 and tvb(1, 1):uint() == 3
end

-- On our ports the network carries TLS, while impcert's application-level
-- captures (ID.app.pcap) carry the plaintext frames on the same port
-- numbers: look at the stream's first bytes and remember the choice.
local impcert_port = Proto("impcert_port", "impcert port (TLS or plaintext)")
local port_choice = {}
function impcert_port.init() port_choice = {} end
impcert_port.dissector = function(tvb, pinfo, tree)
  local st = f_tcp_stream()
  local key = st and st.value
  local choice = key ~= nil and port_choice[key] or nil
  if choice == nil then
    choice = (not looks_like_tls(tvb) and impcert_looks_like(tvb))
             and "plain" or "tls"
    if key ~= nil then port_choice[key] = choice end
  end
  if choice == "plain" then
    return impcert_dissect(tvb, pinfo, tree)
  end
  -- This dissector is one call deeper than TLS would be from the port
  -- table; give TLS back the reassembly depth that costs.
  pinfo.can_desegment = pinfo.can_desegment + 1
  return tls:call(tvb, pinfo, tree)
end

for _, port in ipairs(WIRE_PORTS) do
  tcp_port:add(port, impcert_port)
  tls_port:add(port, impcert)   -- what TLS carries on these ports
end
-- The fallback ports: TLS stays TLS (IMAPS, HTTPS), and only a stream
-- that begins like one of our plaintext frames is taken.
for _, port in ipairs(FALLBACK_PORTS) do
  tcp_port:add(port, impcert_port)
end
tcp_port:add_for_decode_as(impcert)
tcp_port:add_for_decode_as(impjig)
tcp_port:add_for_decode_as(impcert_port)
tls_port:add_for_decode_as(impcert)

-- The jig in an application-level capture: port 7 (also Echo), taken
-- only when the stream begins like a jig frame.
local echo = Dissector.get("echo")
local jig_choice = {}
local impjig_port = Proto("impjig_port", "impjig on port 7 (else Echo)")
function impjig_port.init() jig_choice = {} end
impjig_port.dissector = function(tvb, pinfo, tree)
  local st = f_tcp_stream()
  local key = st and st.value
  local choice = key ~= nil and jig_choice[key] or nil
  if choice == nil then
    choice = impjig_looks_like(tvb) and "jig" or "echo"
    if key ~= nil then jig_choice[key] = choice end
  end
  if choice == "jig" then return impjig_dissect(tvb, pinfo, tree) end
  return echo:call(tvb, pinfo, tree)
end
tcp_port:add(7, impjig_port)

-- TCP streams already recognised as impcert. Later data on them is taken
-- even when it does not look like a good frame (an oversized or garbage
-- frame is what the robustness tests send), so that it gets flagged.

local function heur_accept(tvb, pinfo)
  local s = f_tcp_stream()
  local key = s and s.value
  if key ~= nil and known_streams[key] then return true end
  if not impcert_looks_like(tvb) then return false end
  if key ~= nil then known_streams[key] = true end
  return true
end

-- Decrypted TLS application data (the test captures use ephemeral ports).
local function heur_tls(tvb, pinfo, tree)
  if not heur_accept(tvb, pinfo) then return false end
  impcert_dissect(tvb, pinfo, tree)
  return true
end

-- Plain TCP: once a stream is recognised, keep it.
local function heur_tcp(tvb, pinfo, tree)
  if not heur_accept(tvb, pinfo) then return false end
  pinfo.conversation = impcert
  impcert_dissect(tvb, pinfo, tree)
  return true
end

impcert:register_heuristic("tls", heur_tls)
impcert:register_heuristic("tcp", heur_tcp)
