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

done = function(summary, latency, requests)
  io.write(string.format("requests/s %.0f\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({50, 99, 99.9}) do
    io.write(string.format("p%s %.3f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("errors %d non-2xx %d\n",
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
