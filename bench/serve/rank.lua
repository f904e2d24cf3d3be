-- POST /v1/rank with one customer's features, a new event id per request (the server makes
-- one when none is sent).
wrk.method = "POST"
wrk.path = "/v1/rank"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("RECRL_BENCH_BODY") or [[{"context":{"recency":12,"frequency":3,"monetary_value":250,"engagement_score":0.7,"discount_sensitive":1,"free_shipping_preferred":0,"email_opens":0.87,"sms_response":0.1,"push_response":0.2,"last_purchase_days":30}}]]

done = function(summary, latency, requests)
  io.write(string.format("requests/s %.0f\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({50, 99, 99.9}) do
    io.write(string.format("p%s %.3f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("errors %d non-2xx %d\n",
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
