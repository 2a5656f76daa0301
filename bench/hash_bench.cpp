// Image hashing benchmark (issue 2): images/s of vigil::media::hash_image_file in each PDQ mode,
// on one thread and on all threads, against peers and floors measured in the same run on the same
// files:
//   - the reference hasher's own pipeline (Meta's pdq-photo-hasher, rebuilt here from Debian's
//     CImg.h and Vigil's PDQ core, see reference_hasher() below), checked bit for bit against the
//     hashes the real pdq-photo-hasher gave on the shared reference images before it is timed,
//   - a bare libvips full decode (the floor for reference mode),
//   - a libvips shrink-on-load JPEG decode to at most ~512 px (the floor for fast mode),
//   - ImageMagick's `convert FILE pnm:-` alone (the decode inside the reference hasher),
//   - reading the file, its three digests and libjpeg's entropy decoding of every block, with no
//     pixel made: what any bit-exact reference mode must spend at least (a ceiling on its speed).
// Photos: JPEGs from a folder (default Debian's mate-backgrounds), re-encoded at benchmark time to
// 2 MP and 12 MP JPEG variants in a temporary folder that is removed at the end.
//
//   hash_bench [--photos DIR] [--sources N] [--seconds S] [--threads N] [--reference-data DIR] [--keep]
//
// Targets: fast 1-thread time <= 1.2x its floor; reference >= 5x the reference hasher on one
// thread (CPU time) and >= 10x with all threads (wall clock, against the reference hasher, a
// single-process tool, on one thread).
//
// CPU time: the whole process (CLOCK_PROCESS_CPUTIME_ID) plus the delta of
// getrusage(RUSAGE_CHILDREN) over the measurement, which covers every subprocess once it has been
// reaped: the `convert` children of the convert row (waitpid) and the reference hasher's shells
// and `convert`s (reaped by system() and pclose(), each shell having reaped its own child first).
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "vigil/common/error.h"
#include "vigil/common/hash256.h"
#include "vigil/media/digests.h"
#include "vigil/media/image_hasher.h"
#include "vigil/media/pdq.h"

#include <jpeglib.h>

// The reference hasher's image loader, configured as its Makefile builds it: no display, no
// cimg_use_* flag, so JPEG and PNG go through load_other() -> load_imagemagick_external().
#define cimg_display 0
#include <CImg.h>

namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Settings {
  fs::path photos = "/usr/share/backgrounds/mate";
  int sources = 4;
  double seconds = 3.0;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  fs::path reference_data = VIGIL_SHARED_TESTDATA_DIR "/pdq-reference";
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

// CPU seconds of this process (all threads: libvips decodes in its own worker threads, not the
// caller's) and, separately, of its reaped subprocesses.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

double children_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
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
  const double cpu_start = process_cpu_seconds();
  const double children_start = children_cpu_seconds();
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
  const double cpu = process_cpu_seconds() - cpu_start + children_cpu_seconds() - children_start;
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

// The least a bit-exact reference mode must do with a JPEG, whatever it does with the pixels:
// read the file, compute its three digests, and entropy-decode every block (a sequential JPEG's
// Huffman data cannot be skipped). jpeg_skip_scanlines decodes the Huffman data of the rows it
// skips and drops the coefficients: no dequantisation, IDCT, upsampling or colour conversion.
// Only the last row is decoded in full.
void entropy_and_digest_floor(const fs::path& path) {
  thread_local std::vector<unsigned char> bytes;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  bytes.resize(static_cast<std::size_t>(in.tellg()));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  vigil::media::DigestAccumulator digests;
  digests.update(bytes);
  digests.finish();
  jpeg_decompress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);  // exits with libjpeg's message on an error: benchmark files are valid
  jpeg_create_decompress(&c);
  jpeg_mem_src(&c, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&c, TRUE);
  jpeg_start_decompress(&c);
  std::vector<unsigned char> row(static_cast<std::size_t>(c.output_width) * static_cast<std::size_t>(c.output_components));
  jpeg_skip_scanlines(&c, c.output_height - 1);
  JSAMPROW rows[1] = {row.data()};
  if (jpeg_read_scanlines(&c, rows, 1) != 1) die("libjpeg gave no last row for " + path.string());
  jpeg_destroy_decompress(&c);
}

