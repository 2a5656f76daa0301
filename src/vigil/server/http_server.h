#pragma once
// The service's HTTP/1.1 front end: cpp-httplib's request handling (request parsing, routing,
// body limits, multipart, Expect: 100-continue, error/exception handlers, logger) driven by an
// epoll loop of our own instead of httplib's thread per connection.
//
// Why: with httplib's own server a kept-alive connection holds a thread between requests, and
// each request costs about ten system calls (six poll, two send, recv, getpeername,
// getsockname) plus a thread wake-up. Here:
//   - `event_threads` (one per core by default) share one epoll set. A connection is armed
//     EPOLLONESHOT, so exactly one thread owns it while it is handled.
//   - A request is taken up only once its whole header block has arrived: a client that sends
//     its header slowly holds no thread, and gets 408 after read_timeout_ms.
//   - Requests for the inline paths (set_inline_paths: short, non-blocking handlers such as
//     /m/raw_lookup) are handled on the event thread: epoll_wait, one recv, one send (header
//     and body together) and the re-arm, and no thread wake-up while the threads are busy.
//   - Every other request goes to a pool of `threads` handler threads, so a slow handler
//     (hashing a large image, fetching a URL, committing a batch) never stalls the event
//     threads.
//   - Idle kept-alive connections hold no thread and are closed after keep_alive_timeout_ms.
//   - A request whose method httplib reads no body for (GET, HEAD, ...) but that declares one
//     gets 400 and the connection closes: httplib would read that body as the next request.
// Bodies are read by httplib as before: a thread reading a slowly sent body waits up to
// read_timeout_ms per read.
//
// Routes and handlers are registered through the httplib::Server interface (Get, Post, ...).
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace vigil::server {

struct HttpServerOptions {
  int event_threads = 0;               // threads on the epoll set; 0: one per core
  int threads = 16;                    // handler threads for all but the inline paths
  int keep_alive_max_requests = 100;   // requests on one connection before it is closed
  int keep_alive_timeout_ms = 5'000;   // idle time after which a kept-alive connection is closed
  int read_timeout_ms = 10'000;        // a request's header block, and each wait for body bytes
  int write_timeout_ms = 10'000;       // each wait for the client to take response bytes
  int max_connections = 4'096;         // more are answered 503 and closed
  std::size_t max_header_bytes = 64 * 1024;  // a header block larger than this gets 431
};

class HttpServer : public httplib::Server {
 public:
  explicit HttpServer(HttpServerOptions options = {});
  ~HttpServer() override;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (port 0: a free port) and listens. Returns the bound port; throws
  // vigil::Error naming the address when it cannot.
  int bind_and_listen(const std::string& host, int port);
  // Paths (without query) whose GET/HEAD requests run on the event threads. Their handlers must
  // be short and never block on I/O. Call before start().
  void set_inline_paths(std::vector<std::string> paths);
  // Starts the event and handler threads and the timeout sweeper; returns at once.
  void start();
  // Stops accepting, lets requests being handled finish and answer, closes every connection and
  // joins the threads. Idempotent; safe from any thread but a handler's.
  void shutdown();

  std::size_t open_connections() const;

 private:
  struct Connection;
  class ConnectionStream;

  void run_event_loop();
  void run_handler_pool();
  void accept_connections();
  void handle(Connection* c);
  // Answers the complete requests buffered on c, then re-arms or closes it. On an event thread,
  // a request for a path that is not inline is passed to the handler pool instead.
  void serve(Connection* c, bool on_event_thread);
  bool is_inline(std::string_view header_block) const;
  void arm(Connection* c, bool partial_request);
  void close_connection(Connection* c);
  // Sends a complete answer the server itself gives (a canned error) and closes.
  void refuse(Connection* c, const std::string& answer);
  void sweep_timeouts();

  HttpServerOptions options_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;  // eventfd, level-triggered in the epoll set: wakes every thread on shutdown
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::vector<std::string> inline_paths_;
  std::vector<std::thread> event_threads_;
  std::vector<std::thread> handler_threads_;
  std::mutex pool_mutex_;  // with pool_cv_: connections waiting for a handler thread
  std::condition_variable pool_cv_;
  std::deque<Connection*> pool_queue_;
  std::thread sweeper_;
  std::mutex sweeper_mutex_;
  std::condition_variable sweeper_cv_;
  mutable std::mutex connections_mutex_;  // guards connections_; a connection's fd is closed only
                                          // after it has left the set under this mutex
  std::unordered_set<Connection*> connections_;
};

}  // namespace vigil::server
