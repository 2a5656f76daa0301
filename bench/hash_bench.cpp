// Image hashing benchmark (issue 2): images/s of vigil::media::hash_image_file in each PDQ mode,
// on one thread and on all threads, against floors measured in the same run on the same files:
//   - a bare libvips full decode (the floor for reference mode),
//   - a libvips shrink-on-load JPEG decode to at most ~512 px (the floor for fast mode),
//   - ImageMagick's `convert FILE pnm:-` (where Meta's reference pdq-photo-hasher spends its time).
// Photos: JPEGs from a folder (default Debian's mate-backgrounds), re-encoded at benchmark time to
// 2 MP and 12 MP JPEG variants in a temporary folder that is removed at the end.
//
//   hash_bench [--photos DIR] [--sources N] [--seconds S] [--threads N] [--keep]
//
// Targets: fast 1-thread time <= 1.2x its floor; reference >= 5x convert on one thread and >= 10x
// with all threads.
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "vigil/common/error.h"
#include "vigil/media/image_hasher.h"

namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Settings {
  fs::path photos = "/usr/share/backgrounds/mate";
  int sources = 4;
  double seconds = 3.0;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  bool keep = false;
};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "hash_bench: %s\n", message.c_str());
  std::exit(1);
}

std::string vips_failure(const char* what) {
  std::string message = std::string(what) + ": " + vips_error_buffer();
  vips_error_clear();
  return message;
}

// JPEGs under `dir`, largest (in pixels) first, at most `count`.
std::vector<fs::path> pick_sources(const fs::path& dir, int count) {
  struct Candidate {
    fs::path path;
    long pixels;
  };
  std::vector<Candidate> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    auto ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext != ".jpg" && ext != ".jpeg") continue;
    VipsImage* header = vips_image_new_from_file(entry.path().c_str(), nullptr);
    if (!header) {
      vips_error_clear();
      continue;
    }
    found.push_back({entry.path(), static_cast<long>(header->Xsize) * header->Ysize});
    g_object_unref(header);
  }
  std::sort(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
    return a.pixels != b.pixels ? a.pixels > b.pixels : a.path < b.path;
  });
  std::vector<fs::path> out;
  for (const auto& c : found) {
    if (static_cast<int>(out.size()) == count) break;
    out.push_back(c.path);
  }
  return out;
}

// Re-encodes `source` as a JPEG (quality 90) of about `megapixels` MP.
void make_variant(const fs::path& source, const fs::path& out, double megapixels) {
  VipsImage* in = vips_image_new_from_file(source.c_str(), nullptr);
  if (!in) die(vips_failure(source.c_str()));
  const double scale = std::sqrt(megapixels * 1e6 / (static_cast<double>(in->Xsize) * in->Ysize));
  VipsImage* resized = nullptr;
  if (vips_resize(in, &resized, scale, nullptr) != 0) die(vips_failure("resize"));
  if (vips_jpegsave(resized, out.c_str(), "Q", 90, "strip", TRUE, nullptr) != 0) die(vips_failure("jpegsave"));
  g_object_unref(resized);
  g_object_unref(in);
}

// CPU seconds of convert subprocesses (wait4 rusage), added to the worker's own CPU time.
std::atomic<long long> child_cpu_ns{0};

// The whole process's CPU time: libvips decodes in its own worker threads, not the caller's.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

struct Rates {
  double wall = 0;  // images per wall-clock second
  double cpu = 0;   // images per CPU second (this process + subprocesses): robust on a busy machine
};

// Rates of `fn` over `files` (cycled), on `threads` threads, for at least `seconds` (wall) and
// at least one pass.
Rates measure(const std::vector<fs::path>& files, unsigned threads, double seconds,
              const std::function<void(const fs::path&)>& fn) {
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  child_cpu_ns = 0;
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= files.size() && std::chrono::duration<double>(Clock::now() - start).count() >= seconds) break;
      fn(files[i % files.size()]);
      done.fetch_add(1);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = process_cpu_seconds() - cpu_start + child_cpu_ns.load() * 1e-9;
  return {static_cast<double>(done.load()) / elapsed, static_cast<double>(done.load()) / cpu};
}

