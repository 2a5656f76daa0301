#pragma once
// Text signals: scans short public text (usernames, display names, group names and descriptions,
// public posts) for coded terms from a versioned lexicon, age mentions, and advertised messenger
// handles. See docs/text-signals.md.
//
// Thread safety: `scan` is const and may be called from any number of threads at once. `reload`
// swaps the compiled lexicon atomically: scans already running finish with the old lexicon, later
// scans use the new one. A lexicon that fails to load or compile is rejected with a vigil::Error
// naming the offending entry, and the lexicon in force stays in force.
//
// Hostile input (invalid UTF-8, megabyte strings, bidi overrides, floods of emoji or combining
// marks) never throws from `scan`: the result carries a note saying what was found and done.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::text {

// Where the text came from; some lexicon entries apply to some fields only.
enum class TextField { username, display_name, group_name, description, post };

std::string_view to_string(TextField field);
// Parses "username", "display_name", "group_name", "description", "post"; throws vigil::Error.
TextField parse_text_field(std::string_view name);

// One lexicon hit. Offsets are byte offsets into the ORIGINAL text given to scan: [start, end).
struct TextMatch {
  std::string term;      // the lexicon entry's id (its term, or its name for a regex)
  std::string category;  // e.g. "coded-term", "trading", "solicitation", "age-mention"
  std::size_t start = 0;
  std::size_t end = 0;
  double weight = 0.0;      // the weight this hit contributed (after any obfuscation boost)
  bool obfuscated = false;  // the hit was only visible after normalisation (leet, homoglyphs...)
};

// A messenger handle advertised in the text ("wickr: name", "add me on kik name", ...).
struct MessengerHandle {
  std::string platform;  // "wickr", "kik", "telegram", "session", "snapchat", "signal", ...
  std::string handle;    // as advertised, NFKC-normalised and lower-cased (Session IDs: hex)
  std::size_t start = 0;  // byte offsets of the handle in the original text
  std::size_t end = 0;
};

struct TextScanResult {
  bool flagged = false;  // score >= the lexicon's flag threshold
  double score = 0.0;    // 0..1
  std::map<std::string, double> categories;  // category -> score 0..1
  std::vector<TextMatch> matches;             // in order of start offset
  std::vector<MessengerHandle> handles;
  std::string lexicon_version;
  std::vector<std::string> notes;  // what was odd about the input and what was done about it
};

nlohmann::json to_json(const TextMatch& match);
nlohmann::json to_json(const MessengerHandle& handle);
nlohmann::json to_json(const TextScanResult& result);

class CompiledLexicon;  // defined in lexicon.h

class TextScanner {
 public:
  // Loads and compiles a lexicon file (TOML). Throws vigil::Error naming the bad entry.
  explicit TextScanner(const std::filesystem::path& lexicon_file);
  // The starter lexicon shipped in lexicons/starter.toml (compiled into the library).
  static TextScanner with_starter_lexicon();
  // A lexicon given as TOML text; `source_name` appears in error messages.
  static TextScanner from_toml(std::string_view toml_text, std::string_view source_name = "<string>");

  TextScanner(const TextScanner&) = delete;
  TextScanner& operator=(const TextScanner&) = delete;
  TextScanner(TextScanner&& other) noexcept;
  TextScanner& operator=(TextScanner&& other) noexcept;
  ~TextScanner();

  TextScanResult scan(std::string_view text, TextField field = TextField::post) const;

  // Loads, compiles and swaps in a lexicon. On failure throws vigil::Error (naming the entry) and
  // keeps the current lexicon.
  void reload(const std::filesystem::path& lexicon_file);
  void reload_from_toml(std::string_view toml_text, std::string_view source_name = "<string>");

  std::string lexicon_version() const;

 private:
  explicit TextScanner(std::shared_ptr<const CompiledLexicon> lexicon);
  std::shared_ptr<const CompiledLexicon> current() const;

  mutable std::mutex mutex_;
  std::shared_ptr<const CompiledLexicon> lexicon_;
};

// The starter lexicon's TOML text (lexicons/starter.toml, embedded at build time).
std::string_view starter_lexicon_toml();

}  // namespace vigil::text
