-- POST /v1/events/{id}/reward for the ids bench/serve/serve_bench.sh ranked beforehand
-- (b-0 .. b-<RECRL_BENCH_EVENTS - 1>), round robin over each wrk thread's connections.
local events = tonumber(os.getenv("RECRL_BENCH_EVENTS") or "20000")
local counter = 0

request = function()
  counter = counter + 1
  local id = "b-" .. (counter * 7919 % events)
  return wrk.format("POST", "/v1/events/" .. id .. "/reward",
                    {["Content-Type"] = "application/json"}, '{"value":1}')
end

-- summary.lua, beside this script.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
done = dofile(here .. "summary.lua")
