#include "file_walk.h"

#include <algorithm>
#include <cstdio>
#include <system_error>

namespace vigil::cli {
namespace fs = std::filesystem;

namespace {

class Walker {
 public:
  explicit Walker(std::vector<WalkEntry>& out) : out_(out) {}

  // A path named by the user (argument or stdin line).
  void add_named(const fs::path& path) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      fail(path, ec ? ec.message() : "no such file or directory");
      return;
    }
    if (fs::is_directory(st)) {
      walk(path);
    } else if (fs::is_regular_file(st)) {
      out_.push_back({path, {}});
    } else {
      fail(path, "not a regular file or directory");
    }
  }

 private:
  void fail(const fs::path& path, std::string reason) { out_.push_back({path, std::move(reason)}); }

  void walk(const fs::path& dir) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      fail(dir, "cannot read directory: " + ec.message());
      return;
    }
    std::vector<fs::path> children;
    for (const fs::directory_iterator end; it != end; it.increment(ec)) {
      if (ec) break;
      children.push_back(it->path());
    }
    if (ec) {
      fail(dir, "cannot read directory: " + ec.message());
      return;
    }
    std::sort(children.begin(), children.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().native() < b.filename().native(); });
    for (const auto& child : children) {
      std::error_code sec;
      const fs::file_status own = fs::symlink_status(child, sec);
      if (sec) {
        // Vanished between listing and now, or unreadable: report it at its place.
        fail(child, sec.message());
        continue;
      }
      if (fs::is_symlink(own)) {
        const fs::file_status target = fs::status(child, sec);
        if (sec || !fs::exists(target)) {
          fail(child, "dangling symbolic link");
        } else if (fs::is_regular_file(target)) {
          out_.push_back({child, {}});
        }
        // Symlinks to directories or special files are not followed in a walk.
        continue;
      }
      if (fs::is_directory(own)) {
        walk(child);
      } else if (fs::is_regular_file(own)) {
        out_.push_back({child, {}});
      }
      // Sockets, FIFOs and devices found in a walk are skipped.
    }
  }

  std::vector<WalkEntry>& out_;
};

}  // namespace

std::vector<WalkEntry> expand_paths(const std::vector<std::string>& arguments, std::istream& stdin_paths,
                                    const WalkOptions& options) {
  std::vector<WalkEntry> out;
  Walker walker(out);
  const char separator = options.null_separated_stdin ? '\0' : '\n';
  for (const auto& argument : arguments) {
    if (argument == "-") {
      std::string line;
      while (std::getline(stdin_paths, line, separator)) {
        if (!line.empty()) walker.add_named(fs::path(line));
      }
      stdin_paths.clear(std::ios::eofbit);  // a second "-" reads nothing more
    } else {
      walker.add_named(fs::path(argument));
    }
  }
  return out;
}

std::string printable_path(const std::string& path) {
  std::string out;
  out.reserve(path.size());
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace vigil::cli
