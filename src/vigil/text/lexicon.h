#pragma once
// A versioned lexicon (TOML) compiled into Hyperscan databases. See docs/text-signals.md for the
// file format. Loading validates every entry and names the first bad one in the vigil::Error.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/text/text_scanner.h"

struct hs_database;

namespace vigil::text {

enum class MatchMode { word, substring };
enum class TextView { normalized, raw };

struct LexiconEntry {
  std::string kind;      // "term" or "regex"
  std::size_t number = 0;  // 1-based position among entries of its kind in the file
  std::string id;        // the term, or the regex's name
  std::string source;    // the term text or the regular expression
  std::string pattern;   // the Hyperscan expression compiled for it
  std::string category;
  double weight = 0.0;
  std::string language;
  MatchMode match = MatchMode::word;
  TextView view = TextView::normalized;
  bool caseless = true;            // raw view only
  unsigned fields = 0x1F;          // bit per TextField
  std::string describe() const;    // "term #3 'perv'"
};

struct ScoringConfig {
  double flag_threshold = 0.5;
  double report_threshold = 0.4;      // categories at or above this count as reported signals
  double obfuscation_boost = 0.25;    // added to a hit's weight when it was obfuscated
  double cooccurrence_weight = 0.9;   // an age mention together with a coded term
  std::string cooccurrence_category = "age-coded-cooccurrence";
  std::vector<std::string> cooccurrence_with = {"coded-term", "trading", "solicitation"};
  std::size_t max_input_bytes = 4u << 20;  // longer items are cut (with a note)
  // Age mentions.
  std::string age_category = "age-mention";
  double age_minor_weight = 0.45;
  int age_minor_below = 18;
  // Messenger handles.
  std::string handle_category = "messenger-handle";
  double handle_weight = 0.2;
};

class CompiledLexicon {
 public:
  static std::shared_ptr<const CompiledLexicon> load_file(const std::filesystem::path& path);
  static std::shared_ptr<const CompiledLexicon> load_toml(std::string_view toml_text, std::string_view source_name);

  CompiledLexicon(const CompiledLexicon&) = delete;
  CompiledLexicon& operator=(const CompiledLexicon&) = delete;
  ~CompiledLexicon();

  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  const std::vector<LexiconEntry>& entries() const { return entries_; }
  const std::vector<std::string>& allow() const { return allow_; }
  const ScoringConfig& scoring() const { return scoring_; }

  // Hyperscan ids in the normalised database: [0, entries) are entries, [entries, +allow) are
  // allow-list words. The raw database holds raw-view entries with their entry index as id.
  hs_database* normalized_db() const { return normalized_db_; }
  // The same expressions as normalized_db without start-of-match tracking: much faster, used to
  // skip the full scan when nothing matches (the common case).
  hs_database* prefilter_db() const { return prefilter_db_; }
  hs_database* raw_db() const { return raw_db_; }
  std::uint64_t uid() const { return uid_; }

 private:
  CompiledLexicon() = default;
  void compile(const std::string& source_name);

  std::string name_;
  std::string version_;
  std::vector<LexiconEntry> entries_;
  std::vector<std::string> allow_;
  std::vector<std::string> allow_patterns_;
  ScoringConfig scoring_;
  hs_database* normalized_db_ = nullptr;
  hs_database* prefilter_db_ = nullptr;
  hs_database* raw_db_ = nullptr;
  std::uint64_t uid_ = 0;
};

// The Hyperscan expression a plain term compiles to on the normalised view: each letter a class
// that accepts its leetspeak forms, repeats allowed, an optional separator between letters.
std::string term_pattern(std::string_view term);

}  // namespace vigil::text
