// `vigil hash`: PDQ + MD5/SHA-1/SHA-256 of image files, as TSV or JSON lines.
//
// Output order is the order of the PATH arguments (directories walked in sorted order, see
// file_walk.h) whatever -j. Rows go to stdout; one line per failed file goes to stderr
// ("vigil hash: PATH: REASON"), and the batch goes on. Exit status: 0 every file hashed (rows
// left out by --min-quality included), 1 some files failed, 2 bad usage.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "batch_failure.h"
#include "command.h"
#include "file_walk.h"
#include "ordered_parallel.h"
#include "vigil/common/error.h"
#include "vigil/media/image_hasher.h"

namespace vigil::cli {
namespace {

using media::PdqMode;

struct HashCommandOptions {
  std::vector<std::string> paths;
  unsigned threads = 0;  // 0: all cores
  std::string mode_name = "reference";
  bool dihedral = false;
  bool exif_orient = false;
  bool json = false;
  bool no_header = false;
  bool null_separated = false;
  std::optional<int> min_quality;
  std::string max_file_size;  // with an optional K/M/G suffix (powers of 1024)
  std::uint64_t max_pixels = media::DecodeLimits{}.max_pixels;
  int max_dimension = media::DecodeLimits{}.max_dimension;
  double max_decode_seconds = media::DecodeLimits{}.max_decode_seconds;
  bool no_progress = false;
};

// "64M", "1g", "4096" -> bytes. Throws vigil::Error naming the problem.
std::uint64_t parse_byte_size(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) throw Error("--max-file-size: '" + text + "' is not a size (e.g. 4096, 512K, 64M, 1G)");
  std::string suffix = text.substr(digits);
  for (auto& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (suffix.ends_with("IB")) suffix.resize(suffix.size() - 2);
  else if (suffix.size() == 2 && suffix.back() == 'B') suffix.pop_back();
  int shift = 0;
  if (suffix.empty() || suffix == "B") shift = 0;
  else if (suffix == "K") shift = 10;
  else if (suffix == "M") shift = 20;
  else if (suffix == "G") shift = 30;
  else throw Error("--max-file-size: unknown unit in '" + text + "' (use K, M or G)");
  if (digits > 15) throw Error("--max-file-size: '" + text + "' is too large");
  const std::uint64_t value = std::stoull(text.substr(0, digits));
  if (value == 0) throw Error("--max-file-size must be at least 1 byte");
  if (value > (std::numeric_limits<std::uint64_t>::max() >> shift)) throw Error("--max-file-size: '" + text + "' is too large");
  return value << shift;
}

struct FileResult {
  std::optional<media::ImageHashes> hashes;
  std::string error;
};

std::string tsv_field(const std::string& s) { return printable_path(s); }

std::string dihedral_list(const media::ImageHashes& h, const char* separator) {
  std::string out;
  if (!h.dihedral) return out;
  for (std::size_t k = 0; k < h.dihedral->size(); ++k) {
    if (k) out += separator;
    out += (*h.dihedral)[k].to_hex();
  }
  return out;
}

std::string tsv_row(const std::string& path, const media::ImageHashes& h, bool dihedral) {
  std::string row = tsv_field(path);
  row += '\t' + h.pdq.to_hex();
  row += '\t' + std::to_string(h.quality);
  row += '\t' + h.digests.md5;
  row += '\t' + h.digests.sha1;
  row += '\t' + h.digests.sha256;
  row += '\t' + std::to_string(h.width);
  row += '\t' + std::to_string(h.height);
  if (dihedral) row += '\t' + dihedral_list(h, ",");
  row += '\n';
  return row;
}

std::string json_row(const std::string& path, const media::ImageHashes& h, bool dihedral) {
  nlohmann::ordered_json j;
  j["path"] = path;
  j["pdq"] = h.pdq.to_hex();
  j["quality"] = h.quality;
  j["md5"] = h.digests.md5;
  j["sha1"] = h.digests.sha1;
  j["sha256"] = h.digests.sha256;
  j["width"] = h.width;
  j["height"] = h.height;
  if (dihedral) {
    auto& list = j["dihedral"] = nlohmann::ordered_json::array();
    if (h.dihedral) {
      for (const auto& d : *h.dihedral) list.push_back(d.to_hex());
    }
  }
  // Paths that are not valid UTF-8 get U+FFFD in place of the bad bytes rather than failing.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + '\n';
}

// How long a run lasts before the progress line appears: 1 s, or VIGIL_PROGRESS_DELAY_MS
// milliseconds (0 to 3600000; an advanced setting, used by the tests). Throws vigil::Error naming
// a bad value.
std::chrono::milliseconds progress_delay() {
  const char* text = std::getenv("VIGIL_PROGRESS_DELAY_MS");
  if (text == nullptr) return std::chrono::milliseconds(1000);
  const std::string value = text;
  const bool digits = !value.empty() && value.size() <= 7 &&
                      std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stol(value) > 3'600'000) {
    throw Error("VIGIL_PROGRESS_DELAY_MS: '" + printable_path(value) +
                "' is not a number of milliseconds from 0 to 3600000");
  }
  return std::chrono::milliseconds(std::stol(value));
}

// A one-line progress display on stderr, only when stderr is a terminal and the run has lasted
// over `delay` (1 s by default).
class Progress {
 public:
  Progress(std::size_t total, bool enabled, std::chrono::milliseconds delay)
      : total_(total),
        enabled_(enabled && ::isatty(STDERR_FILENO) == 1),
        delay_seconds_(std::chrono::duration<double>(delay).count()),
        start_(Clock::now()) {}

