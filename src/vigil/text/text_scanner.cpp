#include "vigil/text/text_scanner.h"

#include <hs.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "vigil/common/error.h"
#include "vigil/text/age_mentions.h"
#include "vigil/text/lexicon.h"
#include "vigil/text/messenger_handles.h"
#include "vigil/text/normalizer.h"

namespace vigil::text {
namespace {

constexpr std::size_t kMaxListedMatches = 1000;
constexpr std::size_t kMaxListedHandles = 100;

// One Hyperscan scratch per thread, grown to fit whichever lexicon the thread last used.
struct ThreadScratch {
  hs_scratch_t* scratch = nullptr;
  std::uint64_t fitted_uid = 0;
  ThreadScratch() = default;
  ThreadScratch(const ThreadScratch&) = delete;
  ThreadScratch& operator=(const ThreadScratch&) = delete;
  ~ThreadScratch() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
  hs_scratch_t* fit(const CompiledLexicon& lexicon) {
    if (fitted_uid == lexicon.uid() && scratch != nullptr) return scratch;
    for (hs_database_t* db : {lexicon.normalized_db(), lexicon.prefilter_db(), lexicon.raw_db()}) {
      if (db != nullptr && hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
        fitted_uid = 0;
        return nullptr;
      }
    }
    fitted_uid = lexicon.uid();
    return scratch;
  }
};
thread_local ThreadScratch t_scratch;

struct Hit {
  unsigned id;
  std::size_t from;
  std::size_t to;
};

struct HitSink {
  std::vector<Hit>* hits;
};

// Prefilter context: is there any entry hit that could survive the checks made later? Allow-list
// words alone, entries for other fields, and word-mode hits followed by a letter ("maps" for
// "map") cannot, so they do not trigger the start-tracking scan.
struct Prefilter {
  const std::vector<LexiconEntry>* entries;
  const unsigned char* text;
  std::size_t size;
  unsigned field_bit;
  bool candidate = false;
};

int on_prefilter(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/,
                 void* context) {
  auto* p = static_cast<Prefilter*>(context);
  if (id >= p->entries->size()) return 0;
  const LexiconEntry& entry = (*p->entries)[id];
  if ((entry.fields & p->field_bit) == 0) return 0;
  if (entry.match == MatchMode::word && to < p->size && is_word_byte(p->text[to])) return 0;
  p->candidate = true;
  return 1;  // one is enough
}

int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned /*flags*/, void* context) {
  auto* sink = static_cast<HitSink*>(context);
  sink->hits->push_back(Hit{id, static_cast<std::size_t>(from), static_cast<std::size_t>(to)});
  return 0;
}

bool raw_word_byte(unsigned char c) {
  return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool leet_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || c == '@' || c == '$' || c == '!' || c == '|' || c == '+';
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void add_notes(const NormalizeStats& stats, std::vector<std::string>& notes) {
  if (stats.invalid_utf8 > 0) {
    notes.push_back("invalid UTF-8: " + plural(stats.invalid_utf8, "invalid byte", "invalid bytes") +
                    " replaced with U+FFFD");
  }
  if (stats.bidi_controls > 0) {
    notes.push_back(plural(stats.bidi_controls, "bidi control character", "bidi control characters") +
                    " (embedding, override or isolate) removed");
  }
  if (stats.invisible > 0) {
    notes.push_back(plural(stats.invisible, "invisible character", "invisible characters") +
                    " (zero-width or other default-ignorable) removed");
  }
  if (stats.marks > 0) {
    notes.push_back(plural(stats.marks, "combining mark", "combining marks") + " removed");
  }
  if (stats.mapped > 0) {
    notes.push_back(plural(stats.mapped, "character", "characters") +
                    " mapped to plain letters (compatibility form, case or confusable look-alike)");
  }
  if (stats.symbols > 16) {
    notes.push_back(plural(stats.symbols, "emoji or other symbol", "emoji or other symbols") +
                    " treated as separators");
  }
  if (stats.collapsed > 0) {
    notes.push_back(plural(stats.collapsed, "repeated character", "repeated characters") + " collapsed");
  }
}

double round4(double x) { return std::round(x * 10000.0) / 10000.0; }

}  // namespace

std::string_view to_string(TextField field) {
  switch (field) {
    case TextField::username: return "username";
    case TextField::display_name: return "display_name";
    case TextField::group_name: return "group_name";
    case TextField::description: return "description";
    case TextField::post: return "post";
  }
  return "post";
}

TextField parse_text_field(std::string_view name) {
  for (TextField f : {TextField::username, TextField::display_name, TextField::group_name, TextField::description,
                      TextField::post}) {
    if (name == to_string(f)) return f;
  }
  throw Error("unknown text field '" + std::string(name.substr(0, 64)) +
              "' (expected username, display_name, group_name, description or post)");
}

nlohmann::json to_json(const TextMatch& match) {
  return nlohmann::json{{"term", match.term},     {"category", match.category},     {"start", match.start},
                        {"end", match.end},       {"weight", round4(match.weight)}, {"obfuscated", match.obfuscated}};
}

nlohmann::json to_json(const MessengerHandle& handle) {
  return nlohmann::json{
      {"platform", handle.platform}, {"handle", handle.handle}, {"start", handle.start}, {"end", handle.end}};
}

nlohmann::json to_json(const TextScanResult& result) {
  nlohmann::json categories = nlohmann::json::object();
  for (const auto& [name, score] : result.categories) categories[name] = round4(score);
  nlohmann::json matches = nlohmann::json::array();
  for (const auto& m : result.matches) matches.push_back(to_json(m));
  nlohmann::json handles = nlohmann::json::array();
  for (const auto& h : result.handles) handles.push_back(to_json(h));
  return nlohmann::json{{"flagged", result.flagged},
                        {"score", round4(result.score)},
                        {"categories", std::move(categories)},
                        {"matches", std::move(matches)},
                        {"handles", std::move(handles)},
                        {"lexicon_version", result.lexicon_version},
                        {"notes", result.notes}};
}

TextScanner::TextScanner(std::shared_ptr<const CompiledLexicon> lexicon) : lexicon_(std::move(lexicon)) {}

TextScanner::TextScanner(const std::filesystem::path& lexicon_file)
    : lexicon_(CompiledLexicon::load_file(lexicon_file)) {}

TextScanner TextScanner::with_starter_lexicon() {
  return TextScanner(CompiledLexicon::load_toml(starter_lexicon_toml(), "starter lexicon (built in)"));
}

TextScanner TextScanner::from_toml(std::string_view toml_text, std::string_view source_name) {
  return TextScanner(CompiledLexicon::load_toml(toml_text, source_name));
}

TextScanner::TextScanner(TextScanner&& other) noexcept : lexicon_(other.current()) {}

TextScanner& TextScanner::operator=(TextScanner&& other) noexcept {
  if (this != &other) {
    auto lexicon = other.current();
    std::lock_guard lock(mutex_);
    lexicon_ = std::move(lexicon);
  }
  return *this;
}

TextScanner::~TextScanner() = default;

std::shared_ptr<const CompiledLexicon> TextScanner::current() const {
  std::lock_guard lock(mutex_);
  return lexicon_;
}

void TextScanner::reload(const std::filesystem::path& lexicon_file) {
  auto fresh = CompiledLexicon::load_file(lexicon_file);  // throws, leaving the current one
  std::lock_guard lock(mutex_);
  lexicon_ = std::move(fresh);
}

void TextScanner::reload_from_toml(std::string_view toml_text, std::string_view source_name) {
  auto fresh = CompiledLexicon::load_toml(toml_text, source_name);
  std::lock_guard lock(mutex_);
  lexicon_ = std::move(fresh);
}

std::string TextScanner::lexicon_version() const { return current()->version(); }

TextScanResult TextScanner::scan(std::string_view text, TextField field) const {
  const std::shared_ptr<const CompiledLexicon> lexicon = current();
  const ScoringConfig& sc = lexicon->scoring();
  TextScanResult result;
  result.lexicon_version = lexicon->version();

  if (text.size() > sc.max_input_bytes) {
    std::size_t cut = sc.max_input_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    result.notes.push_back("input is " + std::to_string(text.size()) + " bytes; only the first " +
                           std::to_string(cut) + " bytes were scanned");
    text = text.substr(0, cut);
  }

  // Small items reuse per-thread buffers; large ones get their own, released afterwards.
  thread_local Normalized t_normalized;
  Normalized large;
  Normalized& norm = text.size() > (64u << 10) ? large : t_normalized;
  normalize_into(text, norm);
  add_notes(norm.stats, result.notes);

  thread_local std::vector<Hit> t_hits;
  std::vector<Hit>& hits = t_hits;
  hits.clear();
  hs_scratch_t* scratch = t_scratch.fit(*lexicon);
  if (scratch == nullptr) {
    result.notes.push_back("the matcher could not allocate scratch memory; lexicon terms were not checked");
  }
  const auto& entries = lexicon->entries();
  const unsigned field_bit = 1u << static_cast<unsigned>(field);
  const NormalizedView& full = norm.full;

  struct Candidate {
    std::size_t entry;
    std::size_t start;  // original offsets
    std::size_t end;
    double weight;
    bool obfuscated;
  };
  std::vector<Candidate> candidates;

  // The prefilter (no start offsets, fast) says whether anything matches at all. Nothing there
  // means nothing to do (the common case); otherwise the start-tracking database runs.
  bool prefiltered = false;
  Prefilter prefilter{&entries, reinterpret_cast<const unsigned char*>(full.text.data()), full.text.size(),
                      field_bit};
  if (scratch != nullptr && lexicon->prefilter_db() != nullptr && !full.text.empty()) {
    const hs_error_t rc = hs_scan(lexicon->prefilter_db(), full.text.data(), static_cast<unsigned>(full.text.size()),
                                  0, scratch, on_prefilter, &prefilter);
    prefiltered = rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED;
  }
  if ((!prefiltered || prefilter.candidate) && scratch != nullptr && lexicon->normalized_db() != nullptr &&
      !full.text.empty()) {
    // Windows around each prefilter hit were tried and measured slower (one start-tracking scan
    // per window costs more than one over the whole item), so the whole item is scanned.
    HitSink sink{&hits};
    const bool ok = hs_scan(lexicon->normalized_db(), full.text.data(), static_cast<unsigned>(full.text.size()), 0,
                            scratch, on_match, &sink) == HS_SUCCESS;
    if (!ok) result.notes.push_back("the matcher failed on the normalised text; some terms may be missing");
    // Allow-list spans (normalised offsets).
    // Sorted by start, with the running maximum of their ends, so containment is a binary search.
    struct AllowSpan {
      std::size_t from;
      std::size_t to;
      std::size_t word;
    };
    std::vector<AllowSpan> allow_spans;
    // Only plainly written allow-list words count: "p3rverse" or "cpppp" is not a benign word.
    for (const Hit& h : hits) {
      if (h.id < entries.size()) continue;
      bool plain = true;
      for (std::size_t b = h.from; b < h.to && plain; ++b) {
        plain = full.altered[b] == 0 && !leet_byte(static_cast<unsigned char>(full.text[b]));
      }
      if (plain) allow_spans.push_back(AllowSpan{h.from, h.to, h.id - entries.size()});
    }
    std::sort(allow_spans.begin(), allow_spans.end(),
              [](const AllowSpan& a, const AllowSpan& b) { return a.from < b.from; });
    for (std::size_t a = 1; a < allow_spans.size(); ++a) {
      if (allow_spans[a - 1].to > allow_spans[a].to) {
        allow_spans[a].to = allow_spans[a - 1].to;
        allow_spans[a].word = allow_spans[a - 1].word;
      }
    }
    // Longest hit per (entry, start).
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
      return a.id != b.id ? a.id < b.id : a.from != b.from ? a.from < b.from : a.to > b.to;
    });
    std::set<std::size_t> suppressed_by;
    bool have_last = false;
    unsigned last_id = 0;
    std::size_t last_from = 0;
    for (std::size_t k = 0; k < hits.size(); ++k) {
      const Hit& h = hits[k];
      if (h.id >= entries.size()) continue;
      const LexiconEntry& entry = entries[h.id];
      if ((entry.fields & field_bit) == 0) continue;
      if (entry.match == MatchMode::word) {
        const auto* t = reinterpret_cast<const unsigned char*>(full.text.data());
        if (h.from > 0 && is_word_byte(t[h.from - 1])) continue;
        if (h.to < full.text.size() && is_word_byte(t[h.to])) continue;
      }
      // A hit needs at least one real letter: "74800" is a number, not a disguised "taboo".
      {
        bool letter = false;
        for (std::size_t b = h.from; b < h.to && !letter; ++b) {
          letter = is_word_byte(static_cast<unsigned char>(full.text[b]));
        }
        if (!letter) continue;
      }
      // Hits at one start come longest first; keep only the longest valid one.
      if (have_last && last_id == h.id && last_from == h.from) continue;
      have_last = true;
      last_id = h.id;
      last_from = h.from;
      auto after = std::upper_bound(allow_spans.begin(), allow_spans.end(), h.from,
                                    [](std::size_t from, const AllowSpan& a) { return from < a.from; });
      if (after != allow_spans.begin() && std::prev(after)->to >= h.to) {
        suppressed_by.insert(std::prev(after)->word);
        continue;
      }
      bool obfuscated = false;
      for (std::size_t b = h.from; b < h.to && !obfuscated; ++b) {
        obfuscated = full.altered[b] != 0 || leet_byte(static_cast<unsigned char>(full.text[b]));
      }
      const double weight = std::min(1.0, entry.weight + (obfuscated ? sc.obfuscation_boost : 0.0));
      candidates.push_back(Candidate{h.id, full.original_start(h.from), full.original_end(h.to), weight, obfuscated});
    }
    for (std::size_t a : suppressed_by) {
      result.notes.push_back("a match was suppressed by allow-list word '" + lexicon->allow()[a] + "'");
    }
  }

  if (scratch != nullptr && lexicon->raw_db() != nullptr && !text.empty()) {
    hits.clear();
    HitSink sink{&hits};
    if (hs_scan(lexicon->raw_db(), text.data(), static_cast<unsigned>(text.size()), 0, scratch, on_match, &sink) !=
        HS_SUCCESS) {
      result.notes.push_back("the matcher failed on the raw text; some terms may be missing");
    }
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
      return a.id != b.id ? a.id < b.id : a.from != b.from ? a.from < b.from : a.to > b.to;
    });
    for (std::size_t k = 0; k < hits.size(); ++k) {
      const Hit& h = hits[k];
      const LexiconEntry& entry = entries[h.id];
      if ((entry.fields & field_bit) == 0) continue;
      if (entry.match == MatchMode::word) {
        const auto* t = reinterpret_cast<const unsigned char*>(text.data());
        if (h.from > 0 && raw_word_byte(t[h.from - 1])) continue;
        if (h.to < text.size() && raw_word_byte(t[h.to])) continue;
      }
      if (!candidates.empty() && candidates.back().entry == h.id && candidates.back().start == h.from) continue;
      candidates.push_back(Candidate{h.id, h.from, h.to, entry.weight, false});
    }
  }

  // Category scores: noisy-OR over distinct entries (the strongest hit of each entry).
  std::map<std::size_t, double> best_per_entry;
  for (const Candidate& c : candidates) {
    double& w = best_per_entry[c.entry];
    w = std::max(w, c.weight);
  }
  std::map<std::string, double> miss;  // category -> product of (1 - w)
  for (const auto& [entry, w] : best_per_entry) {
    auto [it, inserted] = miss.try_emplace(entries[entry].category, 1.0);
    it->second *= 1.0 - w;
  }
  for (const Candidate& c : candidates) {
    if (result.matches.size() >= kMaxListedMatches) break;
    const LexiconEntry& entry = entries[c.entry];
    result.matches.push_back(TextMatch{entry.id, entry.category, c.start, c.end, c.weight, c.obfuscated});
  }
  if (candidates.size() > kMaxListedMatches) {
    result.notes.push_back(std::to_string(candidates.size() - kMaxListedMatches) + " further matches not listed");
  }

  // Age mentions (minors only are a signal).
  thread_local std::vector<AgeMention> t_ages;
  std::vector<AgeMention>& ages = t_ages;
  ages.clear();
  find_age_mentions(norm.light.text, ages);
  bool minor_age = false;
  std::size_t listed_ages = 0;
  for (const AgeMention& a : ages) {
    if (a.age >= sc.age_minor_below) continue;
    minor_age = true;
    if (listed_ages++ >= kMaxListedMatches) continue;
    result.matches.push_back(TextMatch{"age " + std::to_string(a.age), sc.age_category,
                                       norm.light.original_start(a.start), norm.light.original_end(a.end),
                                       sc.age_minor_weight, false});
  }
  if (listed_ages > kMaxListedMatches) {
    result.notes.push_back(std::to_string(listed_ages - kMaxListedMatches) + " further age mentions not listed");
  }
  if (minor_age) {
    auto [it, inserted] = miss.try_emplace(sc.age_category, 1.0);
    it->second *= 1.0 - sc.age_minor_weight;
  }

  // Messenger handles.
  std::vector<HandleHit> handle_hits;
  find_messenger_handles(norm.light.text, handle_hits);
  for (const HandleHit& h : handle_hits) {
    if (result.handles.size() >= kMaxListedHandles) {
      result.notes.push_back(std::to_string(handle_hits.size() - kMaxListedHandles) + " further handles not listed");
      break;
    }
    result.handles.push_back(MessengerHandle{h.platform, h.handle, norm.light.original_start(h.start),
                                             norm.light.original_end(h.end)});
  }
  if (!handle_hits.empty() && sc.handle_weight > 0) {
    auto [it, inserted] = miss.try_emplace(sc.handle_category, 1.0);
    it->second *= 1.0 - sc.handle_weight;
  }

  for (const auto& [category, m] : miss) result.categories[category] = 1.0 - m;

  // An age mention next to a coded term weighs more than either.
  if (minor_age) {
    for (const std::string& c : sc.cooccurrence_with) {
      auto it = result.categories.find(c);
      if (it != result.categories.end() && it->second >= sc.report_threshold) {
        result.categories[sc.cooccurrence_category] = sc.cooccurrence_weight;
        break;
      }
    }
  }

  double overall_miss = 1.0;
  for (const auto& [category, score] : result.categories) overall_miss *= 1.0 - score;
  result.score = std::clamp(1.0 - overall_miss, 0.0, 1.0);
  result.flagged = result.score >= sc.flag_threshold;
  std::stable_sort(result.matches.begin(), result.matches.end(),
                   [](const TextMatch& a, const TextMatch& b) { return a.start < b.start; });
  return result;
}

}  // namespace vigil::text
