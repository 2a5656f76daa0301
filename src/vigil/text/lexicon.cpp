#include "vigil/text/lexicon.h"

#include <hs.h>

#include <toml++/toml.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "vigil/common/error.h"
#include "vigil/text/normalizer.h"

namespace vigil::text {
namespace {

std::atomic<std::uint64_t> g_next_uid{1};

std::string where(const toml::node& node) {
  const auto& src = node.source();
  if (src.begin.line == 0) return "";
  return " (line " + std::to_string(src.begin.line) + ")";
}

[[noreturn]] void fail(std::string_view source_name, const std::string& what) {
  throw Error("lexicon '" + std::string(source_name) + "': " + what);
}

void check_keys(const toml::table& table, const std::set<std::string>& allowed, std::string_view source_name,
                const std::string& what) {
  for (const auto& [key, value] : table) {
    if (!allowed.count(std::string(key.str()))) {
      fail(source_name, what + where(value) + ": unknown key '" + std::string(key.str()) + "'");
    }
  }
}

std::string get_string(const toml::table& table, const char* key, std::string_view source_name,
                       const std::string& what, bool required, std::string fallback = {}) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    if (required) fail(source_name, what + where(table) + ": missing '" + key + "'");
    return fallback;
  }
  const auto value = node->value<std::string>();
  if (!value) fail(source_name, what + where(*node) + ": '" + key + "' must be a string");
  return *value;
}

double get_number(const toml::table& table, const char* key, std::string_view source_name, const std::string& what,
                  bool required, double fallback, double lo, double hi) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    if (required) fail(source_name, what + where(table) + ": missing '" + key + "'");
    return fallback;
  }
  const auto value = node->value<double>();
  if (!value) fail(source_name, what + where(*node) + ": '" + key + "' must be a number");
  if (!(*value >= lo && *value <= hi)) {
    char range[96];
    std::snprintf(range, sizeof range, "' must be between %g and %g", lo, hi);
    fail(source_name, what + where(*node) + ": '" + key + range);
  }
  return *value;
}

std::vector<std::string> get_strings(const toml::table& table, const char* key, std::string_view source_name,
                                     const std::string& what) {
  std::vector<std::string> out;
  const toml::node* node = table.get(key);
  if (node == nullptr) return out;
  const toml::array* array = node->as_array();
  if (array == nullptr) fail(source_name, what + where(*node) + ": '" + key + "' must be an array of strings");
  for (const auto& item : *array) {
    const auto value = item.value<std::string>();
    if (!value) fail(source_name, what + where(item) + ": '" + key + "' must be an array of strings");
    out.push_back(*value);
  }
  return out;
}

std::string hex_escape(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  return buf;
}

// The class a normalised term character accepts in the text.
std::string char_class(char c) {
  switch (c) {
    case 'a': return "[a4@]";
    case 'b': return "[b8]";
    case 'e': return "[e3]";
    case 'g': return "[g9]";
    case 'i': return "[i1!|]";
    case 'l': return "[l1|]";
    case 'o': return "[o0]";
    case 's': return "[s5$]";
    case 't': return "[t7+]";
    default: break;
  }
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return std::string(1, c);
  return hex_escape(static_cast<unsigned char>(c));
}

char unleet(char c) {
  switch (c) {
    case '@': return 'a';
    case '$': return 's';
    case '!':
    case '|': return 'i';
    case '+': return 't';
    default: return c;
  }
}

}  // namespace

std::string LexiconEntry::describe() const { return kind + " #" + std::to_string(number) + " '" + id + "'"; }

