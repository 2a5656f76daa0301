// libFuzzer target: any bytes, sent as one client connection to `vigil serve`'s HTTP front end
// (HttpServer: its epoll loop, header-block and body checks, and httplib's request handling
// behind them) over loopback. The client half-closes after sending, reads until the server
// closes, and then checks that the server still answers a well-formed request on a new
// connection. A crash, a hang past the deadline, or a server that stops answering is a finding.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "vigil/server/http_server.h"

namespace {

using Clock = std::chrono::steady_clock;

vigil::server::HttpServer& server(int& port) {
  static int bound_port = 0;
  static vigil::server::HttpServer* instance = [] {
    auto* s = new vigil::server::HttpServer({.event_threads = 1,
                                             .threads = 2,
                                             .keep_alive_max_requests = 20,
                                             .keep_alive_timeout_ms = 200,
                                             .read_timeout_ms = 200,
                                             .write_timeout_ms = 200,
                                             .max_connections = 64,
                                             .max_header_bytes = 8 * 1024});
    s->set_inline_paths({"/ping"});
    s->set_payload_max_length(64 * 1024);
    s->Get("/ping", [](const httplib::Request&, httplib::Response& res) { res.set_content("pong", "text/plain"); });
    s->Get(R"(/items/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.matches[1].str() + req.get_param_value("q"), "text/plain");
    });
    s->Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      std::string out = req.body;
      for (const auto& [name, file] : req.files) out += name + file.filename + file.content;
      res.set_content(out, "application/octet-stream");
    });
    bound_port = s->bind_and_listen("127.0.0.1", 0);
    s->start();
    return s;
  }();
  port = bound_port;
  return *instance;
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::fprintf(stderr, "http_request_fuzz: cannot connect to the server: %s\n", std::strerror(errno));
    std::abort();
  }
  // Closing resets the connection instead of leaving it in TIME_WAIT: two connections per run,
  // at over a thousand runs a second, would otherwise use up the ephemeral ports in a minute.
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  return fd;
}

// Reads until the server closes the connection; returns what arrived, or aborts past the
// deadline (the server must not hold a half-closed client forever).
std::string read_until_closed(int fd, std::chrono::milliseconds deadline_after) {
  const auto deadline = Clock::now() + deadline_after;
  std::string received;
  char buf[16384];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      std::fprintf(stderr, "http_request_fuzz: the server kept the connection open past the deadline\n");
      std::abort();
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return received;
    received.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  int port = 0;
  server(port);

  const int fd = connect_to(port);
  std::size_t sent = 0;
  while (sent < size) {
    const ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (431, 400, 413): fine
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  (void)read_until_closed(fd, std::chrono::milliseconds(5000));
  ::close(fd);

  // The server still answers.
  const int check = connect_to(port);
  static const std::string ping = "GET /ping HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n";
  if (::send(check, ping.data(), ping.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(ping.size())) std::abort();
  const std::string answer = read_until_closed(check, std::chrono::milliseconds(5000));
  ::close(check);
  if (answer.rfind("HTTP/1.1 200", 0) != 0 || answer.find("pong") == std::string::npos) {
    std::fprintf(stderr, "http_request_fuzz: the server no longer answers /ping\n");
    std::abort();
  }
  return 0;
}
