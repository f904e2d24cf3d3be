#include "http_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace recrl::serve::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// A session's executor, named rather than type-erased (asio's any_io_executor): the erased one
// allocates on each asynchronous operation, a third of a rank request's allocations.
using Strand = asio::strand<asio::io_context::executor_type>;
using Socket = tcp::socket::rebind_executor<Strand>::other;

class Session;

}  // namespace

struct HttpServer::Impl {
  Impl(Options o, Handler h, Slow s)
      : options(std::move(o)), handler(std::move(h)), slow(std::move(s)) {}

  void accept();
  void remember(const std::shared_ptr<Session>& session);
  void forget(const Session* session);

  Options options;
  Handler handler;
  Slow slow;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer retry{io};  // the next accept after a failed one (out of descriptors)
  asio::thread_pool slow_pool{1};
  int port = 0;
  std::atomic<std::size_t> open{0};
  std::atomic<bool> stopping{false};
  std::mutex sessions_mutex;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions;
};

namespace {

// A session's memory for the handlers of its operations (a read or a write, the socket's
// operation under it, a deferred answer's resumption): asio keeps one block a thread for reuse
// and a session's operations overlap, so without it most would allocate. A handler past the
// slots, or too large for them, gets the heap's.
class HandlerMemory {
 public:
  void* allocate(std::size_t size) {
    for (Slot& slot : slots_) {
      bool unused = false;  // claimed in one step: a post may come from another thread
      if (size <= sizeof slot.bytes && slot.used.compare_exchange_strong(unused, true))
        return slot.bytes;
    }
    return ::operator new(size);
  }
  void deallocate(void* p) {
    for (Slot& slot : slots_) {
      if (p == slot.bytes) {
        slot.used = false;
        return;
      }
    }
    ::operator delete(p);
  }

 private:
  struct Slot {
    alignas(std::max_align_t) unsigned char bytes[512];  // Beast's read and write states fit
    std::atomic<bool> used{false};
  };
  std::array<Slot, 4> slots_;
};
template <typename T>
struct HandlerAllocator {
  using value_type = T;
  HandlerMemory* memory;
  explicit HandlerAllocator(HandlerMemory* m) : memory(m) {}
  template <typename U>
  HandlerAllocator(const HandlerAllocator<U>& other) : memory(other.memory) {}
  T* allocate(std::size_t n) { return static_cast<T*>(memory->allocate(sizeof(T) * n)); }
  void deallocate(T* p, std::size_t) { memory->deallocate(p); }
  template <typename U>
  bool operator==(const HandlerAllocator<U>& other) const {
    return memory == other.memory;
  }
};

// `handler`, its memory taken from `memory` (asio asks a handler for its allocator).
template <typename Handler>
struct WithMemory {
  HandlerMemory* memory;
  Handler handler;
  using allocator_type = HandlerAllocator<void>;
  allocator_type get_allocator() const { return allocator_type(memory); }
  template <typename... Args>
  void operator()(Args&&... args) {
    handler(std::forward<Args>(args)...);
  }
};

// Reads a request into the session's HttpRequest, whose strings keep their memory from request to
// request (Beast's own parser makes a message, a header field and a body afresh each time).
class RequestReader : public http::basic_parser<true> {
 public:
  explicit RequestReader(HttpRequest& into) : into_(into) { into_.clear(); }
  bool expects_continue() const { return expects_continue_; }