void vips_full_decode(const fs::path& path) {
  VipsImage* image = vips_image_new_from_file(path.c_str(), "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
  if (!image) die(vips_failure(path.c_str()));
  std::size_t size = 0;
  void* pixels = vips_image_write_to_memory(image, &size);
  if (!pixels) die(vips_failure("decode"));
  g_free(pixels);
  g_object_unref(image);
}

// libjpeg's DCT-domain shrink (1, 2, 4 or 8): the smallest bringing the longer side to <= 512.
void vips_shrink_on_load_decode(const fs::path& path) {
  VipsImage* header = vips_image_new_from_file(path.c_str(), nullptr);
  if (!header) die(vips_failure(path.c_str()));
  const int longer = std::max(header->Xsize, header->Ysize);
  g_object_unref(header);
  int shrink = 1;
  while (shrink < 8 && (longer + shrink - 1) / shrink > 512) shrink *= 2;
  VipsImage* image = nullptr;
  if (vips_jpegload(path.c_str(), &image, "shrink", shrink, "access", VIPS_ACCESS_SEQUENTIAL, nullptr) != 0)
    die(vips_failure(path.c_str()));
  std::size_t size = 0;
  void* pixels = vips_image_write_to_memory(image, &size);
  if (!pixels) die(vips_failure("decode"));
  g_free(pixels);
  g_object_unref(image);
}

// `convert FILE pnm:-`, its output read and dropped, as the reference hasher reads it.
void imagemagick_convert(const fs::path& path) {
  int fds[2];
  if (::pipe(fds) != 0) die("pipe failed");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execlp("convert", "convert", path.c_str(), "pnm:-", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  static thread_local std::vector<char> buffer(1 << 20);
  std::size_t total = 0;
  for (ssize_t n; (n = ::read(fds[0], buffer.data(), buffer.size())) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    total += static_cast<std::size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  child_cpu_ns += (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1'000'000'000LL +
                  (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1'000LL;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || total == 0) die("convert failed on " + path.string());
}

void vigil_hash(const fs::path& path, vigil::media::PdqMode mode) {
  vigil::media::HashOptions options;
  options.mode = mode;
  try {
    const auto hashes = vigil::media::hash_image_file(path, options);
    if (hashes.width <= 0) die("no size for " + path.string());
  } catch (const vigil::Error& e) {
    die(e.what());
  }
}

void run_set(const char* label, const std::vector<fs::path>& files, const Settings& s) {
  VipsImage* header = vips_image_new_from_file(files[0].c_str(), nullptr);
  if (!header) die(vips_failure(files[0].c_str()));
  std::printf("\n== %s JPEGs: %zu files (the first %dx%d), %.1f s per figure\n", label, files.size(), header->Xsize,
              header->Ysize, s.seconds);
  g_object_unref(header);
  // Warm the page cache and libvips.
  for (const auto& f : files) vips_full_decode(f);

  const Rates full = measure(files, 1, s.seconds, vips_full_decode);
  const Rates shrunk = measure(files, 1, s.seconds, vips_shrink_on_load_decode);
  const Rates convert = measure(files, 1, s.seconds, imagemagick_convert);
  using vigil::media::PdqMode;
  const auto ref = [](const fs::path& p) { vigil_hash(p, PdqMode::reference); };
  const auto fast = [](const fs::path& p) { vigil_hash(p, PdqMode::fast); };
  const Rates ref1 = measure(files, 1, s.seconds, ref);
  const Rates refn = measure(files, s.threads, s.seconds, ref);
  const Rates fast1 = measure(files, 1, s.seconds, fast);
  const Rates fastn = measure(files, s.threads, s.seconds, fast);
  std::printf("  %-44s %10s %12s\n", "", "images/s", "images/CPU-s");
  auto row = [](const char* what, const Rates& r) { std::printf("  %-44s %10.2f %12.2f\n", what, r.wall, r.cpu); };
  row("floor libvips full decode, 1 thread", full);
  row("floor libvips shrink-on-load (<=512 px)", shrunk);
  row("floor convert FILE pnm:- (reference hasher)", convert);
  row("vigil reference, 1 thread", ref1);
  row(("vigil reference, " + std::to_string(s.threads) + " threads").c_str(), refn);
  row("vigil fast, 1 thread", fast1);
  row(("vigil fast, " + std::to_string(s.threads) + " threads").c_str(), fastn);
  // Ratios on CPU time for one thread (robust when other work shares the cores); the all-threads
  // figure needs wall-clock time and is only meaningful on an otherwise idle machine.
  std::printf("  ratios (1 thread, CPU time):\n");
  std::printf("    fast time / its floor (shrink-on-load)   %6.2f  (target <= 1.2)  %s\n", shrunk.cpu / fast1.cpu,
              shrunk.cpu / fast1.cpu <= 1.2 ? "MET" : "MISSED");
  std::printf("    reference speed / convert                %6.2f  (target >= 5)   %s\n", ref1.cpu / convert.cpu,
              ref1.cpu / convert.cpu >= 5 ? "MET" : "MISSED");
  std::printf("    reference time / full decode             %6.2f\n", full.cpu / ref1.cpu);
  std::printf("  ratio (%u threads, wall clock):\n", s.threads);
  std::printf("    reference speed / convert 1 process      %6.2f  (target >= 10)  %s\n", refn.wall / convert.wall,
              refn.wall / convert.wall >= 10 ? "MET" : "MISSED");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--photos") s.photos = value();
    else if (a == "--sources") s.sources = std::max(1, std::atoi(value().c_str()));
    else if (a == "--seconds") s.seconds = std::max(0.1, std::atof(value().c_str()));
    else if (a == "--threads") s.threads = static_cast<unsigned>(std::max(1, std::atoi(value().c_str())));
    else if (a == "--keep") s.keep = true;
    else if (a == "--help" || a == "-h") {
      std::printf("usage: hash_bench [--photos DIR] [--sources N] [--seconds S] [--threads N] [--keep]\n");
      return 0;
    } else {
      die("unknown argument " + a + " (see --help)");
    }
  }
  if (!fs::is_directory(s.photos)) {
    die("photo folder " + s.photos.string() +
        " is missing: install Debian's mate-backgrounds (scripts/bootstrap does) or pass --photos DIR with JPEGs");
  }
  vigil::media::initialize_media();
  // One libvips worker per pipeline: parallelism comes from our threads only, so "1 thread"
  // figures are one core.
  vips_concurrency_set(1);
  vips_cache_set_max(0);

  const std::vector<fs::path> sources = pick_sources(s.photos, s.sources);
  if (sources.empty()) die("no JPEG in photo folder " + s.photos.string());

  std::random_device rd;
  const fs::path work = fs::temp_directory_path() / ("vigil-hash-bench-" + std::to_string(rd()));
  fs::create_directories(work / "2mp");
  fs::create_directories(work / "12mp");
  std::vector<fs::path> two, twelve;
  for (std::size_t k = 0; k < sources.size(); ++k) {
    const std::string name = std::to_string(k) + "-" + sources[k].stem().string() + ".jpg";
    make_variant(sources[k], work / "2mp" / name, 2.0);
    make_variant(sources[k], work / "12mp" / name, 12.0);
    two.push_back(work / "2mp" / name);
    twelve.push_back(work / "12mp" / name);
  }
  std::printf("hash_bench: %zu photos from %s re-encoded (JPEG q90) to 2 MP and 12 MP in %s\n", sources.size(),
              s.photos.c_str(), work.c_str());
  for (const auto& src : sources) std::printf("  source %s\n", src.c_str());
  std::printf("machine: %u hardware threads; all-thread runs use %u threads; libvips concurrency 1\n",
              std::thread::hardware_concurrency(), s.threads);

  run_set("2 MP", two, s);
  run_set("12 MP", twelve, s);

  if (!s.keep) fs::remove_all(work);
  vips_shutdown();
  return 0;
}
