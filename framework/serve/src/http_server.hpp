#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "http.hpp"

namespace recrl::serve::detail {

// HTTP/1.1 over Boost.Beast: `threads` threads share every connection, waiting on all of them
// at once (epoll), so that a request costs no thread switch of its own and an answer goes out
// as one write (bench/README.md measures why). The handler runs on the thread that read the
// request; one that waits for something (a commit) defers its answer instead of blocking, and
// handlers `slow` picks (a model upload evaluated off-policy for seconds) run on a thread of
// their own, so that they hold up no connection but theirs.
class HttpServer {
 public:
  struct Options {
    std::string bind;
    int port = 0;  // 0: any free port
    int threads = 1;
    std::size_t connections = 0;      // open at once; one more is refused (OverCapacity)
    std::size_t body_limit = 0;       // over it: TooLarge
    std::chrono::seconds timeout{5};  // to read a request (or wait for the next), write an answer
  };
  // Answers a request into the response, or defers the answer (http.hpp).
  using Handler = std::function<void(HttpRequest&, HttpResponse&, const Defer&)>;
  using Slow = std::function<bool(const HttpRequest&)>;

  // Binds the address; port() is 0 when it cannot be bound (in use, not this machine's).
  HttpServer(Options options, Handler handler, Slow slow);
  ~HttpServer();
  int port() const;
  // Serves until stop(): returns once every request read has been answered.
  void run();
  // Stops accepting; idle connections close, requests under way are answered first.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace recrl::serve::detail
