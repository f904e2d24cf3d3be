#pragma once

#include <string>
#include <vector>

#include "http.hpp"
#include "recrl/run/explain.hpp"
#include "recrl/serve/requests.hpp"
#include "recrl/store/decision_log.hpp"

namespace recrl::serve {

// The shortest text that reads back as `value`, as JSON writes a number.
std::string json_number(double value);
// `text` as a JSON string, quotes included.
std::string json_string(const std::string& text);

// {"error": message, "field": field} with `status`.
void error_answer(detail::HttpResponse& res, int status, const std::string& field,
                  const std::string& message);
inline void bad_request(detail::HttpResponse& res, const RequestError& error) {
  error_answer(res, 400, error.field, error.message);
}

// The answer to a rank request (docs/serving.md): {"eventId", "action": {"index", "label"},
// "ranking": [{"index", "label", "probability"}, ...] (allowed actions, most probable first),
// "modelVersion", "explored"}, without the closing brace when `open` (an explanation follows).
void write_decision(std::string& out, const store::LoggedDecision& d,
                    const std::vector<std::string>& labels, bool open = false);

// `,"explanation":{...}}`: closes an answer written `open` (docs/serving.md).
void append_explanation(std::string& out, const Explanation& e, int model_version);

}  // namespace recrl::serve
