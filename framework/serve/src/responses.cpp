#include "responses.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <iterator>
#include <numeric>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace recrl::serve {

namespace {

// `value` as JSON: the shortest text that reads back as it; null where it is not finite (JSON
// has no NaN). A float as the float it is (0.87, not 0.8700000047683716).
template <typename Real>
void append_number(std::string& out, Real value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  std::array<char, 32> buffer{};
  const auto r = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), r.ptr);
}

// `text` as a JSON string: quotes, backslashes and control characters escaped, other bytes as
// they are (names and labels come from the policy, whose labels write_decision has checked).
void append_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned char>(c));
        else
          out += c;
    }
  }
  out += '"';
}

}  // namespace

std::string json_number(double value) {
  std::string out;
  append_number(out, value);
  return out;
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
  // Written as it goes, its keys in the order a JSON library would sort them: an answer with an
  // explanation builds no document (which cost ~300 allocations a request).
  thread_local std::string card;
  card.clear();
  append_explanation_card(card, e);
  out += R"(,"explanation":{"baseMargin":)";
  append_number(out, e.base_margin);
  out += R"(,"card":)";
  append_string(out, card);
  out += R"(,"contributions":[)";
  for (std::size_t i = 0; i < e.contributions.size(); ++i) {
    const FeatureContribution& c = e.contributions[i];
    out += i == 0 ? R"({"backgroundMean":)" : R"(,{"backgroundMean":)";
    append_number(out, c.background_mean);
    out += R"(,"contribution":)";
    append_number(out, c.contribution);
    out += R"(,"feature":)";
    append_string(out, c.feature);
    out += R"(,"value":)";
    append_number(out, static_cast<float>(c.value));
    out += '}';
  }
  out += R"(],"excluded":[)";
  for (std::size_t i = 0; i < e.excluded.size(); ++i) {
    if (i > 0) out += ',';
    append_string(out, e.excluded[i]);
  }
  out += R"(],"margin":)";
  append_number(out, e.margin);
  fmt::format_to(std::back_inserter(out), R"(,"modelVersion":{})", model_version);
  if (e.probability) {
    out += R"(,"probability":)";
    append_number(out, *e.probability);
  }
  if (e.runner_up != e.action) {
    fmt::format_to(std::back_inserter(out), R"(,"runnerUp":{{"index":{},"label":)", e.runner_up);
    append_string(out, e.runner_up_label);
    out += '}';
  }
  out += R"(,"score":"the chosen action's score minus the runner-up's"}})";
}

}  // namespace recrl::serve
