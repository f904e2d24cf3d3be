#include "responses.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace recrl::serve {

std::string json_number(double value) {
  std::array<char, 32> buffer{};
  const auto r = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), r.ptr);
}

std::string json_string(const std::string& text) { return nlohmann::json(text).dump(); }

void error_answer(detail::HttpResponse& res, int status, const std::string& field,
                  const std::string& message) {
  res.status = status;
  nlohmann::json body = {{"error", message}};
  if (!field.empty()) body["field"] = field;
  // A message may quote bytes of the request that are not UTF-8: replaced, not thrown on.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void write_decision(std::string& out, const store::LoggedDecision& d,
                    const std::vector<std::string>& labels, bool open) {
  thread_local std::vector<int> order;
  thread_local std::vector<std::string> quoted;  // labels as JSON strings, made once per set
  thread_local const std::vector<std::string>* quoted_for = nullptr;
  if (quoted_for != &labels || quoted.size() != labels.size()) {
    quoted.clear();
    for (const auto& label : labels) quoted.push_back(json_string(label));
    quoted_for = &labels;
  }
  const auto& p = d.probabilities;
  order.resize(p.size());
  std::iota(order.begin(), order.end(), 0);
  // Most probable first, ties in index order (std::stable_sort would allocate a buffer).
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const float pa = p[static_cast<std::size_t>(a)], pb = p[static_cast<std::size_t>(b)];
    return pa > pb || (pa == pb && a < b);
  });
  out.clear();
  auto it = std::back_inserter(out);
  const auto action = static_cast<std::size_t>(d.action);
  fmt::format_to(it, R"({{"eventId":"{}","action":{{"index":{},"label":{}}},"ranking":[)",
                 d.event_id, d.action, quoted[action]);
  bool first = true;
  for (const int a : order) {
    const auto i = static_cast<std::size_t>(a);
    if (p[i] <= 0) continue;  // excluded
    fmt::format_to(it, R"({}{{"index":{},"label":{},"probability":{}}})", first ? "" : ",", a,
                   quoted[i], p[i]);
    first = false;
  }
  fmt::format_to(it, R"(],"modelVersion":{},"explored":{})", d.model_version,
                 d.explored ? "true" : "false");
  if (d.deferred) out += R"(,"activated":false)";
  if (!open) out += '}';
}

void append_explanation(std::string& out, const Explanation& e, int model_version) {
  nlohmann::json contributions = nlohmann::json::array();
  for (const FeatureContribution& c : e.contributions)
    // A feature's value as the float it is (0.87, not 0.8700000047683716).
    contributions.push_back({{"feature", c.feature},
                             {"value", std::stod(fmt::format("{}", static_cast<float>(c.value)))},
                             {"backgroundMean", c.background_mean},
                             {"contribution", c.contribution}});
  nlohmann::json j = {{"score", "the chosen action's score minus the runner-up's"},
                      {"margin", e.margin},
                      {"baseMargin", e.base_margin},
                      {"contributions", contributions},
                      {"excluded", e.excluded},
                      {"modelVersion", model_version},
                      {"card", explanation_card(e)}};
  if (e.runner_up != e.action)
    j["runnerUp"] = {{"index", e.runner_up}, {"label", e.runner_up_label}};
  if (e.probability) j["probability"] = *e.probability;
  out += ",\"explanation\":";
  out += j.dump();
  out += '}';
}

}  // namespace recrl::serve
