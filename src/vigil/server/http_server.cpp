#include "vigil/server/http_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include "vigil/common/error.h"

namespace vigil::server {
namespace {

constexpr std::uint64_t kListenTag = 0;
constexpr std::uint64_t kStopTag = 1;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kFlushAt = 256 * 1024;  // buffered response bytes sent before the body ends

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Waits until fd is ready for `events` (POLLIN/POLLOUT) or timeout_ms passes.
bool wait_ready(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

void address_to_string(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  } else {
    port = 0;
  }
  ip = text;
}

// A complete JSON error answer for the cases the server itself refuses before httplib sees a
// request (the same {"error", "message"} shape as the routes' errors).
std::string canned_error(int status, const char* reason, const char* code, const char* message) {
  const std::string body = fmt::format(R"({{"error":"{}","message":"{}"}})", code, message);
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
                     status, reason, body.size(), body);
}

// The value of the first header line named `lower_name` (given in lower case; matched in any
// case) in a header block, trimmed; nullopt when there is none.
std::optional<std::string_view> header_value(std::string_view block, std::string_view lower_name) {
  std::size_t at = block.find('\n');
  while (at != std::string_view::npos && at + 1 + lower_name.size() < block.size()) {
    const std::string_view line = block.substr(at + 1);
    bool same = line[lower_name.size()] == ':';
    for (std::size_t i = 0; same && i < lower_name.size(); ++i) {
      same = static_cast<char>(std::tolower(static_cast<unsigned char>(line[i]))) == lower_name[i];
    }
    if (same) {
      std::string_view value = line.substr(lower_name.size() + 1);
      value = value.substr(0, value.find_first_of("\r\n"));
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      return value;
    }
    at = block.find('\n', at + 1);
  }
  return std::nullopt;
}

// httplib reads a body only for these methods. A body sent with any other (GET with
// Content-Length: 5) would be left in the connection and read as the next request, so such a
// request is refused instead (a request-smuggling shape behind a proxy that shares connections).
bool declares_unread_body(std::string_view header_block) {
  const std::string_view method = header_block.substr(0, header_block.find(' '));
  if (method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE" || method == "PRI") return false;
  if (header_value(header_block, "transfer-encoding")) return true;
  const auto length = header_value(header_block, "content-length");
  return length && length->find_first_not_of('0') != std::string_view::npos;
}

// Sends all of `data`, waiting up to timeout_ms each time the socket is full. False when the
// client went away or did not take bytes in time.
bool send_all(int fd, std::string_view data, int timeout_ms) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_ready(fd, POLLOUT, timeout_ms)) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

struct HttpServer::Connection {
  int fd = -1;
  std::string remote_ip;
  int remote_port = 0;
  std::string local_ip;
  int local_port = 0;
  // Received bytes not yet consumed: in[begin, end).
  std::unique_ptr<char[]> in;
  std::size_t in_capacity = 0;
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string out;  // response bytes not yet sent
  int requests = 0;
  std::int64_t request_started_ms = 0;  // when the first byte of the pending request arrived
  // Set while the connection is armed in epoll: when the wait began (idle) or when the pending
  // request began (partial). 0 while a thread handles it; -1 once the sweeper has timed it out
  // (the thread that next takes it closes it).
  std::atomic<std::int64_t> waiting_since_ms{0};
  std::atomic<bool> waiting_partial{false};

  std::size_t pending() const { return end - begin; }
  std::string_view pending_view() const { return {in.get() + begin, end - begin}; }

  // Receives once (what is available, up to kReadChunk). >0 bytes, 0 at end of stream, -1 on
  // error, -2 when nothing is available yet.
  ssize_t receive() {
    if (begin == end) begin = end = 0;
    if (in_capacity - end < kReadChunk) {
      if (begin > 0) {
        std::memmove(in.get(), in.get() + begin, end - begin);
        end -= begin;
        begin = 0;
      }
      if (in_capacity - end < kReadChunk) {
        const std::size_t capacity = std::max(in_capacity * 2, end + kReadChunk);
        auto bigger = std::make_unique<char[]>(capacity);
        if (end > 0) std::memcpy(bigger.get(), in.get(), end);
        in = std::move(bigger);
        in_capacity = capacity;
      }
    }
    for (;;) {
      const ssize_t n = ::recv(fd, in.get() + end, in_capacity - end, 0);
      if (n > 0) {
        end += static_cast<std::size_t>(n);
        return n;
      }
      if (n == 0) return 0;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return -2;
      return -1;
    }
  }

