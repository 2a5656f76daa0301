#pragma once
// A `vigil serve` child process for CLI tests: started on 127.0.0.1 with a free port (its stderr,
// the log, appended to a file), stopped by a signal by the test that started it.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace vigil::cli::testing {

// Runs a shell command; returns its stdout without trailing newlines.
inline std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

struct ServerProcess {
  pid_t pid = -1;
  int port = 0;
};

// Starts `vigil serve` on a free port; returns once it printed its listening line.
inline ServerProcess start_server(const std::filesystem::path& data, const std::filesystem::path& log) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  ServerProcess sp;
  sp.pid = fork();
  if (sp.pid == 0) {
    dup2(fds[1], 1);
    const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (err >= 0) dup2(err, 2);
    close(fds[0]);
    close(fds[1]);
    execl(VIGIL_CLI_PATH, VIGIL_CLI_PATH, "serve", "--data", data.c_str(), "--listen", "127.0.0.1:0",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  close(fds[0]);
  const auto colon = line.rfind(':');
  if (line.find("listening on") != std::string::npos && colon != std::string::npos) {
    sp.port = std::stoi(line.substr(colon + 1));
  }
  return sp;
}

// Sends `sig` and waits for the process; returns its wait status.
inline int stop_server(ServerProcess& sp, int sig) {
  kill(sp.pid, sig);
  int status = 0;
  waitpid(sp.pid, &status, 0);
  sp.pid = -1;
  return status;
}

}  // namespace vigil::cli::testing