  void update(std::size_t done) {
    if (!enabled_) return;
    const double elapsed = seconds_since_start();
    if (elapsed < delay_seconds_) return;
    const double rate = done / elapsed;
    char line[160];
    const int percent = total_ ? static_cast<int>(100.0 * done / total_) : 100;
    if (rate > 0) {
      const auto eta = static_cast<long>(std::lround((total_ - done) / rate));
      std::snprintf(line, sizeof line, "\r\033[Kvigil hash: %zu/%zu files (%d%%), %.1f files/s, about %ld:%02ld left",
                    done, total_, percent, rate, eta / 60, eta % 60);
    } else {
      std::snprintf(line, sizeof line, "\r\033[Kvigil hash: %zu/%zu files (%d%%)", done, total_, percent);
    }
    std::fputs(line, stderr);
    std::fflush(stderr);
    shown_ = true;
  }
  void clear() {
    if (!shown_) return;
    std::fputs("\r\033[K", stderr);
    shown_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  double seconds_since_start() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  std::size_t total_;
  bool enabled_;
  double delay_seconds_;
  bool shown_ = false;
  Clock::time_point start_;
};

int run_hash(const HashCommandOptions& opts) {
  media::HashOptions hash_options;
  hash_options.mode = opts.mode_name == "fast" ? PdqMode::fast : PdqMode::reference;
  hash_options.dihedral = opts.dihedral;
  hash_options.exif_orient = opts.exif_orient;
  if (!opts.max_file_size.empty()) hash_options.limits.max_file_bytes = parse_byte_size(opts.max_file_size);
  hash_options.limits.max_pixels = opts.max_pixels;
  hash_options.limits.max_dimension = opts.max_dimension;
  hash_options.limits.max_decode_seconds = opts.max_decode_seconds;

  const std::chrono::milliseconds delay = progress_delay();
  media::initialize_media();

  const std::vector<WalkEntry> entries = expand_paths(opts.paths, std::cin, {.null_separated_stdin = opts.null_separated});

  unsigned threads = opts.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());

  std::FILE* out = stdout;
  static char out_buffer[1 << 16];
  std::setvbuf(out, out_buffer, _IOFBF, sizeof out_buffer);
  if (!opts.json && !opts.no_header) {
    std::fputs("path\tpdq\tquality\tmd5\tsha1\tsha256\twidth\theight", out);
    if (opts.dihedral) std::fputs("\tdihedral", out);
    std::fputc('\n', out);
  }

  Progress progress(entries.size(), !opts.no_progress, delay);
  std::size_t failed = 0;
  std::size_t below_quality = 0;

  const std::function<FileResult(std::size_t)> work = [&](std::size_t i) {
    FileResult r;
    const WalkEntry& entry = entries[i];
    if (!entry.error.empty()) {
      r.error = entry.error;
      return r;
    }
    r.error = batch_failure([&] { r.hashes = media::hash_image_file(entry.path, hash_options); });
    return r;
  };
  const std::function<void(std::size_t, FileResult&)> emit = [&](std::size_t i, FileResult& r) {
    const std::string& path = entries[i].path.native();
    if (!r.hashes) {
      ++failed;
      // media's messages start with the path already; print it once.
      if (r.error.starts_with(path + ": ")) r.error.erase(0, path.size() + 2);
      progress.clear();
      std::fflush(out);
      std::fprintf(stderr, "vigil hash: %s: %s\n", printable_path(path).c_str(), printable_path(r.error).c_str());
      return;
    }
    if (opts.min_quality && r.hashes->quality < *opts.min_quality) {
      ++below_quality;
      progress.clear();
      std::fflush(out);
      std::fprintf(stderr, "vigil hash: %s: left out: PDQ quality %d is below --min-quality %d\n",
                   printable_path(path).c_str(), r.hashes->quality, *opts.min_quality);
      return;
    }
    const std::string row = opts.json ? json_row(path, *r.hashes, opts.dihedral) : tsv_row(path, *r.hashes, opts.dihedral);
    std::fwrite(row.data(), 1, row.size(), out);
  };
  OrderedParallelOptions parallel;
  parallel.threads = threads;
  parallel.tick = [&](std::size_t done) { progress.update(done); };
  // Refreshed every 200 ms, or sooner when the delay is shorter (at least every 1 ms).
  parallel.tick_every = std::clamp(delay, std::chrono::milliseconds(1), parallel.tick_every);
  run_ordered_parallel<FileResult>(entries.size(), work, emit, parallel);
  progress.clear();

