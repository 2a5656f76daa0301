// Text signals throughput: vigil's TextScanner (normalisation + one Hyperscan database + age
// mentions + handles + scoring) against a peer that does the same normalisation and then matches
// the same lexicon patterns with RE2::Set, on the same inputs, in the same run, one thread.
//
//   text_bench [--items N] [--seconds S]
//
// Prints items/s and MB/s for short usernames and long descriptions, and the ratio vigil / RE2.
// Inputs are generated deterministically: ordinary names and sentences, with about 3% of items
// carrying a disguised starter-lexicon term (so both engines see real hits).
#include <re2/re2.h>
#include <re2/set.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "vigil/text/lexicon.h"
#include "vigil/text/normalizer.h"
#include "vigil/text/text_scanner.h"

namespace {


const char* kFirst[] = {"anna", "ben", "carla", "dev", "eli", "fatima", "george", "hana", "ivan", "jules",
                        "kofi", "lena", "mateo", "nora", "omar", "priya", "quinn", "rosa", "sami", "tariq"};
const char* kWords[] = {"the",    "group",  "for",     "people", "who",    "like",   "hiking", "and",   "coffee",
                        "weekly", "meetup", "in",      "town",   "please", "read",   "rules",  "before", "posting",
                        "photos", "of",     "trails",  "maps",   "gear",   "advice", "share",  "your",  "routes",
                        "new",    "members", "welcome", "cpu",   "builds", "roadmap", "board",  "games", "night"};
const char* kDisguised[] = {"t4b00", "p.e.r.v", "n0l1m1ts", "pr!vy", "\xD1\x81\xD1\x80", "m@p", "\xEF\xBD\x90\xEF\xBD\x85\xEF\xBD\x92\xEF\xBD\x96"};

std::vector<std::string> make_usernames(std::size_t n, std::mt19937& rng) {
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::string s = kFirst[rng() % 20];
    s += (rng() % 2) ? "_" : ".";
    if (rng() % 100 < 3) {
      s += kDisguised[rng() % 7];
    } else {
      s += kWords[rng() % 36];
    }
    s += std::to_string(rng() % 100);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> make_descriptions(std::size_t n, std::mt19937& rng) {
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::string s;
    while (s.size() < 400) {
      if (!s.empty()) s += ' ';
      s += kWords[rng() % 36];
      if (rng() % 12 == 0) s += ',';
    }
    if (rng() % 100 < 3) s += std::string(" ") + kDisguised[rng() % 7];
    out.push_back(std::move(s));
  }
  return out;
}

struct Figures {
  double items_per_s = 0;
  double mb_per_s = 0;
  std::size_t hits = 0;
};

// CPU time of this thread: the machine is shared, so wall time would understate per-core speed.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

template <typename Fn>
Figures measure(const std::vector<std::string>& items, double seconds, Fn&& fn) {
  std::size_t bytes_per_pass = 0;
  for (const auto& s : items) bytes_per_pass += s.size();
  // Warm-up pass (fills ICU caches, scratch, allocations).
  std::size_t hits = 0;
  for (const auto& s : items) hits += fn(s);
  std::size_t passes = 0;
  hits = 0;
  const double start = thread_cpu_seconds();
  double elapsed = 0;
  do {
    for (const auto& s : items) hits += fn(s);
    ++passes;
    elapsed = thread_cpu_seconds() - start;
  } while (elapsed < seconds);
  Figures f;
  f.items_per_s = static_cast<double>(passes * items.size()) / elapsed;
  f.mb_per_s = static_cast<double>(passes * bytes_per_pass) / elapsed / 1e6;
  f.hits = hits / passes;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t items = 20000;
  double seconds = 2.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--items") == 0) items = static_cast<std::size_t>(std::atol(argv[i + 1]));
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
  }

  const auto scanner = vigil::text::TextScanner::with_starter_lexicon();
  const auto lexicon =
      vigil::text::CompiledLexicon::load_toml(vigil::text::starter_lexicon_toml(), "starter lexicon");

  // The peer: the same normalised-view patterns (terms, regexes, allow-list words) in one RE2::Set.
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  re2::RE2::Set set(options, RE2::UNANCHORED);
  std::size_t patterns = 0;
  for (const auto& e : lexicon->entries()) {
    if (e.view != vigil::text::TextView::normalized) continue;
    std::string error;
    if (set.Add(e.pattern, &error) < 0) {
      std::fprintf(stderr, "RE2 rejects %s: %s\n", e.describe().c_str(), error.c_str());
      return 1;
    }
    ++patterns;
  }
  for (const auto& w : lexicon->allow()) {
    std::string error;
    if (set.Add(vigil::text::term_pattern(w), &error) < 0) return 1;
    ++patterns;
  }
  if (!set.Compile()) {
    std::fprintf(stderr, "RE2::Set does not compile\n");
    return 1;
  }

  std::mt19937 rng(20261126);
  const auto usernames = make_usernames(items, rng);
  const auto descriptions = make_descriptions(items / 4, rng);

  std::printf("text_bench: lexicon %s, %zu patterns, one thread, %.1f s of thread CPU time per measurement\n",
              scanner.lexicon_version().c_str(), patterns, seconds);
  std::printf("%-14s %-36s %14s %10s %8s\n", "input", "engine", "items/s", "MB/s", "hits");
  for (const auto* set_of_items : {&usernames, &descriptions}) {
    const char* label = set_of_items == &usernames ? "usernames" : "descriptions";
    const auto field =
        set_of_items == &usernames ? vigil::text::TextField::username : vigil::text::TextField::description;
    const Figures vigil_fig = measure(*set_of_items, seconds, [&](const std::string& s) {
      return scanner.scan(s, field).matches.empty() ? 0u : 1u;
    });
    vigil::text::Normalized norm;
    std::vector<int> ids;
    const Figures re2_fig = measure(*set_of_items, seconds, [&](const std::string& s) {
      vigil::text::normalize_into(s, norm);
      ids.clear();
      return set.Match(norm.full.text, &ids) ? 1u : 0u;
    });
    const Figures norm_fig = measure(*set_of_items, seconds, [&](const std::string& s) {
      vigil::text::normalize_into(s, norm);
      return norm.full.text.empty() ? 1u : 0u;
    });
    std::printf("%-14s %-36s %14.0f %10.1f %8zu\n", label, "vigil TextScanner::scan (full)", vigil_fig.items_per_s,
                vigil_fig.mb_per_s, vigil_fig.hits);
    std::printf("%-14s %-36s %14.0f %10.1f %8zu\n", label, "normalise + RE2::Set::Match", re2_fig.items_per_s,
                re2_fig.mb_per_s, re2_fig.hits);
    std::printf("%-14s %-36s %14.0f %10.1f %8s\n", label, "normalise only", norm_fig.items_per_s, norm_fig.mb_per_s,
                "-");
    std::printf("%-14s ratio vigil / RE2::Set: %.2fx\n", label, vigil_fig.items_per_s / re2_fig.items_per_s);
  }
  return 0;
}
