// `vigil serve --data DIR [--config FILE] [--listen HOST:PORT]`: runs the detection service until
// SIGINT/SIGTERM, then shuts down gracefully (in-flight requests and claimed events finish).
// Prints "vigil serve: listening on HOST:PORT" on stdout once bound (port 0 picks a free port).
#include <signal.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "command.h"
#include "vigil/server/config.h"
#include "vigil/server/service.h"

namespace vigil::cli {
namespace {

struct ServeOptions {
  std::string data;
  std::string config;
  std::string listen;
};

void setup_logging(const server::LogConfig& log) {
  auto logger = spdlog::stderr_logger_mt("vigil");
  if (log.json) {
    // Messages are written by Vigil's code only (never request data), so they need no escaping
    // beyond what spdlog's pattern gives; they never contain quotes from user input.
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","thread":%t,"msg":"%v"})", spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(log.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

int run(const ServeOptions& o) {
  server::ServiceConfig config = o.config.empty() ? server::ServiceConfig{} : server::load_config(o.config);
  config.data_dir = o.data;
  if (!o.listen.empty()) {
    server::parse_listen(o.listen);
    config.server.listen = o.listen;
  }
  setup_logging(config.log);

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  server::Service service(config);
  const int port = service.start();
  const auto host = server::parse_listen(config.server.listen).first;
  std::printf("vigil serve: listening on %s:%d\n", host.c_str(), port);
  std::fflush(stdout);

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("received signal {}, shutting down", sig);
    service.stop();
  });
  service.wait();
  if (waiter.joinable()) {
    // stop() came from elsewhere: wake the waiter.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  }
  return 0;
}

CommandRegistrar reg{{"serve", "Run the detection service (events, cases, HMA-compatible API)", [](CLI::App& app) {
                        auto o = std::make_shared<ServeOptions>();
                        app.add_option("--data", o->data, "Data directory (created if missing)")->required();
                        app.add_option("--config", o->config, "TOML config file (docs/configuration.md)");
                        app.add_option("--listen", o->listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
                        return [o] { return run(*o); };
                      }}};

}  // namespace
}  // namespace vigil::cli