 private:
  void on_request_impl(http::verb, beast::string_view method, beast::string_view target, int,
                       beast::error_code&) override {
    into_.method.assign(method.data(), method.size());
    const std::string_view t(target.data(), target.size());
    const std::size_t question = t.find('?');
    url_decode(t.substr(0, question), false, into_.path);
    if (question != std::string_view::npos) into_.query.assign(t.substr(question + 1));
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(http::field name, beast::string_view, beast::string_view value,
                     beast::error_code&) override {
    if (name == http::field::authorization) into_.authorization.assign(value.data(), value.size());
    if (name == http::field::content_type) into_.content_type.assign(value.data(), value.size());
    if (name == http::field::expect) expects_continue_ = beast::iequals(value, "100-continue");
  }
  void on_header_impl(beast::error_code&) override {}
  // The parser has checked the length against the body limit.
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         beast::error_code&) override {
    if (length) into_.body.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(beast::string_view part, beast::error_code&) override {
    into_.body.append(part.data(), part.size());
    return part.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view part,
                                 beast::error_code&) override {
    into_.body.append(part.data(), part.size());
    return part.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  HttpRequest& into_;
  bool expects_continue_ = false;
};

// One connection: read a request, answer it, again while the client keeps the connection.
// Everything a session does runs on its strand (one thread at a time).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, HttpServer::Impl& server, bool over_capacity)
      : stream_(std::move(socket)), server_(server), over_capacity_(over_capacity) {}
  ~Session() {
    server_.forget(this);
    server_.open.fetch_sub(1);
  }

  void start() {
    server_.remember(shared_from_this());
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }
  // Closes the connection unless it is answering a request (which closes it afterwards).
  void stop() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->close();
    });
  }

 private:
  void read() {
    if (server_.stopping) return close();
    reader_.emplace(request_);
    reader_->body_limit(server_.options.body_limit);
    reader_->header_limit(static_cast<std::uint32_t>(kHeadLimit));
    // A connection past the cap gets a second at most to say what it wanted before its 503, so
    // that a flood of idle ones is let go soon.
    stream_.expires_after(over_capacity_ ? std::min<std::chrono::steady_clock::duration>(
                                               server_.options.timeout, std::chrono::seconds(1))
                                         : server_.options.timeout);
    http::async_read_header(
        stream_, buffer_, *reader_,
        with_memory([self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_header(ec);
        }));
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read(ec);
    busy_ = true;
    // A client that announced its body with 'Expect: 100-continue' (curl, past 1 KiB) waits
    // for leave to send it.
    if (reader_->expects_continue()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        with_memory([self = shared_from_this()](beast::error_code e, std::size_t) {
                          if (e) return self->close();
                          self->read_body();
                        }));
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *reader_,
                     with_memory([self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     }));
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::header_limit) {
      request_.refusal = HttpRequest::Refusal::HeadTooLarge;
    } else if (ec == http::error::body_limit) {
      request_.refusal = HttpRequest::Refusal::TooLarge;
    } else if (ec == http::error::bad_version) {
      request_.refusal = HttpRequest::Refusal::VersionNotSupported;
    } else if (ec && ec.category() == http::make_error_code(http::error::bad_method).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      request_.refusal = HttpRequest::Refusal::Malformed;
    } else if (ec) {
      return close();  // closed, timed out or reset: nobody to answer
    } else {
      keep_alive_ = reader_->keep_alive();
    }
    if (over_capacity_) request_.refusal = HttpRequest::Refusal::OverCapacity;
    busy_ = true;
    if (request_.refusal == HttpRequest::Refusal::None && server_.slow(request_)) {
      // Off the connections' threads; the work guard keeps run() from returning meanwhile.
      asio::post(server_.slow_pool,
                 [self = shared_from_this(), work = asio::make_work_guard(server_.io)] {
                   if (self->handle())
                     asio::post(self->stream_.get_executor(), [self] { self->write(); });
                 });
      return;
    }
    if (handle()) write();
  }

  // Runs the handler; false when it deferred its answer.
  bool handle() {
    response_.clear();
    deferred_ = false;
    guarded([&] { server_.handler(request_, response_, defer_); });
    return !deferred_;
  }

  // Runs `f`, turning an exception that escaped the server's own handling into a 500.
  template <typename F>
  void guarded(F&& f) {
    try {
      f();
    } catch (...) {
      response_ = HttpResponse{};
      response_.status = 500;
      response_.body = R"({"error":"the server failed on this request; it keeps serving"})";
    }
  }

  // This session's Defer. Until its Resume is called the session keeps itself alive, and a work
  // guard keeps run() from returning. The Resume (on the journal's writer thread) posts to the
  // io_context, whose handler dispatches to the session's strand: both handlers take their
  // memory from the session (a post from a thread outside the io_context would allocate).
  Resume deferred() {
    deferred_ = true;
    held_ = shared_from_this();
    work_.emplace(server_.io.get_executor());
    return [this](Fill fill) {
      fill_ = std::move(fill);
      asio::post(server_.io, with_memory([this] {
                   asio::dispatch(stream_.get_executor(), with_memory([this] { resume(); }));
                 }));
    };
  }

  void resume() {
    const std::shared_ptr<Session> self = std::move(held_);
    work_.reset();
    guarded([&] { fill_(response_); });
    fill_ = nullptr;
    write();
  }

  // The answer goes out in one write: its head, made in a buffer the session keeps, and its body.
  void write() {
    const bool keep = keep_alive_ && !response_.close && !server_.stopping &&
                      request_.refusal == HttpRequest::Refusal::None;
    head_.clear();
    auto out = std::back_inserter(head_);
    const beast::string_view reason =
        http::obsolete_reason(http::int_to_status(static_cast<unsigned>(response_.status)));
    fmt::format_to(out, "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
                   response_.status, std::string_view(reason.data(), reason.size()),
                   response_.content_type, response_.body.size());
    for (const auto& [name, value] : response_.headers)
      fmt::format_to(out, "{}: {}\r\n", name, value);
    head_ += keep ? "\r\n" : "Connection: close\r\n\r\n";
    const std::array<asio::const_buffer, 2> answer{asio::buffer(head_),
                                                   asio::buffer(response_.body)};
    stream_.expires_after(server_.options.timeout);
    asio::async_write(
        stream_, answer,
        with_memory([self = shared_from_this(), keep](beast::error_code ec, std::size_t) {
          self->busy_ = false;
          if (ec || !keep) return self->close();
          self->read();
        }));
  }

  template <typename Handler>
  WithMemory<Handler> with_memory(Handler handler) {
    return {&handler_memory_, std::move(handler)};
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::basic_stream<tcp, Strand> stream_;
  HttpServer::Impl& server_;
  const bool over_capacity_;
  beast::flat_buffer buffer_;
  std::optional<RequestReader> reader_;  // made afresh for each request: Beast's parsers are
  HttpRequest request_;                  // used once
  HttpResponse response_;
  std::string head_;
  bool keep_alive_ = false;
  bool busy_ = false;  // between a request's first bytes and its answer's last
  bool deferred_ = false;
  const Defer defer_ = [this] { return deferred(); };
  // While an answer is deferred: the session itself, the work it holds, what fills the answer.
  std::shared_ptr<Session> held_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  Fill fill_;
  HandlerMemory handler_memory_;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, Socket socket) {
    if (!acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors, say: try again shortly rather than spin.
      retry.expires_after(std::chrono::milliseconds(10));
      retry.async_wait([this](beast::error_code e) {
        if (!e) accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // answers go out at once (no Nagle)
    const bool over = open.fetch_add(1) >= options.connections;
    std::make_shared<Session>(std::move(socket), *this, over)->start();
    accept();
  });
}

void HttpServer::Impl::remember(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(sessions_mutex);
  sessions.emplace(session.get(), session);
}

void HttpServer::Impl::forget(const Session* session) {
  std::lock_guard lock(sessions_mutex);
  sessions.erase(session);
}

HttpServer::HttpServer(Options options, Handler handler, Slow slow)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(slow))) {
  Impl& s = *impl_;
  beast::error_code ec;
  tcp::resolver resolver(s.io);
  const auto endpoints =
      resolver.resolve(s.options.bind, std::to_string(s.options.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) return;
  for (const auto& entry : endpoints) {
    beast::error_code e;
    s.acceptor.open(entry.endpoint().protocol(), e);
    if (!e) s.acceptor.set_option(asio::socket_base::reuse_address(true), e);
    if (!e) s.acceptor.bind(entry.endpoint(), e);
    if (!e) s.acceptor.listen(asio::socket_base::max_listen_connections, e);
    if (!e) {
      s.port = s.acceptor.local_endpoint().port();
      return;
    }
    s.acceptor.close(e);
  }
}

HttpServer::~HttpServer() = default;

int HttpServer::port() const { return impl_->port; }

namespace {

// Asks for the kernel's shortest scheduler slice (0.1 ms) for the calling thread. Under EEVDF
// (Linux 6.6 on; slices asked for from 6.12) a thread woken while this one computes, such as the
// log's writer that every answer waits for, then gets the core within that time rather than a
// default slice, and this thread, woken, preempts sooner: a shorter tail for explanations
// (bench/README.md). Kernels before 6.12 ignore the request. The thread's policy and nice value
// are kept, and threads under a real-time policy are left as they are.
void request_short_slices() {
  // The kernel's struct sched_attr as first published (linux/sched/types.h, whose struct
  // sched_param clashes with glibc's); later kernels take this size too.
  struct {
    std::uint32_t size;
    std::uint32_t sched_policy;
    std::uint64_t sched_flags;
    std::int32_t sched_nice;
    std::uint32_t sched_priority;
    std::uint64_t sched_runtime, sched_deadline, sched_period;
  } attr{};
  if (::syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0) return;
  if (attr.sched_policy != SCHED_OTHER && attr.sched_policy != SCHED_BATCH) return;
  attr.sched_flags &= SCHED_FLAG_RESET_ON_FORK;
  attr.sched_runtime = 100'000;  // ns
  ::syscall(SYS_sched_setattr, 0, &attr, 0);
}

}  // namespace

void HttpServer::run() {
  Impl& s = *impl_;
  s.accept();
  std::vector<std::thread> others;
  for (int i = 1; i < s.options.threads; ++i)
    others.emplace_back([&s] {
      request_short_slices();
      ::pthread_setname_np(::pthread_self(), "recrl-http");  // the calling thread keeps its name
      s.io.run();
    });
  request_short_slices();
  s.io.run();
  for (std::thread& t : others) t.join();
  s.slow_pool.join();
}

void HttpServer::stop() {
  Impl& s = *impl_;
  asio::post(s.io, [&s] {
    s.stopping = true;
    beast::error_code ignored;
    s.acceptor.close(ignored);
    s.retry.cancel();
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(s.sessions_mutex);
      for (const auto& [raw, weak] : s.sessions)
        if (auto session = weak.lock()) live.push_back(std::move(session));
    }
    for (const auto& session : live) session->stop();
  });
}

}  // namespace recrl::serve::detail
