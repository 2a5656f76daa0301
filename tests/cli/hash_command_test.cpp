// `vigil hash` run as a subprocess (VIGIL_CLI_PATH) on real files: reference images from
// /work/shared/testdata/pdq-reference and hostile files written by the tests into a temp folder.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "vigil/common/hash256.h"

namespace {
namespace fs = std::filesystem;

const fs::path kPdqData = fs::path(VIGIL_SHARED_TESTDATA_DIR) / "pdq-reference";

struct RunResult {
  int status = -1;  // exit status, or 128 + signal
  std::string out;
  std::string err;
};

// Runs the `vigil` binary with `args`, feeding `input` on stdin. `after_input` runs once all of
// `input` has been written (the child has then consumed all but at most a pipe's capacity of it),
// just before stdin is closed.
RunResult run_vigil(const std::vector<std::string>& args, const std::string& input = {},
                    const std::function<void()>& after_input = {}) {
  ::signal(SIGPIPE, SIG_IGN);
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return {};
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(VIGIL_CLI_PATH));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(VIGIL_CLI_PATH, argv.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  RunResult result;
  int in_fd = in_pipe[1];
  std::size_t written = 0;
  auto finish_input = [&] {
    if (after_input) after_input();
    ::close(in_fd);
    in_fd = -1;
  };
  if (input.empty()) finish_input();
  std::array<int, 2> readers{out_pipe[0], err_pipe[0]};
  while (readers[0] >= 0 || readers[1] >= 0 || in_fd >= 0) {
    std::vector<pollfd> fds;
    for (int fd : readers)
      if (fd >= 0) fds.push_back({fd, POLLIN, 0});
    if (in_fd >= 0) fds.push_back({in_fd, POLLOUT, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (const auto& p : fds) {
      if (!p.revents) continue;
      if (p.fd == in_fd) {
        const ssize_t n = ::write(in_fd, input.data() + written, std::min<std::size_t>(input.size() - written, 4096));
        if (n > 0) written += static_cast<std::size_t>(n);
        if (n < 0 || written == input.size()) finish_input();
        continue;
      }
      char buf[65536];
      const ssize_t n = ::read(p.fd, buf, sizeof buf);
      const int which = p.fd == readers[0] ? 0 : 1;
      if (n <= 0) {
        ::close(p.fd);
        readers[which] = -1;
      } else {
        (which == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  result.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return result;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) return parts;
    start = pos + 1;
  }
}

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string hex_digest(const EVP_MD* md, const std::string& bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &n, md, nullptr);
  std::string hex;
  static const char* digits = "0123456789abcdef";
  for (unsigned i = 0; i < n; ++i) {
    hex += digits[out[i] >> 4];
    hex += digits[out[i] & 15];
  }
  return hex;
}

// Reference hashes (Meta's pdq-photo-hasher) keyed by path relative to kPdqData.
std::map<std::string, std::pair<std::string, int>> reference_hashes() {
  std::map<std::string, std::pair<std::string, int>> out;
  std::ifstream f(kPdqData / "expected" / "cpp-reference-hashes.csv");
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto parts = split(line, ',');
    if (parts.size() == 3) out[parts[2]] = {parts[0], std::stoi(parts[1])};
  }
  return out;
}

std::uint32_t crc32(const std::string& bytes) {
  std::uint32_t crc = 0xffffffffu;
  for (const char ch : bytes) {
    crc ^= static_cast<unsigned char>(ch);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string png_chunk(const std::string& type, const std::string& data) {
  return be32(static_cast<std::uint32_t>(data.size())) + type + data + be32(crc32(type + data));
}

// A PNG whose (valid, CRC-checked) header claims width x height pixels, with no pixel data.
std::string png_claiming(std::uint32_t width, std::uint32_t height) {
  std::string ihdr = be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IEND", "");
}

// A JPEG with an EXIF APP1 segment (orientation tag only) inserted right after SOI.
std::string with_exif_orientation(const std::string& jpeg, int orientation) {
  std::string tiff("MM\x00\x2a\x00\x00\x00\x08", 8);
  tiff += std::string("\x00\x01", 2);                                   // one IFD entry
  tiff += std::string("\x01\x12\x00\x03\x00\x00\x00\x01", 8);           // Orientation, SHORT, count 1
  tiff += std::string{'\x00', static_cast<char>(orientation), '\x00', '\x00'};
  tiff += std::string("\x00\x00\x00\x00", 4);                           // no next IFD
  const std::string payload = std::string("Exif\x00\x00", 6) + tiff;
  const auto len = static_cast<std::uint16_t>(payload.size() + 2);
  std::string app1 = std::string("\xff\xe1", 2) + static_cast<char>(len >> 8) + static_cast<char>(len & 0xff) + payload;
  return jpeg.substr(0, 2) + app1 + jpeg.substr(2);
}

int hamming(const std::string& a, const std::string& b) {
  return vigil::hamming_distance(vigil::Hash256::parse_hex(a), vigil::Hash256::parse_hex(b));
}

bool is_lower_hex(const std::string& s, std::size_t length) {
  return s.size() == length && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

class HashCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("vigil-hash-test-" + std::to_string(rd()) + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }
  fs::path copy_in(const std::string& relative, const fs::path& to) {
    fs::create_directories(to.parent_path());
    fs::copy_file(kPdqData / relative, to, fs::copy_options::overwrite_existing);
    return to;
  }
  // stderr lines naming a failed file (not the final summary).
  static std::vector<std::string> failure_lines(const std::string& err) {
    std::vector<std::string> out;
    for (const auto& l : lines_of(err))
      if (l.rfind("vigil hash: ", 0) == 0 && l.find(" files failed") == std::string::npos) out.push_back(l);
    return out;
  }
  fs::path dir_;
};

const char* const kHeader = "path\tpdq\tquality\tmd5\tsha1\tsha256\twidth\theight";

TEST_F(HashCommandTest, TsvRowsCarryTheReferenceHashesDigestsAndSize) {
  const auto refs = reference_hashes();
  const std::vector<std::string> names = {"reg-test-input/dih/bridge-1-original.jpg", "misc-images/wee.jpg",
                                          "reg-test-input/labelme-subset/q0003.jpg", "misc-images/c.png"};
  std::vector<std::string> args = {"hash", "-j", "2"};
  for (const auto& n : names) args.push_back((kPdqData / n).string());
  const RunResult r = run_vigil(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), names.size() + 1);
  EXPECT_EQ(lines[0], kHeader);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto cols = split(lines[i + 1], '\t');
    ASSERT_EQ(cols.size(), 8u) << lines[i + 1];
    EXPECT_EQ(cols[0], (kPdqData / names[i]).string());
    const std::string bytes = read_bytes(kPdqData / names[i]);
    EXPECT_TRUE(is_lower_hex(cols[1], 64)) << cols[1];
    ASSERT_TRUE(refs.count(names[i])) << names[i];
    EXPECT_EQ(cols[1], refs.at(names[i]).first) << names[i];
    EXPECT_EQ(std::stoi(cols[2]), refs.at(names[i]).second) << names[i];
    EXPECT_EQ(cols[3], hex_digest(EVP_md5(), bytes));
    EXPECT_EQ(cols[4], hex_digest(EVP_sha1(), bytes));
    EXPECT_EQ(cols[5], hex_digest(EVP_sha256(), bytes));
  }
  EXPECT_EQ(split(lines[1], '\t')[6], "1600");
  EXPECT_EQ(split(lines[1], '\t')[7], "1004");
  EXPECT_EQ(split(lines[2], '\t')[6], "34");
  EXPECT_EQ(split(lines[2], '\t')[7], "42");
}

TEST_F(HashCommandTest, JsonLinesHaveTheSameFieldsAsTsv) {
  const std::vector<std::string> files = {(kPdqData / "misc-images/wee.jpg").string(),
                                          (kPdqData / "reg-test-input/labelme-subset/q0122.jpg").string()};
  const RunResult tsv = run_vigil({"hash", "--no-header", files[0], files[1]});
  const RunResult json = run_vigil({"hash", "--json", files[0], files[1]});
  ASSERT_EQ(tsv.status, 0) << tsv.err;
  ASSERT_EQ(json.status, 0) << json.err;
  const auto tsv_lines = lines_of(tsv.out);
  const auto json_lines = lines_of(json.out);
  ASSERT_EQ(tsv_lines.size(), 2u);
  ASSERT_EQ(json_lines.size(), 2u);
  const std::vector<std::string> keys = {"path", "pdq", "quality", "md5", "sha1", "sha256", "width", "height"};
  for (std::size_t i = 0; i < 2; ++i) {
    const auto j = nlohmann::ordered_json::parse(json_lines[i]);
    ASSERT_TRUE(j.is_object());
    std::vector<std::string> got_keys;
    for (const auto& item : j.items()) got_keys.push_back(item.key());
    EXPECT_EQ(got_keys, keys);
    const auto cols = split(tsv_lines[i], '\t');
    ASSERT_EQ(cols.size(), 8u);
    EXPECT_EQ(j["path"].get<std::string>(), cols[0]);
    EXPECT_EQ(j["pdq"].get<std::string>(), cols[1]);
    EXPECT_TRUE(j["quality"].is_number_integer());
    EXPECT_EQ(std::to_string(j["quality"].get<int>()), cols[2]);
    EXPECT_EQ(j["md5"].get<std::string>(), cols[3]);
    EXPECT_EQ(j["sha1"].get<std::string>(), cols[4]);
    EXPECT_EQ(j["sha256"].get<std::string>(), cols[5]);
    EXPECT_EQ(std::to_string(j["width"].get<int>()), cols[6]);
    EXPECT_EQ(std::to_string(j["height"].get<int>()), cols[7]);
  }
}

TEST_F(HashCommandTest, OutputIsTheSameWhateverTheNumberOfThreads) {
  // A mix of images, failures and subfolders; each name once per folder.
  const std::vector<std::string> images = {
      "reg-test-input/dih/bridge-1-original.jpg", "reg-test-input/dih/bridge-3-rotate-180.jpg",
      "bridge-mods/blur-a-lot.jpg",              "bridge-mods/square-128x128.jpg",
      "misc-images/c.png",                       "misc-images/wee.jpg",
      "misc-images/small.jpg",                   "reg-test-input/labelme-subset/q0746.jpg",
      "reg-test-input/labelme-subset/q1050.jpg", "reg-test-input/labelme-subset/q2821.jpg"};
  for (std::size_t i = 0; i < images.size(); ++i) {
    const fs::path sub = dir_ / (i % 3 == 0 ? "a" : i % 3 == 1 ? "b/c" : "");
    copy_in(images[i], sub / (std::to_string(9 - i) + "-" + fs::path(images[i]).filename().string()));
  }
  write_bytes(dir_ / "b" / "notes.jpg", "not an image at all\n");
  write_bytes(dir_ / "a" / "empty.png", "");
  const std::string jpeg = read_bytes(kPdqData / "bridge-mods/aaa-orig.jpg");
  write_bytes(dir_ / "truncated.jpg", jpeg.substr(0, jpeg.size() / 2));

  const RunResult one = run_vigil({"hash", "-j", "1", dir_.string()});
  EXPECT_EQ(one.status, 1) << one.err;
  EXPECT_EQ(lines_of(one.out).size(), images.size() + 1) << one.out;
  EXPECT_EQ(failure_lines(one.err).size(), 3u) << one.err;
  for (const char* threads : {"2", "3", "8"}) {
    const RunResult many = run_vigil({"hash", "-j", threads, dir_.string()});
    EXPECT_EQ(many.status, one.status) << threads;
    EXPECT_EQ(many.out, one.out) << "-j " << threads;
    EXPECT_EQ(many.err, one.err) << "-j " << threads;
  }
  const RunResult json_one = run_vigil({"hash", "--json", "-j", "1", dir_.string()});
  const RunResult json_many = run_vigil({"hash", "--json", "-j", "4", dir_.string()});
  EXPECT_EQ(json_one.out, json_many.out);
}

TEST_F(HashCommandTest, DirectoriesAreWalkedRecursivelyInSortedOrder) {
  copy_in("misc-images/wee.jpg", dir_ / "b.jpg");
  copy_in("misc-images/wee.jpg", dir_ / "a" / "z.jpg");
  copy_in("misc-images/wee.jpg", dir_ / "a" / "deeper" / "x.jpg");
  copy_in("misc-images/wee.jpg", dir_ / "a" / "y.jpg");
  copy_in("misc-images/wee.jpg", dir_ / ".hidden.jpg");
  fs::create_directories(dir_ / "empty");
  fs::create_directory_symlink(dir_ / "a", dir_ / "c-link-to-a");  // not followed in a walk
  fs::create_symlink(dir_ / "b.jpg", dir_ / "d-link.jpg");          // a symlink to a file is
  const RunResult r = run_vigil({"hash", "--no-header", dir_.string(), (dir_ / "b.jpg").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> paths;
  for (const auto& line : lines_of(r.out)) paths.push_back(split(line, '\t')[0]);
  const std::string d = dir_.string();
  EXPECT_EQ(paths, (std::vector<std::string>{d + "/.hidden.jpg", d + "/a/deeper/x.jpg", d + "/a/y.jpg", d + "/a/z.jpg",
                                             d + "/b.jpg", d + "/d-link.jpg", d + "/b.jpg"}));
}

TEST_F(HashCommandTest, PathsAreReadFromStdinWithDash) {
  copy_in("misc-images/wee.jpg", dir_ / "one.jpg");
  copy_in("misc-images/c.png", dir_ / "sub" / "two.png");
  const std::string input = (dir_ / "one.jpg").string() + "\n\n" + (dir_ / "sub").string() + "\n" +
                            (dir_ / "missing.jpg").string() + "\n";
  const RunResult r = run_vigil({"hash", "--no-header", (dir_ / "one.jpg").string(), "-"}, input);
  EXPECT_EQ(r.status, 1);
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(split(lines[0], '\t')[0], (dir_ / "one.jpg").string());
  EXPECT_EQ(split(lines[1], '\t')[0], (dir_ / "one.jpg").string());
  EXPECT_EQ(split(lines[2], '\t')[0], (dir_ / "sub" / "two.png").string());
  const auto failures = failure_lines(r.err);
  ASSERT_EQ(failures.size(), 1u) << r.err;
  EXPECT_EQ(failures[0].rfind("vigil hash: " + (dir_ / "missing.jpg").string() + ": ", 0), 0u) << failures[0];

  // NUL-separated, as from find -print0.
  const std::string nul_input = (dir_ / "one.jpg").string() + '\0' + (dir_ / "sub" / "two.png").string() + '\0';
  const RunResult z = run_vigil({"hash", "--no-header", "-0", "-"}, nul_input);
  EXPECT_EQ(z.status, 0) << z.err;
  EXPECT_EQ(lines_of(z.out).size(), 2u);
}

TEST_F(HashCommandTest, HostileFilesEachGiveOneErrorLineAndTheBatchGoesOn) {
  const std::string jpeg = read_bytes(kPdqData / "reg-test-input/dih/bridge-1-original.jpg");
  std::map<std::string, std::string> hostile = {
      {"01-empty.jpg", ""},
      {"02-truncated.jpg", jpeg.substr(0, jpeg.size() * 6 / 10)},
      {"03-huge-header.png", png_claiming(50000, 50000)},
      {"04-text.jpg", "This is a text file with a .jpg name.\n"},
      {"05-no-frames.gif", std::string("GIF89a\x01\x00\x01\x00\x00\x00\x00\x3b", 14)},
      {"06-garbage.png", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(300, '\x5a')},
      {"07-header-only.jpg", jpeg.substr(0, 200)},
  };
  std::vector<std::string> args = {"hash", "--no-header", "-j", "2"};
  const fs::path good1 = copy_in("misc-images/wee.jpg", dir_ / "00-good.jpg");
  args.push_back(good1.string());
  for (const auto& [name, bytes] : hostile) {
    write_bytes(dir_ / name, bytes);
    args.push_back((dir_ / name).string());
  }
  const fs::path good2 = copy_in("misc-images/c.png", dir_ / "99-good.png");
  args.push_back(good2.string());

  const RunResult r = run_vigil(args);
  EXPECT_EQ(r.status, 1) << r.err;  // exited normally, reporting failures
  const auto rows = lines_of(r.out);
  ASSERT_EQ(rows.size(), 2u) << r.out;
  EXPECT_EQ(split(rows[0], '\t')[0], good1.string());
  EXPECT_EQ(split(rows[1], '\t')[0], good2.string());
  const auto failures = failure_lines(r.err);
  ASSERT_EQ(failures.size(), hostile.size()) << r.err;
  std::size_t k = 0;
  for (const auto& [name, bytes] : hostile) {
    const std::string prefix = "vigil hash: " + (dir_ / name).string() + ": ";
    EXPECT_EQ(failures[k].rfind(prefix, 0), 0u) << failures[k];
    EXPECT_GT(failures[k].size(), prefix.size() + 3) << "no reason given: " << failures[k];
    EXPECT_EQ(failures[k].find(name, prefix.size()), std::string::npos) << "path repeated: " << failures[k];
    ++k;
  }
  EXPECT_NE(r.err.find(std::to_string(hostile.size()) + " of " + std::to_string(hostile.size() + 2) + " files failed"),
            std::string::npos)
      << r.err;
}

TEST_F(HashCommandTest, AFileThatVanishesAfterTheWalkIsReportedAndTheRestHashed) {
  copy_in("misc-images/wee.jpg", dir_ / "a.jpg");
  const fs::path victim = copy_in("misc-images/c.png", dir_ / "b.png");
  copy_in("misc-images/wee.jpg", dir_ / "c.jpg");
  // vigil expands its arguments in order before hashing: the folder is walked (b.png listed),
  // then "-" reads stdin. Once 1 MiB of (ignored) empty lines has gone into the pipe, vigil is
  // reading stdin, so the walk is over: b.png vanishes between the listing and the hashing.
  const RunResult r = run_vigil({"hash", "--no-header", "-j", "2", dir_.string(), "-"}, std::string(1 << 20, '\n'),
                                [&] { fs::remove(victim); });
  EXPECT_EQ(r.status, 1) << r.err;
  const auto rows = lines_of(r.out);
  ASSERT_EQ(rows.size(), 2u) << r.out;
  EXPECT_EQ(split(rows[0], '\t')[0], (dir_ / "a.jpg").string());
  EXPECT_EQ(split(rows[1], '\t')[0], (dir_ / "c.jpg").string());
  const auto failures = failure_lines(r.err);
  ASSERT_EQ(failures.size(), 1u) << r.err;
  EXPECT_EQ(failures[0].rfind("vigil hash: " + victim.string() + ": ", 0), 0u) << failures[0];
}

TEST_F(HashCommandTest, ExitStatuses) {
  const std::string good = (kPdqData / "misc-images/wee.jpg").string();
  EXPECT_EQ(run_vigil({"hash", good}).status, 0);
  EXPECT_EQ(run_vigil({"hash", good, (dir_ / "nope.jpg").string()}).status, 1);
  EXPECT_EQ(run_vigil({"hash", (dir_ / "nope.jpg").string()}).status, 1);
  // Bad usage: 2, and nothing on stdout.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"hash"}, {"hash", "--mode", "bogus", good}, {"hash", "-j", "0", good},
        {"hash", "--frobnicate", good}, {"hash", "--min-quality", "101", good},
        {"hash", "--max-file-size", "12X", good}, {"hash", "--max-pixels", "0", good}}) {
    const RunResult r = run_vigil(args);
    EXPECT_EQ(r.status, 2) << args.back() << ": " << r.err;
    EXPECT_EQ(r.out, "") << args.back();
    EXPECT_FALSE(r.err.empty());
  }
}

TEST_F(HashCommandTest, VersionAndHelp) {
  const RunResult version = run_vigil({"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.out.rfind("vigil ", 0), 0u) << version.out;
  const RunResult help = run_vigil({"hash", "--help"});
  EXPECT_EQ(help.status, 0);
  for (const char* option : {"--jobs", "--mode", "--dihedral", "--json", "--exif-orient", "--min-quality",
                             "--max-file-size", "--max-pixels", "--max-dimension", "--max-decode-seconds"})
    EXPECT_NE(help.out.find(option), std::string::npos) << option;
}

TEST_F(HashCommandTest, DecodeLimitsComeFromTheCommandLine) {
  const fs::path img = copy_in("reg-test-input/labelme-subset/q0122.jpg", dir_ / "256.jpg");  // 256x256
  const auto size = fs::file_size(img);
  EXPECT_EQ(run_vigil({"hash", img.string(), "--max-dimension", "256"}).status, 0);
  EXPECT_EQ(run_vigil({"hash", img.string(), "--max-dimension", "255"}).status, 1);
  EXPECT_EQ(run_vigil({"hash", img.string(), "--max-pixels", "65536"}).status, 0);
  EXPECT_EQ(run_vigil({"hash", img.string(), "--max-pixels", "65535"}).status, 1);
  EXPECT_EQ(run_vigil({"hash", img.string(), "--max-file-size", std::to_string(size)}).status, 0);
  const RunResult small = run_vigil({"hash", img.string(), "--max-file-size", std::to_string(size - 1)});
  EXPECT_EQ(small.status, 1);
  EXPECT_EQ(failure_lines(small.err).size(), 1u) << small.err;
  EXPECT_EQ(run_vigil({"hash", img.string(), "--max-file-size", "1K"}).status, 1);
  EXPECT_EQ(run_vigil({"hash", img.string(), "--max-file-size", "1M"}).status, 0);
  // The default limits refuse a header claiming 50,000 x 50,000 (and never allocate for it).
  write_bytes(dir_ / "huge.png", png_claiming(50000, 50000));
  const RunResult huge = run_vigil({"hash", (dir_ / "huge.png").string()});
  EXPECT_EQ(huge.status, 1);
  ASSERT_EQ(failure_lines(huge.err).size(), 1u) << huge.err;
}

TEST_F(HashCommandTest, MinQualityLeavesOutLowQualityRowsWithoutFailing) {
  const std::string low = (kPdqData / "reg-test-input/labelme-subset/q0003.jpg").string();
  const std::string high = (kPdqData / "reg-test-input/labelme-subset/q0122.jpg").string();
  const RunResult all = run_vigil({"hash", "--no-header", low, high});
  ASSERT_EQ(all.status, 0);
  ASSERT_EQ(lines_of(all.out).size(), 2u);
  EXPECT_EQ(split(lines_of(all.out)[0], '\t')[2], "3");

  const RunResult cut = run_vigil({"hash", "--no-header", "--min-quality", "50", low, high});
  EXPECT_EQ(cut.status, 0) << cut.err;
  const auto rows = lines_of(cut.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(split(rows[0], '\t')[0], high);
  EXPECT_EQ(cut.err, "vigil hash: " + low + ": left out: PDQ quality 3 is below --min-quality 50\n");
  EXPECT_EQ(run_vigil({"hash", "--no-header", "--min-quality", "3", low}).out, lines_of(all.out)[0] + "\n");
}

TEST_F(HashCommandTest, DihedralAddsTheEightHashes) {
  const std::string img = (kPdqData / "reg-test-input/dih/bridge-1-original.jpg").string();
  const RunResult r = run_vigil({"hash", "--dihedral", img});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], std::string(kHeader) + "\tdihedral");
  const auto cols = split(lines[1], '\t');
  ASSERT_EQ(cols.size(), 9u);
  const auto hashes = split(cols[8], ',');
  ASSERT_EQ(hashes.size(), 8u);
  EXPECT_EQ(hashes[0], cols[1]);
  // The reference's --pdqdih output for this image.
  std::ifstream f(kPdqData / "expected" / "cpp-reference-dihedral-bridge-1-original.csv");
  std::vector<std::string> expected;
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto parts = split(line, ',');
    if (!parts.empty() && is_lower_hex(parts[0], 64)) expected.push_back(parts[0]);
  }
  ASSERT_EQ(expected.size(), 8u);
  EXPECT_EQ(hashes, expected);

  const RunResult json = run_vigil({"hash", "--dihedral", "--json", img});
  ASSERT_EQ(json.status, 0);
  const auto j = nlohmann::json::parse(lines_of(json.out).at(0));
  ASSERT_TRUE(j["dihedral"].is_array());
  EXPECT_EQ(j["dihedral"].get<std::vector<std::string>>(), hashes);
}

TEST_F(HashCommandTest, FastModeIsCloseToReference) {
  const std::string img = (kPdqData / "reg-test-input/dih/bridge-1-original.jpg").string();
  const RunResult ref = run_vigil({"hash", "--no-header", "--mode", "reference", img});
  const RunResult fast = run_vigil({"hash", "--no-header", "--mode", "fast", img});
  ASSERT_EQ(ref.status, 0);
  ASSERT_EQ(fast.status, 0) << fast.err;
  const auto r = split(lines_of(ref.out).at(0), '\t');
  const auto f = split(lines_of(fast.out).at(0), '\t');
  EXPECT_LE(hamming(r[1], f[1]), 31);  // PDQ's usual match threshold
  EXPECT_EQ(r[3], f[3]);               // same bytes, same digests
  EXPECT_EQ(f[6], "1600");
  EXPECT_EQ(f[7], "1004");
}

TEST_F(HashCommandTest, ExifOrientIsAppliedOnlyWhenAsked) {
  // bridge-1 stored upright with EXIF orientation 6 ("rotate 90 clockwise to display"): shown,
  // it is the 270-degree counter-clockwise rotation, i.e. bridge-4-rotate-270.
  const std::string jpeg = read_bytes(kPdqData / "reg-test-input/dih/bridge-1-original.jpg");
  write_bytes(dir_ / "oriented.jpg", with_exif_orientation(jpeg, 6));
  const auto refs = reference_hashes();
  const std::string upright = refs.at("reg-test-input/dih/bridge-1-original.jpg").first;
  const std::string rotated = refs.at("reg-test-input/dih/bridge-4-rotate-270.jpg").first;

  const RunResult plain = run_vigil({"hash", "--no-header", (dir_ / "oriented.jpg").string()});
  const RunResult oriented = run_vigil({"hash", "--no-header", "--exif-orient", (dir_ / "oriented.jpg").string()});
  ASSERT_EQ(plain.status, 0) << plain.err;
  ASSERT_EQ(oriented.status, 0) << oriented.err;
  const auto p = split(lines_of(plain.out).at(0), '\t');
  const auto o = split(lines_of(oriented.out).at(0), '\t');
  EXPECT_LE(hamming(p[1], upright), 8) << p[1];
  EXPECT_LE(hamming(o[1], rotated), 16) << o[1];
  EXPECT_GT(hamming(o[1], upright), 64) << o[1];
}

TEST_F(HashCommandTest, PathsWithTabsAndNewlinesAreEscapedInTsvAndExactInJson) {
  const fs::path odd = copy_in("misc-images/wee.jpg", dir_ / "tab\there\nnewline\\.jpg");
  const RunResult tsv = run_vigil({"hash", "--no-header", odd.string()});
  ASSERT_EQ(tsv.status, 0) << tsv.err;
  const auto lines = lines_of(tsv.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(split(lines[0], '\t')[0], dir_.string() + "/tab\\there\\nnewline\\\\.jpg");
  const RunResult json = run_vigil({"hash", "--json", odd.string()});
  ASSERT_EQ(json.status, 0);
  EXPECT_EQ(nlohmann::json::parse(lines_of(json.out).at(0))["path"].get<std::string>(), odd.string());
}

}  // namespace
