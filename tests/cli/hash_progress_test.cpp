// `vigil hash`'s progress line, through the real binary (VIGIL_CLI_PATH): stderr on a
// pseudo-terminal shows it, stderr on a pipe and --no-progress do not, stdout stays clean TSV in
// every case. VIGIL_PROGRESS_DELAY_MS=0 makes the line due from the start and refreshed every
// 1 ms, so a run over a few dozen generated images shows it without a slow test or a timing
// assumption beyond "hashing 36 images takes over a millisecond".
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <vips/vips.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "vigil/media/image_hasher.h"

extern char** environ;

namespace {
namespace fs = std::filesystem;

constexpr int kImages = 36;

struct VigilRun {
  int status = -1;     // exit status, or 128 + signal
  std::string out;     // stdout (always a pipe)
  std::string err;     // stderr: the terminal's output (master side) or the pipe's
  bool timed_out = false;
};

// Runs `vigil args...` with stdin on /dev/null, stdout on a pipe and stderr on a fresh
// pseudo-terminal (raw mode, so bytes arrive unchanged) or on a pipe. `delay_ms`, if set, is
// put in the environment as VIGIL_PROGRESS_DELAY_MS (any inherited value is dropped).
VigilRun run_hash_cli(const std::vector<std::string>& args, bool stderr_on_terminal, const std::optional<std::string>& delay_ms) {
  ::signal(SIGPIPE, SIG_IGN);
  VigilRun run;
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return run;
  }
  int err_read = -1;   // master, or the read end of the stderr pipe
  int err_write = -1;  // slave, or the write end
  if (stderr_on_terminal) {
    err_read = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    char name[128];
    if (err_read < 0 || ::grantpt(err_read) != 0 || ::unlockpt(err_read) != 0 ||
        ::ptsname_r(err_read, name, sizeof name) != 0) {
      ADD_FAILURE() << "pseudo-terminal: " << std::strerror(errno);
      return run;
    }
    err_write = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (err_write < 0) {
      ADD_FAILURE() << "open " << name << ": " << std::strerror(errno);
      return run;
    }
    termios mode{};
    ::tcgetattr(err_write, &mode);
    ::cfmakeraw(&mode);
    ::tcsetattr(err_write, TCSANOW, &mode);
  } else {
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe: " << std::strerror(errno);
      return run;
    }
    err_read = err_pipe[0];
    err_write = err_pipe[1];
  }

  // Everything the child needs is built before fork (the test process has threads).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "VIGIL_PROGRESS_DELAY_MS=", 24) != 0) env_strings.emplace_back(*e);
  }
  if (delay_ms) env_strings.push_back("VIGIL_PROGRESS_DELAY_MS=" + *delay_ms);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_strings{VIGIL_CLI_PATH};
  arg_strings.insert(arg_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : arg_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_write, 2);
    ::execve(VIGIL_CLI_PATH, argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_write);

  // Read both until end of file (a pipe) or EIO (the master once the child's side is closed).
  std::array<int, 2> readers{out_pipe[0], err_read};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (readers[0] >= 0 || readers[1] >= 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      run.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    std::vector<pollfd> fds;
    for (int fd : readers) {
      if (fd >= 0) fds.push_back({fd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 1000) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (const auto& p : fds) {
      if (!p.revents) continue;
      char buf[65536];
      const ssize_t n = ::read(p.fd, buf, sizeof buf);
      const int which = p.fd == readers[0] ? 0 : 1;
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(p.fd);
        readers[which] = -1;
      } else {
        (which == 0 ? run.out : run.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  for (int fd : readers) {
    if (fd >= 0) ::close(fd);
  }
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  run.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return run;
}

class HashProgress : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    vigil::media::initialize_media();
    std::random_device rd;
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("vigil-hash-progress-" + std::to_string(rd()) + "-" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    // Benign generated pictures: a gradient with a per-image offset plus noise, half JPEG and
    // half PNG, 256x192 RGB.
    std::mt19937 random(7);
    for (int k = 0; k < kImages; ++k) {
      constexpr int w = 256;
      constexpr int h = 192;
      std::vector<unsigned char> pixels(static_cast<std::size_t>(w) * h * 3);
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          unsigned char* p = &pixels[(static_cast<std::size_t>(y) * w + x) * 3];
          p[0] = static_cast<unsigned char>((x + 7 * k) & 0xff);
          p[1] = static_cast<unsigned char>((y * (k + 1)) & 0xff);
          p[2] = static_cast<unsigned char>(random() & 0xff);
        }
      }
      VipsImage* image = vips_image_new_from_memory_copy(pixels.data(), pixels.size(), w, h, 3, VIPS_FORMAT_UCHAR);
      ASSERT_NE(image, nullptr) << vips_error_buffer();
      char name[32];
      std::snprintf(name, sizeof name, "img-%02d.%s", k, k % 2 ? "png" : "jpg");
      const fs::path path = *dir_ / name;
      const int rc = k % 2 ? vips_pngsave(image, path.c_str(), nullptr) : vips_jpegsave(image, path.c_str(), nullptr);
      g_object_unref(image);
      ASSERT_EQ(rc, 0) << vips_error_buffer();
    }
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    dir_ = nullptr;
  }

  // stdout is exactly the TSV header and one row per image, in sorted path order, with no
  // terminal control bytes.
  static void expect_clean_tsv(const std::string& out) {
    EXPECT_EQ(out.find('\r'), std::string::npos);
    EXPECT_EQ(out.find('\033'), std::string::npos);
    std::istringstream in(out);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(kImages) + 1) << out;
    EXPECT_EQ(lines[0], "path\tpdq\tquality\tmd5\tsha1\tsha256\twidth\theight");
    const std::regex row(R"(([^\t]+)\t[0-9a-f]{64}\t[0-9]{1,3}\t[0-9a-f]{32}\t[0-9a-f]{40}\t[0-9a-f]{64}\t256\t192)");
    for (int k = 0; k < kImages; ++k) {
      std::smatch m;
      ASSERT_TRUE(std::regex_match(lines[k + 1], m, row)) << lines[k + 1];
      char name[32];
      std::snprintf(name, sizeof name, "img-%02d.%s", k, k % 2 ? "png" : "jpg");
      EXPECT_EQ(fs::path(m[1].str()).filename(), name);
    }
  }

  static fs::path* dir_;
};

