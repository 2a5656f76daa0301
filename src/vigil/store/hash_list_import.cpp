#include "vigil/store/hash_list_import.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <map>

#include "vigil/common/error.h"

namespace vigil::store {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxRecordLines = 1000;  // a quoted CSV field may span lines, up to this many

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// What went wrong with one record; caught per record and turned into a BadLine or an Error.
struct RecordError {
  std::string reason;
};

[[noreturn]] void bad(std::string reason) { throw RecordError{std::move(reason)}; }

// Reads lines with a length cap, so a file without newlines cannot exhaust memory.
class LineReader {
 public:
  LineReader(std::istream& in, std::size_t max_bytes) : buf_(in.rdbuf()), max_(max_bytes) {}

  // False at end of input. too_long: the line was cut at max_bytes (the rest was skipped).
  bool next(std::string& line, bool& too_long) {
    line.clear();
    too_long = false;
    if (!buf_) return false;
    bool any = false;
    for (;;) {
      const auto c = buf_->sbumpc();
      if (c == std::char_traits<char>::eof()) break;
      any = true;
      if (c == '\n') break;
      if (line.size() < max_) {
        line.push_back(static_cast<char>(c));
      } else {
        too_long = true;
      }
    }
    if (!any) return false;
    ++number_;
    if (number_ == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // UTF-8 BOM
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  std::size_t number() const { return number_; }

 private:
  std::streambuf* buf_;
  std::size_t max_;
  std::size_t number_ = 0;
};

enum class SplitStatus { ok, open_quote };

// Splits one CSV/TSV record (RFC 4180 quoting: "a ""b""" -> a "b"). open_quote: a quoted field
// continues on the next line.
SplitStatus split_record(std::string_view text, char delim, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  std::size_t i = 0;
  for (;;) {
    field.clear();
    // Skip spaces before an opening quote only.
    std::size_t j = i;
    while (j < text.size() && text[j] == ' ' && delim != ' ') ++j;
    if (j < text.size() && text[j] == '"') {
      i = j + 1;
      for (;;) {
        if (i >= text.size()) return SplitStatus::open_quote;
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(text[i++]);
      }
      while (i < text.size() && text[i] == ' ') ++i;
      if (i < text.size() && text[i] != delim) bad(fmt::format("unexpected character after a closing quote in field {}", fields.size() + 1));
    } else {
      while (i < text.size() && text[i] != delim) {
        if (text[i] == '"') bad(fmt::format("a quote inside unquoted field {}", fields.size() + 1));
        field.push_back(text[i++]);
      }
    }
    fields.push_back(field);
    if (i >= text.size()) return SplitStatus::ok;
    ++i;  // the delimiter
  }
}

std::string printable(std::string_view s, std::size_t max = 40) {
  std::string out;
  for (const char ch : s.substr(0, max)) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c >= 0x20 && c < 0x7f) ? ch : '?';
  }
  if (s.size() > max) out += "...";
  return out;
}

SignalType require_type(std::string_view name) {
  auto t = parse_signal_type_alias(trim(name));
  if (!t) bad(fmt::format("unknown signal type '{}' (expected pdq, md5, sha1 or sha256)", printable(trim(name))));
  return *t;
}

// The type of a value whose record does not name one.
SignalType infer_type(std::string_view value, const HashListImportOptions& opt, bool pdq_context) {
  if (opt.signal_type) return *opt.signal_type;
  switch (value.size()) {
    case 32: return SignalType::md5;
    case 40: return SignalType::sha1;
    case 64:
      if (pdq_context) return SignalType::pdq;
      bad("64 hex digits could be a pdq or a sha256 value; name the type (--type pdq or --type sha256)");
    default:
      bad(fmt::format("value '{}' has {} characters; expected 32 (md5), 40 (sha1) or 64 (pdq, sha256) hex digits",
                      printable(value), value.size()));
  }
}

int parse_quality(std::string_view text) {
  text = trim(text);
  int q = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), q);
  if (ec != std::errc() || ptr != text.data() + text.size() || q < 0 || q > 100) {
    bad(fmt::format("quality '{}' is not an integer from 0 to 100", printable(text)));
  }
  return q;
}

