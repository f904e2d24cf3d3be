-- POST /v1/rank with one customer's features, a new event id per request (the server makes
-- one when none is sent).
wrk.method = "POST"
wrk.path = "/v1/rank"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("RECRL_BENCH_BODY") or [[{"context":{"recency":12,"frequency":3,"monetary_value":250,"engagement_score":0.7,"discount_sensitive":1,"free_shipping_preferred":0,"email_opens":0.87,"sms_response":0.1,"push_response":0.2,"last_purchase_days":30}}]]

-- summary.lua, beside this script.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
done = dofile(here .. "summary.lua")
