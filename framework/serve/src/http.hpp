#pragma once

// A request and its answer as the server's routes see them, apart from the HTTP library that
// reads and writes them (http_server.hpp).
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace recrl::serve::detail {

// What the routes keep with a connection from one request to the next (buffers whose memory
// serves every request); the HTTP layer only holds it.
struct RouteState {
  virtual ~RouteState() = default;
};

// A request's head (its request line and headers) is read whole up to this size.
inline constexpr std::size_t kHeadLimit = 8 * 1024;

struct HttpRequest {
  // Why the connection's request is refused before any route sees it (the answer says so).
  enum class Refusal { None, Malformed, VersionNotSupported, HeadTooLarge, TooLarge, OverCapacity };
  Refusal refusal = Refusal::None;
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded, without the query
  std::string query;   // after '?', as sent
  std::string body;
  std::string authorization, content_type;  // the headers the routes read
  std::string event_id;                     // /v1/events/{eventId}/...: set by the router
  std::unique_ptr<RouteState> state;        // the connection's, kept by clear()

  // The value of query parameter `name` (decoded), "" when absent.
  std::string param(std::string_view name) const;
  // Empty again, its strings' memory kept for the connection's next request.
  void clear();
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string_view content_type = "application/json";  // a literal: it outlives the answer
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this answer

  void set_content(std::string text, std::string_view type) {
    body = std::move(text);
    content_type = type;
  }
  // A fresh 200, its body's memory kept for the connection's next answer.
  void clear() {
    status = 200;
    body.clear();
    content_type = "application/json";
    headers.clear();
    close = false;
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

// %XX and (in a query) '+' decoded into `out`; a malformed escape is kept as it is.
void url_decode(std::string_view text, bool plus_is_space, std::string& out);
inline std::string url_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  url_decode(text, plus_is_space, out);
  return out;
}

}  // namespace recrl::serve::detail