bool parse_bool(std::string_view text, std::string_view field) {
  const auto t = lower(trim(text));
  if (t.empty() || t == "0" || t == "false" || t == "no") return false;
  if (t == "1" || t == "true" || t == "yes") return true;
  bad(fmt::format("{} '{}' is not true or false", field, printable(text)));
}

std::vector<std::string> split_labels(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t') ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::int64_t require_timestamp(std::string_view text) {
  auto t = parse_timestamp(trim(text));
  if (!t) bad(fmt::format("time '{}' is neither unix seconds nor an ISO 8601 time", printable(text)));
  return *t;
}

// Checks everything about a finished entry; the value is normalised to lowercase.
void finish_entry(BankEntry& e) {
  try {
    e.value = normalize_entry_value(e.signal_type, trim(e.value));
    validate_entry(e);
  } catch (const Error& err) {
    bad(err.what());
  }
}

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}
bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ---- plain -------------------------------------------------------------------------------

BankEntry parse_plain(std::string_view line, const HashListImportOptions& opt) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == ',')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != ',') ++j;
    if (j > i) tokens.push_back(line.substr(i, j - i));
    i = j;
  }
  BankEntry e;
  std::size_t k = 0;
  bool typed = false;
  if (tokens.size() >= 2 && !is_hex(tokens[0])) {
    e.signal_type = require_type(tokens[0]);
    typed = true;
    k = 1;
  }
  if (tokens.size() - k > 2) bad(fmt::format("expected '[type] hash [quality]', got {} fields", tokens.size()));
  e.value = std::string(tokens[k]);
  if (tokens.size() - k == 2) e.quality = parse_quality(tokens[k + 1]);
  if (!typed) e.signal_type = infer_type(e.value, opt, e.quality.has_value());
  finish_entry(e);
  return e;
}

// ---- CSV / TSV -------------------------------------------------------------------------------

enum class Column { type, value, quality, labels, source_id, added_at, added_by, note, disabled, disabled_reason, curation, skip };

const std::map<std::string, Column>& column_names() {
  static const std::map<std::string, Column> names = {
      {"signal_type", Column::type},       {"type", Column::type},
      {"signal", Column::value},           {"signal_str", Column::value},
      {"signal_value", Column::value},     {"value", Column::value},
      {"hash", Column::value},             {"indicator", Column::value},
      {"quality", Column::quality},        {"pdq_quality", Column::quality},
      {"labels", Column::labels},          {"tags", Column::labels},
      {"source_id", Column::source_id},    {"id", Column::source_id},
      {"content_id", Column::source_id},   {"te_id", Column::source_id},
      {"indicator_id", Column::source_id}, {"descriptor_id", Column::source_id},
      {"added_at", Column::added_at},      {"added_on", Column::added_at},
      {"time", Column::added_at},          {"timestamp", Column::added_at},
      {"created_at", Column::added_at},    {"added_by", Column::added_by},
      {"note", Column::note},              {"notes", Column::note},
      {"disabled", Column::disabled},      {"disabled_reason", Column::disabled_reason},
      {"curation", Column::curation},      {"entry_id", Column::skip},
  };
  return names;
}

struct CsvLayout {
  bool header = false;
  std::vector<Column> columns;                // for a header
  std::optional<SignalType> type_from_header; // a value column named "pdq", "md5", ...
};

// Decides from the first record whether it is a header; if so, maps its columns.
bool read_header(const std::vector<std::string>& fields, CsvLayout& layout, std::vector<std::string>& ignored) {
  bool has_value = false;
  std::vector<Column> cols;
  std::optional<SignalType> typed;
  for (const auto& f : fields) {
    const auto v = trim(f);
    if (is_hex(v) && (v.size() == 32 || v.size() == 40 || v.size() == 64)) return false;  // data, not names
  }
  for (const auto& f : fields) {
    const auto name = lower(trim(f));
    if (auto it = column_names().find(name); it != column_names().end()) {
      cols.push_back(it->second);
      has_value = has_value || it->second == Column::value;
    } else if (auto t = parse_signal_type_alias(name.size() > 4 && name.ends_with("_hex")
                                                     ? std::string_view(name).substr(0, name.size() - 4)
                                                     : std::string_view(name));
               t && !is_hex(name)) {
      cols.push_back(Column::value);
      typed = *t;
      has_value = true;
    } else {
      cols.push_back(Column::skip);
    }
  }
  if (!has_value) return false;
  layout.header = true;
  layout.columns = std::move(cols);
  layout.type_from_header = typed;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (layout.columns[i] == Column::skip && lower(trim(fields[i])) != "entry_id" && ignored.size() < 50) {
      ignored.push_back(printable(trim(fields[i]), 64));
    }
  }
  return true;
}

