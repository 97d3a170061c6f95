-- wrk script: POST the AdmissionReviews listed in the manifest file given after `--`, in turn.
local bodies = {}
local next_body = 1

function init(args)
  local manifest = assert(io.open(args[1], "r"), "cannot open the manifest " .. tostring(args[1]))
  for path in manifest:lines() do
    local f = assert(io.open(path, "rb"))
    bodies[#bodies + 1] = f:read("*a")
    f:close()
  end
  manifest:close()
  assert(#bodies > 0, "the manifest lists no body")
  -- Threads start at different places so the mix is spread from the first request.
  next_body = (math.random(#bodies))
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/validate", {["Content-Type"] = "application/json"}, body)
end
