-- wrk script: POST the AdmissionReviews listed in the manifest file given after `--`, in turn.
-- `@@SEQ@@` in a body is replaced by the request's number (see review_bodies.rs).
-- With WRK_RATE set (requests per second for this wrk thread), requests are paced on a fixed
-- schedule: each request takes the next slot, so the offered rate holds while the server keeps
-- up (wrk's delay() has millisecond resolution; the schedule carries the remainder, so bursts
-- are at most one millisecond's worth). `done` prints one machine-readable RESULT line.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } pg_timespec;
int clock_gettime(int clock_id, pg_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("pg_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

-- Each body is kept as the pieces around its `@@SEQ@@` markers; a request joins them with a
-- number that grows with every request, so bodies with markers are never sent twice alike.
local bodies = {}
local next_body = 1
local seq = 0

local function pieces(text)
  local out, start = {}, 1
  while true do
    local at, stop = string.find(text, "@@SEQ@@", start, true)
    if not at then break end
    out[#out + 1] = string.sub(text, start, at - 1)
    start = stop + 1
  end
  out[#out + 1] = string.sub(text, start)
  return out
end

function init(args)
  local manifest = assert(io.open(args[1], "r"), "cannot open the manifest " .. tostring(args[1]))
  for path in manifest:lines() do
    local f = assert(io.open(path, "rb"))
    bodies[#bodies + 1] = pieces(f:read("*a"))
    f:close()
  end
  manifest:close()
  assert(#bodies > 0, "the manifest lists no body")
  -- Threads start at different places so the mix is spread from the first request.
  next_body = (math.random(#bodies))
end

function request()
  local parts = bodies[next_body]
  next_body = next_body % #bodies + 1
  local body = parts[1]
  if #parts > 1 then
    seq = seq + 1
    body = table.concat(parts, tostring(seq))
  end
  return wrk.format("POST", "/validate", {["Content-Type"] = "application/json"}, body)
end

local rate = tonumber(os.getenv("WRK_RATE") or "")
if rate and rate > 0 then
  local interval = 1000 / rate
  local next_slot = nil
  function delay()
    local now = now_ms()
    if next_slot == nil or next_slot < now - 1000 then
      -- First request, or more than a second behind: restart the schedule rather than burst.
      next_slot = now
    end
    local wait = next_slot - now
    next_slot = next_slot + interval
    if wait < 0 then return 0 end
    return math.floor(wait)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f errors=%d p50=%d p99=%d p999=%d max=%d\n",
    summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout + e.status,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