BankEntry parse_csv_with_header(const std::vector<std::string>& fields, const CsvLayout& layout,
                                const HashListImportOptions& opt) {
  if (fields.size() != layout.columns.size()) {
    bad(fmt::format("{} fields, but the header has {}", fields.size(), layout.columns.size()));
  }
  BankEntry e;
  std::optional<SignalType> type = layout.type_from_header;
  bool has_value = false;
  std::optional<std::string> curation;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::string_view f = fields[i];
    switch (layout.columns[i]) {
      case Column::type:
        if (!trim(f).empty()) type = require_type(f);
        break;
      case Column::value:
        e.value = std::string(trim(f));
        has_value = true;
        break;
      case Column::quality:
        if (!trim(f).empty()) e.quality = parse_quality(f);
        break;
      case Column::labels: e.labels = split_labels(f); break;
      case Column::source_id: e.source_id = std::string(f); break;
      case Column::added_at:
        if (!trim(f).empty()) e.added_at = require_timestamp(f);
        break;
      case Column::added_by: e.added_by = std::string(f); break;
      case Column::note: e.note = std::string(f); break;
      case Column::disabled: e.disabled = parse_bool(f, "disabled"); break;
      case Column::disabled_reason: e.disabled_reason = std::string(f); break;
      case Column::curation: curation = lower(trim(f)); break;
      case Column::skip: break;
    }
  }
  if (!has_value || e.value.empty()) bad("the hash value is empty");
  e.signal_type = type ? *type : infer_type(e.value, opt, e.quality.has_value());
  if (curation && !curation->empty()) {
    auto c = parse_curation_state(*curation);
    if (!c) bad(fmt::format("curation '{}' is not unreviewed, confirmed or disputed", printable(*curation)));
    e.curation = *c;
  }
  if (!e.disabled && !e.disabled_reason.empty()) bad("disabled_reason is set but disabled is false");
  finish_entry(e);
  return e;
}

// Without a header: "type,hash[,quality]", HMA's sample-data "hash,id,time,tags", or
// "hash[,quality[,note]]" (the PDQ reference outputs: pdq_hex,quality,file).
BankEntry parse_csv_headerless(const std::vector<std::string>& fields, const HashListImportOptions& opt) {
  BankEntry e;
  const auto f0 = trim(fields[0]);
  if (!is_hex(f0) && fields.size() >= 2 && parse_signal_type_alias(f0)) {
    if (fields.size() > 3) bad(fmt::format("expected 'type,hash[,quality]', got {} fields", fields.size()));
    e.signal_type = *parse_signal_type_alias(f0);
    e.value = std::string(trim(fields[1]));
    if (fields.size() == 3 && !trim(fields[2]).empty()) e.quality = parse_quality(fields[2]);
  } else if (fields.size() == 4 && is_digits(trim(fields[1])) && parse_timestamp(trim(fields[2]))) {
    e.value = std::string(f0);
    e.source_id = std::string(trim(fields[1]));
    e.added_at = *parse_timestamp(trim(fields[2]));
    e.labels = split_labels(fields[3]);
    e.signal_type = infer_type(e.value, opt, /*pdq_context=*/true);
  } else {
    if (fields.size() > 3) {
      bad(fmt::format("expected 'hash[,quality[,note]]' without a header, got {} fields", fields.size()));
    }
    e.value = std::string(f0);
    if (fields.size() >= 2 && !trim(fields[1]).empty()) e.quality = parse_quality(fields[1]);
    if (fields.size() == 3) e.note = fields[2];
    e.signal_type = infer_type(e.value, opt, e.quality.has_value());
  }
  if (e.value.empty()) bad("the hash value is empty");
  finish_entry(e);
  return e;
}

// ---- JSON lines --------------------------------------------------------------------------------

std::string json_string(const json& v, std::string_view key) {
  if (v.is_null()) return {};
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  bad(fmt::format("'{}' must be a string", key));
}