fs::path* HashProgress::dir_ = nullptr;

TEST_F(HashProgress, ShownOnATerminalAndErasedAtTheEnd) {
  const VigilRun run = run_hash_cli({"hash", "-j", "2", dir_->string()}, true, "0");
  ASSERT_FALSE(run.timed_out);
  EXPECT_EQ(run.status, 0) << run.err;
  expect_clean_tsv(run.out);

  // The terminal receives only "\r\033[K" + a progress text, any number of times, then a final
  // "\r\033[K" that erases it.
  const std::string clear = "\r\033[K";
  ASSERT_GE(run.err.size(), clear.size()) << "nothing on the terminal";
  ASSERT_EQ(run.err.compare(0, clear.size(), clear), 0) << run.err;
  EXPECT_EQ(run.err.compare(run.err.size() - clear.size(), clear.size(), clear), 0) << "not erased at the end";
  std::vector<std::string> pieces;
  for (std::size_t pos = 0; pos < run.err.size();) {
    ASSERT_EQ(run.err.compare(pos, clear.size(), clear), 0) << "unexpected bytes at " << pos << ": " << run.err;
    pos += clear.size();
    const std::size_t next = std::min(run.err.find(clear, pos), run.err.size());
    pieces.push_back(run.err.substr(pos, next - pos));
    pos = next;
  }
  const std::regex line(R"(vigil hash: (\d+)/(\d+) files \((\d+)%\)(, \d+\.\d files/s, about \d+:\d\d left)?)");
  int shown = 0;
  std::size_t last_done = 0;
  for (const auto& piece : pieces) {
    if (piece.empty()) continue;  // a clear
    std::smatch m;
    ASSERT_TRUE(std::regex_match(piece, m, line)) << "not a progress line: '" << piece << "'";
    const std::size_t done = std::stoul(m[1].str());
    EXPECT_EQ(m[2].str(), std::to_string(kImages));
    EXPECT_LE(done, static_cast<std::size_t>(kImages));
    EXPECT_GE(done, last_done) << "progress went backwards";
    EXPECT_EQ(std::stoi(m[3].str()), static_cast<int>(100.0 * static_cast<double>(done) / kImages));
    last_done = done;
    ++shown;
  }
  EXPECT_GE(shown, 1) << "no progress line on the terminal";
}

TEST_F(HashProgress, NotShownWhenStderrIsAPipe) {
  const VigilRun run = run_hash_cli({"hash", "-j", "2", dir_->string()}, false, "0");
  ASSERT_FALSE(run.timed_out);
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.err, "");
  expect_clean_tsv(run.out);
}

TEST_F(HashProgress, NotShownWithNoProgress) {
  const VigilRun run = run_hash_cli({"hash", "-j", "2", "--no-progress", dir_->string()}, true, "0");
  ASSERT_FALSE(run.timed_out);
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.err, "");
  expect_clean_tsv(run.out);
}

TEST_F(HashProgress, SameRowsWithAndWithoutTheProgressLine) {
  const VigilRun terminal = run_hash_cli({"hash", "-j", "2", dir_->string()}, true, "0");
  const VigilRun pipe = run_hash_cli({"hash", "-j", "1", dir_->string()}, false, std::nullopt);
  EXPECT_EQ(terminal.status, 0);
  EXPECT_EQ(pipe.status, 0);
  EXPECT_EQ(terminal.out, pipe.out);
}

TEST_F(HashProgress, BadDelayIsAUsageError) {
  for (const std::string bad : {"abc", "-5", "", "1e3", "3600001", "99999999999999999999"}) {
    const VigilRun run = run_hash_cli({"hash", dir_->string()}, false, bad);
    EXPECT_EQ(run.status, 2) << bad;
    EXPECT_EQ(run.out, "") << bad;
    EXPECT_NE(run.err.find("VIGIL_PROGRESS_DELAY_MS"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("'" + bad + "'"), std::string::npos) << run.err;
  }
}

}  // namespace