std::string term_pattern(std::string_view term) {
  const Normalized normalized = normalize(term);
  // Split the normalised term into characters (UTF-8 sequences), dropping spaces.
  std::vector<std::string> chars;
  const std::string& t = normalized.full.text;
  for (std::size_t i = 0; i < t.size();) {
    const auto b = static_cast<unsigned char>(t[i]);
    std::size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    len = std::min(len, t.size() - i);
    if (!(len == 1 && t[i] == ' ')) chars.push_back(t.substr(i, len));
    i += len;
  }
  std::string pattern;
  for (std::size_t k = 0; k < chars.size();) {
    std::size_t r = k + 1;
    while (r < chars.size() && chars[r] == chars[k]) ++r;
    std::string cls;
    if (chars[k].size() == 1) {
      cls = char_class(unleet(chars[k][0]));
    } else {
      cls = "(?:";
      for (char c : chars[k]) cls += hex_escape(static_cast<unsigned char>(c));
      cls += ")";
    }
    if (!pattern.empty()) pattern += " ?";
    pattern += cls;
    if (r - k >= 2) pattern += " ?" + cls;
    pattern += "+";
    k = r;
  }
  return pattern;
}

CompiledLexicon::~CompiledLexicon() {
  if (normalized_db_ != nullptr) hs_free_database(normalized_db_);
  if (prefilter_db_ != nullptr) hs_free_database(prefilter_db_);
  if (raw_db_ != nullptr) hs_free_database(raw_db_);
}

std::shared_ptr<const CompiledLexicon> CompiledLexicon::load_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("lexicon '" + path.string() + "': cannot open the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error("lexicon '" + path.string() + "': cannot read the file");
  return load_toml(buffer.str(), path.string());
}