BankEntry parse_json_line(std::string_view line, const HashListImportOptions& opt, std::vector<std::string>& ignored) {
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) bad("not valid JSON");
  if (!j.is_object()) bad("not a JSON object");
  BankEntry e;
  std::optional<SignalType> type;
  bool has_value = false;
  for (const auto& [key_raw, v] : j.items()) {
    const auto key = lower(key_raw);
    auto it = column_names().find(key);
    Column col = it != column_names().end() ? it->second : Column::skip;
    std::optional<SignalType> typed_key;
    if (it == column_names().end()) {
      if (auto t = parse_signal_type_alias(key)) {
        col = Column::value;
        typed_key = t;
      }
    }
    switch (col) {
      case Column::type:
        if (!v.is_null()) type = require_type(json_string(v, key));
        break;
      case Column::value:
        e.value = json_string(v, key);
        has_value = true;
        if (typed_key) type = typed_key;
        break;
      case Column::quality:
        if (v.is_null()) break;
        if (!v.is_number_integer()) bad("'quality' must be an integer from 0 to 100");
        if (v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > 100) bad("'quality' must be an integer from 0 to 100");
        e.quality = static_cast<int>(v.get<std::int64_t>());
        break;
      case Column::labels:
        if (v.is_array()) {
          for (const auto& l : v) {
            if (!l.is_string()) bad(fmt::format("'{}' must hold strings", key));
            e.labels.push_back(l.get<std::string>());
          }
        } else if (v.is_string()) {
          e.labels = split_labels(v.get<std::string>());
        } else if (!v.is_null()) {
          bad(fmt::format("'{}' must be an array of strings", key));
        }
        break;
      case Column::source_id: e.source_id = json_string(v, key); break;
      case Column::added_at:
        if (v.is_number_integer()) {
          e.added_at = v.get<std::int64_t>();
        } else if (v.is_string()) {
          e.added_at = require_timestamp(v.get<std::string>());
        } else if (!v.is_null()) {
          bad("'added_at' must be unix seconds or an ISO 8601 string");
        }
        break;
      case Column::added_by: e.added_by = json_string(v, key); break;
      case Column::note: e.note = json_string(v, key); break;
      case Column::disabled:
        if (v.is_boolean()) {
          e.disabled = v.get<bool>();
        } else if (v.is_number_integer() && (v.get<std::int64_t>() == 0 || v.get<std::int64_t>() == 1)) {
          e.disabled = v.get<std::int64_t>() == 1;
        } else if (!v.is_null()) {
          bad("'disabled' must be true or false");
        }
        break;
      case Column::disabled_reason: e.disabled_reason = json_string(v, key); break;
      case Column::curation: {
        const auto s = lower(json_string(v, key));
        if (s.empty()) break;
        auto c = parse_curation_state(s);
        if (!c) bad(fmt::format("curation '{}' is not unreviewed, confirmed or disputed", printable(s)));
        e.curation = *c;
        break;
      }
      case Column::skip:
        if (key != "entry_id" && std::find(ignored.begin(), ignored.end(), key_raw) == ignored.end() &&
            ignored.size() < 50) {
          ignored.push_back(printable(key_raw, 64));
        }
        break;
    }
  }
  if (!has_value || e.value.empty()) bad("no hash value (expected a \"value\" or \"signal\" key)");
  e.signal_type = type ? *type : infer_type(e.value, opt, e.quality.has_value());
  if (!e.disabled && !e.disabled_reason.empty()) bad("disabled_reason is set but disabled is false");
  finish_entry(e);
  return e;
}

HashListFormat sniff(std::string_view first_line) {
  const auto t = trim(first_line);
  if (!t.empty() && (t.front() == '{' || t.front() == '[')) return HashListFormat::jsonl;
  if (t.find('\t') != std::string_view::npos) return HashListFormat::tsv;
  if (t.find(',') != std::string_view::npos) return HashListFormat::csv;
  return HashListFormat::plain;
}

}  // namespace