// `convert FILE pnm:-`, its output read and dropped: the decode inside the reference hasher.
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
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
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

// The reference hasher, Meta's pdq-photo-hasher (facebook/ThreatExchange pdq/cpp), per file, as
// read in its sources: bin/pdq-photo-hasher.cpp (one file at a time, pdqHash256FromFile),
// io/pdqio.cpp (pdqHash256FromFile, loadFloatLumaFromCImg), downscaling/downscaling.cpp and
// hashing/pdqhashing.cpp (luma, Jarosz filter, decimation, quality, DCT, Torben median, bits), the
// Makefile (g++ -O3, no cimg_use_* flag, so no libjpeg/libpng/Magick++ inside CImg) and its
// bundled CImg.h (2.2.0, `#define cimg_display 0`). Debian's CImg.h 3.2.1 takes the same path:
//   1. `CImg<uint8_t> input; input.load(filename)`: the extension picks load_jpeg()/load_png(),
//      which without cimg_use_jpeg/png fall back to load_other() -> load_magick() (throws: no
//      Magick++) -> load_imagemagick_external(), which runs `system("which convert >/dev/null
//      2>&1")` (a shell and `which`, per file), then `popen("convert \"FILE\" pnm:-")` (a shell
//      and convert) and parses the PNM from the pipe with load_pnm() (P5 -> 1 channel, P6 -> 3).
//   2. If a side exceeds 512: `input.resize(512, 512)`, CImg's default interpolation 1, nearest
//      neighbour, to exactly 512x512 (aspect ratio not kept).
//   3. Float luma: spectrum >= 3 -> 0.299f R + 0.587f G + 0.114f B in float (channels 0..2,
//      alpha ignored), spectrum 1 -> the grey value; any other spectrum is an error.
//   4. pdqHash256FromFloatLuma: below 5 rows or columns the zero hash with quality 0; a 64x64
//      input is used as is; else two passes of the Jarosz box filter (rows then columns, windows
//      ceil(side / 128)), decimation to 64x64 at cell centres, the quality metric, the 16x16 DCT,
//      bit = coefficient > Torben median. No dihedral hashes (only with --pdqdih).
// Steps 1-2 here are CImg's own code; step 3 uses Vigil's luma_from_rgb (the same float
// expression) and step 4 Vigil's PDQ core, pdq::hash_luma (same float arithmetic, built with
// -ffp-contract=off). The check against the real hasher's output (check_reference_peer) is what
// shows this is the reference pipeline.
vigil::media::pdq::Result reference_hasher(const fs::path& path) {
  cimg_library::CImg<std::uint8_t> input;
  try {
    input.load(path.c_str());
  } catch (const cimg_library::CImgException& e) {
    die("reference hasher (CImg) cannot load " + path.string() + ": " + e.what());
  }
  if (input.height() > 512 || input.width() > 512) input.resize(512, 512);
  const int rows = input.height();
  const int cols = input.width();
  std::vector<float> luma(static_cast<std::size_t>(rows) * cols);
  if (input.spectrum() >= 3) {
    for (int y = 0; y < rows; ++y) {
      for (int x = 0; x < cols; ++x) {
        luma[static_cast<std::size_t>(y) * cols + x] =
            vigil::media::pdq::luma_from_rgb(input(x, y, 0, 0), input(x, y, 0, 1), input(x, y, 0, 2));
      }
    }
  } else if (input.spectrum() == 1) {
    for (int y = 0; y < rows; ++y) {
      for (int x = 0; x < cols; ++x) luma[static_cast<std::size_t>(y) * cols + x] = static_cast<float>(input(x, y));
    }
  } else {
    die("reference hasher: " + path.string() + " decoded to " + std::to_string(input.spectrum()) + " channels");
  }
  return vigil::media::pdq::hash_luma(luma, rows, cols, false);
}