std::shared_ptr<const CompiledLexicon> CompiledLexicon::load_toml(std::string_view toml_text,
                                                                  std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    fail(source_name, "not valid TOML at line " + std::to_string(e.source().begin.line) + ": " +
                          std::string(e.description()));
  }
  std::shared_ptr<CompiledLexicon> lexicon(new CompiledLexicon());
  check_keys(root, {"lexicon", "scoring", "age", "handles", "term", "regex", "allow"}, source_name, "top level");

  const toml::table* meta = root["lexicon"].as_table();
  if (meta == nullptr) fail(source_name, "missing the [lexicon] table with name and version");
  check_keys(*meta, {"name", "version", "description"}, source_name, "[lexicon]");
  lexicon->name_ = get_string(*meta, "name", source_name, "[lexicon]", true);
  lexicon->version_ = get_string(*meta, "version", source_name, "[lexicon]", true);
  if (lexicon->version_.empty()) fail(source_name, "[lexicon]: 'version' is empty");

  ScoringConfig& sc = lexicon->scoring_;
  if (const toml::node* node = root.get("scoring")) {
    const toml::table* t = node->as_table();
    if (t == nullptr) fail(source_name, "[scoring] must be a table");
    check_keys(*t,
               {"flag_threshold", "report_threshold", "obfuscation_boost", "cooccurrence_weight",
                "cooccurrence_category", "cooccurrence_with", "max_input_bytes"},
               source_name, "[scoring]");
    sc.flag_threshold = get_number(*t, "flag_threshold", source_name, "[scoring]", false, sc.flag_threshold, 0, 1);
    sc.report_threshold =
        get_number(*t, "report_threshold", source_name, "[scoring]", false, sc.report_threshold, 0, 1);
    sc.obfuscation_boost =
        get_number(*t, "obfuscation_boost", source_name, "[scoring]", false, sc.obfuscation_boost, 0, 1);
    sc.cooccurrence_weight =
        get_number(*t, "cooccurrence_weight", source_name, "[scoring]", false, sc.cooccurrence_weight, 0, 1);
    sc.cooccurrence_category =
        get_string(*t, "cooccurrence_category", source_name, "[scoring]", false, sc.cooccurrence_category);
    if (t->get("cooccurrence_with") != nullptr) {
      sc.cooccurrence_with = get_strings(*t, "cooccurrence_with", source_name, "[scoring]");
    }
    sc.max_input_bytes = static_cast<std::size_t>(get_number(*t, "max_input_bytes", source_name, "[scoring]", false,
                                                             static_cast<double>(sc.max_input_bytes), 64, 1 << 30));
  }
  if (const toml::node* node = root.get("age")) {
    const toml::table* t = node->as_table();
    if (t == nullptr) fail(source_name, "[age] must be a table");
    check_keys(*t, {"category", "minor_weight", "minor_below"}, source_name, "[age]");
    sc.age_category = get_string(*t, "category", source_name, "[age]", false, sc.age_category);
    sc.age_minor_weight = get_number(*t, "minor_weight", source_name, "[age]", false, sc.age_minor_weight, 0, 1);
    sc.age_minor_below = static_cast<int>(get_number(*t, "minor_below", source_name, "[age]", false, sc.age_minor_below, 1, 99));
  }
  if (const toml::node* node = root.get("handles")) {
    const toml::table* t = node->as_table();
    if (t == nullptr) fail(source_name, "[handles] must be a table");
    check_keys(*t, {"category", "weight"}, source_name, "[handles]");
    sc.handle_category = get_string(*t, "category", source_name, "[handles]", false, sc.handle_category);
    sc.handle_weight = get_number(*t, "weight", source_name, "[handles]", false, sc.handle_weight, 0, 1);
  }

  for (const char* kind : {"term", "regex"}) {
    const toml::node* node = root.get(kind);
    if (node == nullptr) continue;
    const toml::array* array = node->as_array();
    if (array == nullptr) fail(source_name, std::string("'") + kind + "' must be an array of tables ([[" + kind + "]])");
    std::size_t number = 0;
    for (const auto& item : *array) {
      ++number;
      LexiconEntry entry;
      entry.kind = kind;
      entry.number = number;
      const std::string what = std::string(kind) + " #" + std::to_string(number);
      const toml::table* t = item.as_table();
      if (t == nullptr) fail(source_name, what + where(item) + " must be a table");
      const bool is_term = entry.kind == "term";
      check_keys(*t,
                 is_term ? std::set<std::string>{"term", "category", "weight", "language", "match", "text", "fields",
                                                 "caseless", "note"}
                         : std::set<std::string>{"name", "pattern", "category", "weight", "language", "match", "text",
                                                 "fields", "caseless", "note"},
                 source_name, what);
      if (is_term) {
        entry.source = get_string(*t, "term", source_name, what, true);
        entry.id = entry.source;
      } else {
        entry.id = get_string(*t, "name", source_name, what, true);
        entry.source = get_string(*t, "pattern", source_name, what, true);
      }
      const std::string label = what + " '" + entry.id + "'";
      if (entry.source.empty()) fail(source_name, label + where(*t) + ": empty " + (is_term ? "term" : "pattern"));
      entry.category = get_string(*t, "category", source_name, label, true);
      if (entry.category.empty()) fail(source_name, label + where(*t) + ": empty category");
      entry.weight = get_number(*t, "weight", source_name, label, true, 0, 0, 1);
      entry.language = get_string(*t, "language", source_name, label, false, "und");
      const std::string match = get_string(*t, "match", source_name, label, false, "word");
      if (match == "word") {
        entry.match = MatchMode::word;
      } else if (match == "substring") {
        entry.match = MatchMode::substring;
      } else {
        fail(source_name, label + ": 'match' must be \"word\" or \"substring\", not \"" + match + "\"");
      }
      const std::string view = get_string(*t, "text", source_name, label, false, "normalized");
      if (view == "normalized" || view == "normalised") {
        entry.view = TextView::normalized;
      } else if (view == "raw") {
        entry.view = TextView::raw;
      } else {
        fail(source_name, label + ": 'text' must be \"normalized\" or \"raw\", not \"" + view + "\"");
      }
      if (const toml::node* c = t->get("caseless")) {
        const auto value = c->value<bool>();
        if (!value) fail(source_name, label + ": 'caseless' must be true or false");
        entry.caseless = *value;
      }
      if (t->get("fields") != nullptr) {
        entry.fields = 0;
        for (const std::string& f : get_strings(*t, "fields", source_name, label)) {
          try {
            entry.fields |= 1u << static_cast<unsigned>(parse_text_field(f));
          } catch (const Error& e) {
            fail(source_name, label + ": " + e.what());
          }
        }
      }
      if (is_term) {
        if (entry.view == TextView::normalized) {
          entry.pattern = term_pattern(entry.source);
          if (entry.pattern.empty()) {
            fail(source_name, label + where(*t) + ": the term has no letters or digits left after normalisation");
          }
        } else {
          for (char c : entry.source) entry.pattern += hex_escape(static_cast<unsigned char>(c));
        }
      } else {
        entry.pattern = entry.source;
      }
      lexicon->entries_.push_back(std::move(entry));
    }
  }
  if (lexicon->entries_.empty()) fail(source_name, "no [[term]] or [[regex]] entries");

  if (const toml::node* node = root.get("allow")) {
    const toml::table* t = node->as_table();
    if (t == nullptr) fail(source_name, "[allow] must be a table with 'words = [...]'");
    check_keys(*t, {"words"}, source_name, "[allow]");
    std::size_t number = 0;
    for (const std::string& word : get_strings(*t, "words", source_name, "[allow]")) {
      ++number;
      const std::string pattern = term_pattern(word);
      if (pattern.empty()) {
        fail(source_name, "[allow] word #" + std::to_string(number) + " '" + word +
                              "' has no letters or digits left after normalisation");
      }
      lexicon->allow_.push_back(word);
      lexicon->allow_patterns_.push_back(pattern);
    }
  }
  lexicon->compile(std::string(source_name));
  lexicon->uid_ = g_next_uid.fetch_add(1);
  return lexicon;
}

