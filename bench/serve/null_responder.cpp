// The serve benchmark's floor: an HTTP responder that does nothing. It answers every read on a
// connection with the same fixed health answer, parsing nothing and logging nothing, on two
// threads that share one epoll set. What wrk measures against it under the benchmark's load is
// what this machine gives any server there (bench/README.md).
//   recrl_null_responder PORT
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <thread>

namespace {

constexpr std::string_view kAnswer =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n"
    R"({"status":"ok","modelVersion":1,"uptimeSeconds":2})";

void serve(int epoll_fd, int listen_fd) {
  epoll_event events[8];
  char buffer[16384];
  for (;;) {
    const int n = ::epoll_wait(epoll_fd, events, 8, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd) {
        for (int c; (c = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
          const int yes = 1;
          ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
          epoll_event e{};
          e.events = EPOLLIN | EPOLLET;
          e.data.fd = c;
          ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c, &e);
        }
        continue;
      }
      const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got == 0) ::close(fd);
      if (got > 0) ::send(fd, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: recrl_null_responder PORT\n");
    return 2;
  }
  const int listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int yes = 1;
  ::setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[1])));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd, SOMAXCONN) != 0) {
    std::perror("recrl_null_responder: cannot listen");
    return 1;
  }
  const int epoll_fd = ::epoll_create1(0);
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.fd = listen_fd;
  ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &e);
  std::thread other(serve, epoll_fd, listen_fd);
  serve(epoll_fd, listen_fd);
}
