-- GET /v1/health: no body, no model, no log. Under the same load it shows what any request
-- costs on the machine (the kernel, wrk sharing the cores), the floor under the other rows.
wrk.path = "/v1/health"

-- summary.lua, beside this script.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
done = dofile(here .. "summary.lua")