void CompiledLexicon::compile(const std::string& source_name) {
  for (int pass = 0; pass < 2; ++pass) {
    const TextView view = pass == 0 ? TextView::normalized : TextView::raw;
    std::vector<const char*> expressions;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const LexiconEntry& e = entries_[i];
      if (e.view != view) continue;
      expressions.push_back(e.pattern.c_str());
      unsigned f = HS_FLAG_SOM_LEFTMOST;
      if (view == TextView::raw && e.caseless) f |= HS_FLAG_CASELESS;
      if (view == TextView::normalized && e.kind == "regex") f |= HS_FLAG_CASELESS;
      flags.push_back(f);
      ids.push_back(static_cast<unsigned>(i));
      labels.push_back(e.describe());
    }
    if (view == TextView::normalized) {
      for (std::size_t j = 0; j < allow_patterns_.size(); ++j) {
        expressions.push_back(allow_patterns_[j].c_str());
        flags.push_back(HS_FLAG_SOM_LEFTMOST);
        ids.push_back(static_cast<unsigned>(entries_.size() + j));
        labels.push_back("[allow] word #" + std::to_string(j + 1) + " '" + allow_[j] + "'");
      }
    }
    if (expressions.empty()) continue;
    hs_database_t* db = nullptr;
    hs_compile_error_t* error = nullptr;
    const hs_error_t rc = hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                                           static_cast<unsigned>(expressions.size()), HS_MODE_BLOCK, nullptr, &db,
                                           &error);
    if (rc != HS_SUCCESS) {
      std::string message = error != nullptr && error->message != nullptr ? error->message : "unknown error";
      const int index = error != nullptr ? error->expression : -1;
      if (error != nullptr) hs_free_compile_error(error);
      if (index >= 0 && static_cast<std::size_t>(index) < labels.size()) {
        fail(source_name, labels[static_cast<std::size_t>(index)] + " does not compile: " + message);
      }
      fail(source_name, "the lexicon does not compile: " + message);
    }
    (view == TextView::normalized ? normalized_db_ : raw_db_) = db;
    if (view == TextView::normalized) {
      // The prefilter: same expressions, no start offsets. They compiled above, so this does too.
      for (unsigned& f : flags) f &= ~static_cast<unsigned>(HS_FLAG_SOM_LEFTMOST);
      error = nullptr;
      if (hs_compile_multi(expressions.data(), flags.data(), ids.data(), static_cast<unsigned>(expressions.size()),
                           HS_MODE_BLOCK, nullptr, &prefilter_db_, &error) != HS_SUCCESS) {
        std::string message = error != nullptr && error->message != nullptr ? error->message : "unknown error";
        if (error != nullptr) hs_free_compile_error(error);
        fail(source_name, "the lexicon's prefilter does not compile: " + message);
      }
    }
  }
}

}  // namespace vigil::text
