#pragma once

// A request and its answer as the server's routes see them, apart from the HTTP library that
// reads and writes them (http_server.hpp).
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace recrl::serve::detail {

struct HttpRequest {
  // Why the connection's request is refused before any route sees it (the answer says so).
  enum class Refusal { None, Malformed, TooLarge, OverCapacity };
  Refusal refusal = Refusal::None;
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded, without the query
  std::string query;   // after '?', as sent
  std::string body;
  std::string authorization, content_type;  // the headers the routes read
  std::string event_id;                     // /v1/events/{eventId}/...: set by the router

  // The value of query parameter `name` (decoded), "" when absent.
  std::string param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this answer

  void set_content(std::string text, std::string type) {
    body = std::move(text);
    content_type = std::move(type);
  }
  void set_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// An answer that comes after something else (a commit): a route calls its Defer before it
// returns, and later (once, from any thread) calls the Resume it got with what fills the answer;
// that runs on a thread of the server, then the answer is sent.
using Fill = std::function<void(HttpResponse&)>;
using Resume = std::function<void(Fill)>;
using Defer = std::function<Resume()>;

// %XX and (in a query) '+' decoded; a malformed escape is kept as it is.
std::string url_decode(std::string_view text, bool plus_is_space);

}  // namespace recrl::serve::detail