  // Sends `out`, waiting up to timeout_ms each time the socket is full.
  bool flush(int timeout_ms) {
    const bool ok = send_all(fd, out, timeout_ms);
    out.clear();
    return ok;
  }
};

// httplib::Stream over a connection's buffers: reads come from what was received (waiting up to
// the read timeout for more), writes collect in `out` and go out in one send.
class HttpServer::ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(Connection& c, const HttpServerOptions& o) : c_(c), o_(o) {}

  bool is_readable() const override {
    return c_.pending() > 0 || wait_ready(c_.fd, POLLIN, o_.read_timeout_ms);
  }
  bool is_writable() const override { return !broken_; }

  ssize_t read(char* ptr, std::size_t size) override {
    if (c_.pending() == 0) {
      // Whatever was written must reach the client first: "100 Continue", or a response the
      // client waits for before it sends more.
      if (!flush()) return -1;
      for (;;) {
        if (!wait_ready(c_.fd, POLLIN, o_.read_timeout_ms)) return -1;
        const ssize_t n = c_.receive();
        if (n == -2) continue;
        if (n <= 0) return n;
        break;
      }
    }
    const std::size_t n = std::min(size, c_.pending());
    std::memcpy(ptr, c_.in.get() + c_.begin, n);
    c_.begin += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, std::size_t size) override {
    if (broken_) return -1;
    c_.out.append(ptr, size);
    if (c_.out.size() >= kFlushAt && !flush()) return -1;
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.remote_ip;
    port = c_.remote_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.local_ip;
    port = c_.local_port;
  }
  socket_t socket() const override { return c_.fd; }

  bool flush() {
    if (broken_) return false;
    if (!c_.out.empty() && !c_.flush(o_.write_timeout_ms)) broken_ = true;
    return !broken_;
  }

 private:
  Connection& c_;
  const HttpServerOptions& o_;
  bool broken_ = false;
};

HttpServer::HttpServer(HttpServerOptions options) : options_(options) {
  if (options_.threads < 1) options_.threads = 1;
  if (options_.event_threads < 1) {
    options_.event_threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 64u));
  }
  set_keep_alive_max_count(static_cast<std::size_t>(std::max(1, options_.keep_alive_max_requests)));
  set_keep_alive_timeout(std::max<time_t>(1, options_.keep_alive_timeout_ms / 1000));
}

HttpServer::~HttpServer() {
  shutdown();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

int HttpServer::bind_and_listen(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw Error(fmt::format("cannot listen on {}:{}: {}", host, port, ::gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, ::freeaddrinfo);
  int last_errno = 0;
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) {
      listen_fd_ = fd;
      break;
    }
    last_errno = errno;
    ::close(fd);
  }
  if (listen_fd_ < 0) throw Error(fmt::format("cannot listen on {}:{}: {}", host, port, std::strerror(last_errno)));
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  std::string ip;
  int bound_port = 0;
  address_to_string(bound, ip, bound_port);
  return bound_port;
}

void HttpServer::start() {
  if (listen_fd_ < 0) throw Error("HttpServer::start: bind_and_listen() first");
  if (started_) return;
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || stop_fd_ < 0) throw Error(fmt::format("cannot create the HTTP event loop: {}", std::strerror(errno)));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.u64 = kStopTag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev);
  started_ = true;
  for (int i = 0; i < options_.event_threads; ++i) event_threads_.emplace_back([this] { run_event_loop(); });
  for (int i = 0; i < options_.threads; ++i) handler_threads_.emplace_back([this] { run_handler_pool(); });
  sweeper_ = std::thread([this] { sweep_timeouts(); });
}