// Hashes every file of the real pdq-photo-hasher's output (expected/cpp-reference-hashes.csv:
// "hash,quality,path") with reference_hasher() and stops the benchmark unless every hash and
// quality is equal: the peer must BE the reference pipeline.
void check_reference_peer(const fs::path& dir) {
  const fs::path csv = dir / "expected" / "cpp-reference-hashes.csv";
  std::ifstream in(csv);
  if (!in) {
    die("cannot read " + csv.string() +
        ": the reference hasher peer is checked against it (pass --reference-data DIR, the pdq-reference folder)");
  }
  int total = 0;
  int equal = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto c1 = line.find(',');
    const auto c2 = line.find(',', c1 == std::string::npos ? c1 : c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) die("bad line in " + csv.string() + ": " + line);
    const std::string hex = line.substr(0, c1);
    const int quality = std::atoi(line.substr(c1 + 1, c2 - c1 - 1).c_str());
    const fs::path file = dir / line.substr(c2 + 1);
    ++total;
    const auto got = reference_hasher(file);
    if (got.hash.to_hex() == hex && got.quality == quality) {
      ++equal;
    } else {
      std::printf("  peer check: %s: got %s,%d, the reference hasher gave %s,%d\n", file.c_str(),
                  got.hash.to_hex().c_str(), got.quality, hex.c_str(), quality);
    }
  }
  std::printf("peer check: %d/%d equal the reference CSV (%s)\n", equal, total, csv.c_str());
  std::printf("  (convert's 'ParseError missing >' warnings on stderr, if any, come from XMP packets in some of\n"
              "  these images; the reference hasher prints them too, they change nothing)\n");
  std::fflush(stdout);
  if (total == 0 || equal != total) die("the reference hasher peer does not reproduce the reference hashes");
}