  if (std::fflush(out) != 0 || std::ferror(out)) throw Error("cannot write the output (stdout)");
  if (failed > 0) {
    std::fprintf(stderr, "vigil hash: %zu of %zu files failed\n", failed, entries.size());
    return 1;
  }
  return 0;
}

const CommandRegistrar registrar{{"hash", "Hash image files: PDQ, quality, MD5, SHA-1, SHA-256, size", [](CLI::App& app) {
  auto opts = std::make_shared<HashCommandOptions>();
  app.add_option("paths", opts->paths,
                 "Image files and directories (walked recursively, in sorted order); '-' reads paths from stdin, "
                 "one per line")
      ->required()
      ->type_name("PATH...");
  app.add_option("-j,--jobs", opts->threads, "Hashing threads (default: all cores)")
      ->check(CLI::Range(1u, 1024u))
      ->type_name("N");
  app.add_option("--mode", opts->mode_name,
                 "reference: bit-compatible with Meta's pdq-photo-hasher; fast: shrink-on-load decode, a few bits "
                 "from reference")
      ->check(CLI::IsMember({"reference", "fast"}))
      ->capture_default_str()
      ->type_name("MODE");
  app.add_flag("--dihedral", opts->dihedral,
               "Add a 'dihedral' column: the 8 dihedral PDQ hashes (original, rot90, rot180, rot270, flipx, flipy, "
               "flip+1, flip-1), comma-separated (a JSON array with --json)");
  app.add_flag("--exif-orient", opts->exif_orient, "Apply the EXIF orientation before hashing");
  app.add_flag("--json", opts->json, "JSON lines instead of TSV, one object per image with the same fields");
  app.add_flag("--no-header", opts->no_header, "TSV without its header line");
  app.add_flag("-0,--null", opts->null_separated, "Paths read from stdin end with NUL (find -print0), not newline");
  app.add_option("--min-quality", opts->min_quality,
                 "Leave out images whose PDQ quality is below N: no row on stdout, one 'left out' line on stderr; "
                 "this is not a failure (exit status unchanged). Without it every row is written, whatever its "
                 "quality")
      ->check(CLI::Range(0, 100))
      ->type_name("N");
  const media::DecodeLimits defaults;
  app.add_option("--max-file-size", opts->max_file_size,
                 "Refuse files larger than this (bytes, or with K/M/G suffix)")
      ->default_str(std::to_string(defaults.max_file_bytes >> 20) + "M")
      ->type_name("SIZE");
  app.add_option("--max-pixels", opts->max_pixels, "Refuse images with more pixels (width x height) than this")
      ->check(CLI::Range(std::uint64_t{1}, std::numeric_limits<std::uint64_t>::max()))
      ->capture_default_str()
      ->type_name("N");
  app.add_option("--max-dimension", opts->max_dimension, "Refuse images wider or taller than this (pixels)")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()))
      ->capture_default_str()
      ->type_name("N");
  app.add_option("--max-decode-seconds", opts->max_decode_seconds, "Give up decoding one image after this long")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str()
      ->type_name("SECONDS");
  app.add_flag("--no-progress", opts->no_progress, "Never show the progress line (shown on a terminal only)");
  app.footer(
      "Output: a header line, then one TSV row per image: path, pdq (64 hex digits), quality (0-100), md5, sha1, "
      "sha256, width, height (of the decoded image). Tabs, newlines and backslashes in paths are escaped as \\t, "
      "\\n, \\\\. With --json: one JSON object per line with the same fields.\n"
      "Rows come in input order whatever -j. A file that cannot be hashed (missing, truncated, corrupt, not an "
      "image, over a limit) gives one line on stderr, 'vigil hash: PATH: REASON', and the batch goes on.\n"
      "Exit status: 0 all files hashed (or left out by --min-quality), 1 some files failed, 2 bad usage.\n"
      "Progress: when stderr is a terminal and the run lasts over 1 s, a line 'vigil hash: DONE/TOTAL files "
      "(P%), R files/s, about M:SS left' is kept up to date on stderr and erased at the end (never on stdout; "
      "--no-progress turns it off). Environment: VIGIL_PROGRESS_DELAY_MS=N shows it after N milliseconds "
      "instead of 1000 (0 to 3600000), refreshed every min(N, 200) ms (at least every 1 ms).");
  return [opts] { return run_hash(*opts); };
}}};

}  // namespace
}  // namespace vigil::cli