void HttpServer::shutdown() {
  if (!started_ || stopping_.exchange(true)) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto w = ::write(stop_fd_, &one, sizeof one);
  {
    std::lock_guard lock(sweeper_mutex_);
  }
  sweeper_cv_.notify_all();
  for (auto& t : event_threads_) t.join();  // nothing new reaches the handler pool after this
  event_threads_.clear();
  {
    std::lock_guard lock(pool_mutex_);
  }
  pool_cv_.notify_all();
  for (auto& t : handler_threads_) t.join();  // they answer what was queued first
  handler_threads_.clear();
  if (sweeper_.joinable()) sweeper_.join();
  ::close(listen_fd_);  // connections are refused from here on
  listen_fd_ = -1;
  // No thread handles a connection now: the rest are idle or waiting for a request to complete.
  std::lock_guard lock(connections_mutex_);
  for (Connection* c : connections_) {
    ::close(c->fd);
    delete c;
  }
  connections_.clear();
}

std::size_t HttpServer::open_connections() const {
  std::lock_guard lock(connections_mutex_);
  return connections_.size();
}

void HttpServer::set_inline_paths(std::vector<std::string> paths) { inline_paths_ = std::move(paths); }

bool HttpServer::is_inline(std::string_view header_block) const {
  if (inline_paths_.empty()) return false;
  std::string_view target;
  if (header_block.substr(0, 4) == "GET ") {
    target = header_block.substr(4);
  } else if (header_block.substr(0, 5) == "HEAD ") {
    target = header_block.substr(5);
  } else {
    return false;
  }
  const auto end = target.find_first_of("? \r\n");
  if (end == std::string_view::npos) return false;
  const std::string_view path = target.substr(0, end);
  for (const auto& p : inline_paths_) {
    if (p == path) return true;  // GET and HEAD carry no body here (declares_unread_body)
  }
  return false;
}

void HttpServer::run_handler_pool() {
  for (;;) {
    Connection* c = nullptr;
    {
      std::unique_lock lock(pool_mutex_);
      pool_cv_.wait(lock, [this] { return !pool_queue_.empty() || stopping_; });
      if (pool_queue_.empty()) return;  // stopping, and nothing left to answer
      c = pool_queue_.front();
      pool_queue_.pop_front();
    }
    serve(c, false);
  }
}

void HttpServer::run_event_loop() {
  while (!stopping_) {
    epoll_event ev{};
    const int n = ::epoll_wait(epoll_fd_, &ev, 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("http: epoll_wait failed: {}", std::strerror(errno));
      return;
    }
    if (n == 0 || stopping_) continue;
    if (ev.data.u64 == kStopTag) continue;
    if (ev.data.u64 == kListenTag) {
      accept_connections();
      continue;
    }
    handle(reinterpret_cast<Connection*>(ev.data.ptr));
  }
}

void HttpServer::accept_connections() {
  for (int accepted = 0; accepted < 64; ++accepted) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      // Out of file descriptors (EMFILE/ENFILE) or memory: the listening socket stays readable,
      // so back off instead of spinning, and say so at most once a second.
      static std::atomic<std::int64_t> last_warning_ms{0};
      const std::int64_t now = now_ms();
      std::int64_t last = last_warning_ms.load();
      if (now - last >= 1000 && last_warning_ms.compare_exchange_strong(last, now)) {
        spdlog::warn("http: cannot accept a connection: {} (open connections: {})", std::strerror(errno),
                     open_connections());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return;
    }
    if (open_connections() >= static_cast<std::size_t>(options_.max_connections)) {
      send_all(fd,
               canned_error(503, "Service Unavailable", "too_many_connections",
                            "the server has server.max_connections connections open; retry later"),
               100);
      ::close(fd);
      continue;
    }
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    auto* c = new Connection;
    c->fd = fd;
    address_to_string(peer, c->remote_ip, c->remote_port);
    sockaddr_storage local{};
    socklen_t local_len = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0) {
      address_to_string(local, c->local_ip, c->local_port);
    }
    {
      std::lock_guard lock(connections_mutex_);
      connections_.insert(c);
    }
    c->waiting_since_ms = now_ms();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
    ev.data.ptr = c;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      spdlog::warn("http: cannot watch a connection: {}", std::strerror(errno));
      close_connection(c);
    }
  }
}