void run_set(const char* label, const std::vector<fs::path>& files, const Settings& s) {
  VipsImage* header = vips_image_new_from_file(files[0].c_str(), nullptr);
  if (!header) die(vips_failure(files[0].c_str()));
  std::printf("\n== %s JPEGs: %zu files (the first %dx%d), %.1f s per figure\n", label, files.size(), header->Xsize,
              header->Ysize, s.seconds);
  g_object_unref(header);
  // Warm the page cache and libvips.
  for (const auto& f : files) vips_full_decode(f);
  // The peer and reference mode on the benchmark photos themselves (reported, not required: the
  // bit-exactness proof is the peer check on the reference images).
  int same = 0;
  for (const auto& f : files) {
    vigil::media::HashOptions options;
    options.mode = vigil::media::PdqMode::reference;
    if (vigil::media::hash_image_file(f, options).pdq == reference_hasher(f).hash) ++same;
  }
  std::printf("  reference hasher and vigil reference mode give the same PDQ on %d/%zu of these files\n", same,
              files.size());

  const Rates full = measure(files, 1, s.seconds, vips_full_decode);
  const Rates shrunk = measure(files, 1, s.seconds, vips_shrink_on_load_decode);
  const Rates convert = measure(files, 1, s.seconds, imagemagick_convert);
  const Rates entropy = measure(files, 1, s.seconds, entropy_and_digest_floor);
  const auto peer = [](const fs::path& p) { reference_hasher(p); };
  const Rates peer1 = measure(files, 1, s.seconds, peer);
  const Rates peern = measure(files, s.threads, s.seconds, peer);
  using vigil::media::PdqMode;
  const auto ref = [](const fs::path& p) { vigil_hash(p, PdqMode::reference); };
  const auto fast = [](const fs::path& p) { vigil_hash(p, PdqMode::fast); };
  const Rates ref1 = measure(files, 1, s.seconds, ref);
  const Rates refn = measure(files, s.threads, s.seconds, ref);
  const Rates fast1 = measure(files, 1, s.seconds, fast);
  const Rates fastn = measure(files, s.threads, s.seconds, fast);
  const std::string n = std::to_string(s.threads) + (s.threads == 1 ? " thread" : " threads");
  std::printf("  %-48s %10s %12s\n", "", "images/s", "images/CPU-s");
  auto row = [](const std::string& what, const Rates& r) {
    std::printf("  %-48s %10.2f %12.2f\n", what.c_str(), r.wall, r.cpu);
  };
  row("peer: reference hasher, 1 thread", peer1);
  row("peer: reference hasher, " + n, peern);
  row("floor libvips full decode, 1 thread", full);
  row("floor libvips shrink-on-load (<=512 px)", shrunk);
  row("floor convert FILE pnm:- (inside the ref. hasher)", convert);
  row("floor digests + entropy decoding (no pixels)", entropy);
  row("vigil reference, 1 thread", ref1);
  row("vigil reference, " + n, refn);
  row("vigil fast, 1 thread", fast1);
  row("vigil fast, " + n, fastn);
  // One ratio line; `target` > 0 adds the target and its verdict (at least, or at most if `at_most`).
  auto ratio = [](const std::string& what, double value, double target = 0, bool at_most = false) {
    std::printf("    %-46s %6.2f", what.c_str(), value);
    if (target > 0) {
      const bool met = at_most ? value <= target : value >= target;
      std::printf("  (target %s %g)  %s", at_most ? "<=" : ">=", target, met ? "MET" : "MISSED");
    }
    std::printf("\n");
  };
  // Ratios on CPU time for one thread (robust when other work shares the cores); the all-threads
  // figures need wall-clock time and are only meaningful on an otherwise idle machine.
  std::printf("  ratios (1 thread, CPU time):\n");
  ratio("reference speed / reference hasher", ref1.cpu / peer1.cpu, 5);
  ratio("fast time / its floor (shrink-on-load)", shrunk.cpu / fast1.cpu, 1.2, true);
  ratio("reference speed / convert alone (floor)", ref1.cpu / convert.cpu);
  ratio("reference hasher time / convert alone", convert.cpu / peer1.cpu);
  ratio("reference time / full decode", full.cpu / ref1.cpu);
  // With everything after entropy decoding free (IDCT, upsampling, colour, sampling, PDQ),
  // reference mode would run at the entropy floor: the most it can reach on this machine.
  ratio("ceiling: entropy floor speed / reference hasher", entropy.cpu / peer1.cpu);
  ratio("reference time / entropy floor time", entropy.cpu / ref1.cpu);
  std::printf("  ratios (%s, wall clock):\n", n.c_str());
  ratio("reference speed / reference hasher 1 process", refn.wall / peer1.wall, 10);
  ratio("reference speed / reference hasher, " + n, refn.wall / peern.wall);
  ratio("reference speed / convert 1 process (floor)", refn.wall / convert.wall);
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
    else if (a == "--reference-data") s.reference_data = value();
    else if (a == "--keep") s.keep = true;
    else if (a == "--help" || a == "-h") {
      std::printf(
          "usage: hash_bench [--photos DIR] [--sources N] [--seconds S] [--threads N] [--reference-data DIR] "
          "[--keep]\n  --reference-data DIR: the pdq-reference folder (default %s) whose expected hashes the "
          "reference hasher peer must reproduce\n",
          Settings{}.reference_data.c_str());
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
  check_reference_peer(s.reference_data);

  run_set("2 MP", two, s);
  run_set("12 MP", twelve, s);

  if (!s.keep) fs::remove_all(work);
  vips_shutdown();
  return 0;
}