std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  if (text.empty() || text.size() > 40) return std::nullopt;
  if (is_digits(text)) {
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
    return v;
  }
  const std::string s(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  int n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return std::nullopt;
  std::size_t pos = 10;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != ' ') return std::nullopt;
    int m = 0;
    if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &m) != 3 || m != 8) return std::nullopt;
    pos += 1 + 8;
    if (pos < s.size() && s[pos] == '.') {  // fractional seconds are dropped
      ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    }
  }
  std::int64_t offset = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' && pos + 1 == s.size()) {
      pos = s.size();
    } else if (s[pos] == '+' || s[pos] == '-') {
      const int sign = s[pos] == '+' ? 1 : -1;
      std::string rest = s.substr(pos + 1);
      rest.erase(std::remove(rest.begin(), rest.end(), ':'), rest.end());
      if (rest.size() != 4 || !is_digits(rest)) return std::nullopt;
      const int oh = std::stoi(rest.substr(0, 2));
      const int om = std::stoi(rest.substr(2));
      if (oh > 23 || om > 59) return std::nullopt;
      offset = sign * (oh * 3600 + om * 60);
    } else {
      return std::nullopt;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

struct HashListReader::Impl {
  Impl(std::istream& in, const HashListImportOptions& options, std::string_view name)
      : opt(options), reader(in, options.max_line_bytes), format(options.format) {
    if (!format && !name.empty() && name != "-") format = format_from_path(std::filesystem::path(name));
    result.format = format.value_or(HashListFormat::plain);
  }

  void report(std::size_t line_no, std::string reason) {
    ++result.bad_line_count;
    if (!opt.skip_bad) throw Error(fmt::format("line {}: {}", line_no, reason));
    if (result.bad_lines.size() < opt.max_bad_lines_kept) result.bad_lines.push_back({line_no, std::move(reason)});
  }

  bool next(BankEntry& out) {
    while (reader.next(line, too_long)) {
      const std::size_t line_no = reader.number();
      if (too_long) {
        ++result.records;
        report(line_no, fmt::format("line is longer than {} bytes", opt.max_line_bytes));
        continue;
      }
      const auto t = trim(line);
      if (t.empty() || t.front() == '#') continue;
      if (!format) format = sniff(t);
      result.format = *format;
      bool counted = false;
      auto count = [&] {
        ++result.records;
        counted = true;
      };
      try {
        switch (*format) {
          case HashListFormat::plain:
            count();
            out = parse_plain(t, opt);
            return true;
          case HashListFormat::jsonl:
            count();
            out = parse_json_line(t, opt, result.ignored_columns);
            return true;
          case HashListFormat::csv:
          case HashListFormat::tsv: {
            const char delim = *format == HashListFormat::csv ? ',' : '\t';
            std::string record = line;
            std::size_t extra = 0;
            while (split_record(record, delim, fields) == SplitStatus::open_quote) {
              std::string more;
              bool more_long = false;
              if (extra >= kMaxRecordLines || !reader.next(more, more_long)) bad("a quoted field is never closed");
              if (more_long) {
                bad(fmt::format("a quoted field continues into line {}, longer than {} bytes", reader.number(),
                                opt.max_line_bytes));
              }
              ++extra;
              record += '\n';
              record += more;
              if (record.size() > opt.max_line_bytes) bad("a quoted field is longer than the line limit");
            }
            if (!header_checked) {
              header_checked = true;
              if (read_header(fields, layout, result.ignored_columns)) continue;
            }
            count();
            out = layout.header ? parse_csv_with_header(fields, layout, opt) : parse_csv_headerless(fields, opt);
            return true;
          }
        }
      } catch (const RecordError& e) {
        if (!counted) ++result.records;
        report(line_no, e.reason);
      }
    }
    return false;
  }

  HashListImportOptions opt;
  LineReader reader;
  std::optional<HashListFormat> format;
  HashListReadResult result;
  bool header_checked = false;
  CsvLayout layout;
  std::vector<std::string> fields;
  std::string line;
  bool too_long = false;
};

HashListReader::HashListReader(std::istream& in, const HashListImportOptions& options, std::string_view name)
    : impl_(std::make_unique<Impl>(in, options, name)) {}
HashListReader::~HashListReader() = default;
bool HashListReader::next(BankEntry& entry) { return impl_->next(entry); }
const HashListReadResult& HashListReader::summary() const { return impl_->result; }

HashListReadResult read_hash_list(std::istream& in, const HashListImportOptions& opt, std::string_view name) {
  HashListReader reader(in, opt, name);
  std::vector<BankEntry> entries;
  BankEntry e;
  while (reader.next(e)) entries.push_back(std::move(e));
  HashListReadResult result = reader.summary();
  result.entries = std::move(entries);
  return result;
}

}  // namespace vigil::store