void HttpServer::arm(Connection* c, bool partial_request) {
  c->waiting_partial = partial_request;
  c->waiting_since_ms = partial_request ? c->request_started_ms : now_ms();
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.ptr = c;
  // After this call another thread may own c: it is not touched again here.
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
    c->waiting_since_ms = 0;
    close_connection(c);
  }
}

void HttpServer::close_connection(Connection* c) {
  {
    std::lock_guard lock(connections_mutex_);
    connections_.erase(c);
  }
  ::close(c->fd);  // also removes it from the epoll set
  delete c;
}

void HttpServer::refuse(Connection* c, const std::string& answer) {
  send_all(c->fd, answer, options_.write_timeout_ms);
  close_connection(c);
}

void HttpServer::handle(Connection* c) {
  if (c->waiting_since_ms.exchange(0) < 0) {  // timed out by the sweeper
    close_connection(c);
    return;
  }
  const bool had_partial = c->pending() > 0;
  const ssize_t n = c->receive();
  if (n == 0 || n == -1) {
    close_connection(c);
    return;
  }
  if (!had_partial && c->pending() > 0) c->request_started_ms = now_ms();
  serve(c, true);
}

void HttpServer::serve(Connection* c, bool on_event_thread) {
  for (;;) {
    if (c->pending() == 0) {
      arm(c, false);
      return;
    }
    const std::string_view pending = c->pending_view();
    // A request goes to httplib once its header block is complete, so that no thread waits on
    // a client that sends its header slowly.
    const std::size_t header_end = pending.find("\n\r\n");
    if (header_end == std::string_view::npos) {
      if (pending.size() > options_.max_header_bytes) {
        refuse(c, canned_error(431, "Request Header Fields Too Large", "headers_too_large",
                               "the request line and headers are larger than the server accepts"));
        return;
      }
      arm(c, true);
      return;
    }
    const std::string_view header_block = pending.substr(0, header_end + 1);  // later requests excluded
    if (declares_unread_body(header_block)) {
      refuse(c, canned_error(400, "Bad Request", "unexpected_body",
                             "this method takes no request body (Content-Length or Transfer-Encoding given)"));
      return;
    }
    if (on_event_thread && !is_inline(header_block)) {
      {
        std::lock_guard lock(pool_mutex_);
        pool_queue_.push_back(c);
      }
      pool_cv_.notify_one();
      return;
    }
    ++c->requests;
    const bool last = c->requests >= options_.keep_alive_max_requests || stopping_;
    bool connection_closed = false;
    ConnectionStream stream(*c, options_);
    const bool ok = process_request(stream, last, connection_closed, nullptr);
    const bool sent = stream.flush();
    if (!ok || !sent || connection_closed || last || stopping_) {
      close_connection(c);
      return;
    }
    c->request_started_ms = now_ms();  // a pipelined request's bytes arrived with this one
  }
}

void HttpServer::sweep_timeouts() {
  const int shortest = std::min(options_.keep_alive_timeout_ms, options_.read_timeout_ms);
  const auto interval = std::chrono::milliseconds(std::clamp(shortest / 4, 10, 1000));
  std::unique_lock wait_lock(sweeper_mutex_);
  while (!stopping_) {
    sweeper_cv_.wait_for(wait_lock, interval);
    if (stopping_) break;
    const std::int64_t now = now_ms();
    std::lock_guard lock(connections_mutex_);
    for (Connection* c : connections_) {
      std::int64_t since = c->waiting_since_ms.load();
      if (since <= 0) continue;
      const bool partial = c->waiting_partial;
      const int limit = partial ? options_.read_timeout_ms : options_.keep_alive_timeout_ms;
      if (now - since < limit) continue;
      // Claim it, unless a thread took it in the meantime. An armed connection belongs to
      // epoll: shutting the socket down wakes a thread, which sees -1 and closes it (under
      // connections_mutex_, so not before this loop is done with the fd). A partial request
      // gets a 408 first.
      if (!c->waiting_since_ms.compare_exchange_strong(since, -1)) continue;
      if (partial) {
        send_all(c->fd,
                 canned_error(408, "Request Timeout", "request_timeout",
                              "the request header did not arrive within server.read_timeout_ms"),
                 0);
      }
      ::shutdown(c->fd, SHUT_RDWR);
    }
  }
}

}  // namespace vigil::server
