// `vigil bank create|list|show|import|export|disable|enable|delete|curate|set`: hash banks in the embedded
// store (DIR/vigil.db, see vigil/store/data_directory.h). Every subcommand takes --data DIR
// (default ./vigil-data). Formats and examples: docs/banks.md.
//
// Exit status: 0 done; 2 an error (bad usage, bad input without --skip-bad, missing bank, a store
// from a newer Vigil, a file that is not a database), with the store left unchanged.
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "vigil/common/error.h"
#include "vigil/store/data_directory.h"
#include "vigil/store/hash_list_export.h"
#include "vigil/store/hash_list_import.h"
#include "vigil/store/sqlite_bank_store.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using namespace vigil::store;
using json = nlohmann::ordered_json;

constexpr const char* kDefaultDataDir = "./vigil-data";

struct BankOptions {
  std::string data = kDefaultDataDir;
  std::string name;
  // create
  std::string description;
  std::string kind = "match";
  int threshold = 31;
  int min_quality = 50;
  std::string source = "manual";
  std::vector<std::string> labels;
  bool create_disabled = false;
  // list/show
  bool json_output = false;
  // import/export
  std::string file;
  std::string format;
  std::string type;
  bool skip_bad = false;
  std::string added_by;
  bool enabled_only = false;
  // enable/disable
  std::optional<std::int64_t> entry;
  std::string reason;
  // delete
  bool yes = false;
  // curate
  std::string state;
  // set
  std::optional<int> set_threshold;
  std::optional<int> set_min_quality;
  std::optional<std::string> set_description;
  std::vector<std::string> set_labels;
  bool clear_labels = false;
};

// The open store of a data directory. Read-only commands do not create anything.
struct OpenStore {
  std::unique_ptr<SqliteDatabase> db;
  std::unique_ptr<SqliteBankStore> store;
  fs::path dir;
};

std::optional<OpenStore> open_store(const std::string& data, bool create) {
  DataDirectory dir(data, create ? DataDirectory::Mode::create_if_missing : DataDirectory::Mode::open_existing);
  if (!create && !dir.store_exists()) return std::nullopt;
  OpenStore s;
  s.dir = dir.root();
  s.db = std::make_unique<SqliteDatabase>(dir.store_path());
  s.store = std::make_unique<SqliteBankStore>(*s.db);
  return s;
}

Bank require_bank(SqliteBankStore& store, const std::string& name, const std::string& data) {
  validate_bank_name(name);
  auto bank = store.find_bank(std::string_view(name));
  if (!bank) throw Error(fmt::format("no bank named '{}' in data directory {}", name, data));
  return *bank;
}

OpenStore require_store(const std::string& data, const std::string& name) {
  auto s = open_store(data, false);
  if (!s) throw Error(fmt::format("no bank named '{}' in data directory {} (it holds no store yet)", name, data));
  return std::move(*s);
}

std::string iso_time(std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json bank_json(const Bank& b, const BankStats& s) {
  json j;
  j["name"] = b.name;
  j["id"] = b.id;
  j["description"] = b.description;
  j["enabled"] = b.enabled;
  j["kind"] = to_string(b.kind);
  j["pdq_threshold"] = b.pdq_threshold;
  j["min_quality"] = b.min_quality;
  j["source"] = to_string(b.source);
  j["default_labels"] = b.default_labels;
  j["created_at"] = b.created_at;
  j["updated_at"] = b.updated_at;
  j["version"] = b.version;
  j["entries"] = s.entries;
  j["disabled_entries"] = s.disabled;
  j["by_signal_type"] = {{"pdq", s.pdq}, {"md5", s.md5}, {"sha1", s.sha1}, {"sha256", s.sha256}};
  j["by_curation"] = {{"unreviewed", s.unreviewed}, {"confirmed", s.confirmed}, {"disputed", s.disputed}};
  return j;
}

std::string dump(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

// ---- subcommands -----------------------------------------------------------------------------

int run_create(const BankOptions& o) {
  Bank spec;
  spec.name = o.name;
  spec.description = o.description;
  spec.kind = *parse_bank_kind(o.kind);
  spec.pdq_threshold = o.threshold;
  spec.min_quality = o.min_quality;
  spec.source = *parse_bank_source(o.source);
  spec.default_labels = o.labels;
  spec.enabled = !o.create_disabled;
  validate_bank(spec);  // before creating the data directory
  auto s = open_store(o.data, true);
  const Bank b = s->store->create_bank(spec);
  std::printf("created bank %s (%s, PDQ threshold %d, min quality %d, %s, version %lld)\n", b.name.c_str(),
              std::string(to_string(b.kind)).c_str(), b.pdq_threshold, b.min_quality,
              b.enabled ? "enabled" : "disabled", static_cast<long long>(b.version));
  return 0;
}

int run_list(const BankOptions& o) {
  auto s = open_store(o.data, false);
  std::vector<std::pair<Bank, BankStats>> rows;
  if (s) {
    for (const auto& b : s->store->list_banks()) rows.emplace_back(b, s->store->bank_stats(b.id));
  }
  if (o.json_output) {
    json arr = json::array();
    for (const auto& [b, st] : rows) arr.push_back(bank_json(b, st));
    std::printf("%s\n", dump(arr).c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> table = {
      {"NAME", "KIND", "ENABLED", "ENTRIES", "DISABLED", "THRESHOLD", "MIN_QUALITY", "VERSION", "UPDATED"}};
  for (const auto& [b, st] : rows) {
    table.push_back({b.name, std::string(to_string(b.kind)), b.enabled ? "yes" : "no", std::to_string(st.entries),
                     std::to_string(st.disabled), std::to_string(b.pdq_threshold), std::to_string(b.min_quality),
                     std::to_string(b.version), iso_time(b.updated_at)});
  }
  std::vector<std::size_t> width(table[0].size(), 0);
  for (const auto& row : table) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : table) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

int run_show(const BankOptions& o) {
  auto s = require_store(o.data, o.name);
  const Bank b = require_bank(*s.store, o.name, o.data);
  const BankStats st = s.store->bank_stats(b.id);
  if (o.json_output) {
    std::printf("%s\n", dump(bank_json(b, st)).c_str());
    return 0;
  }
  std::string labels;
  for (const auto& l : b.default_labels) labels += (labels.empty() ? "" : " ") + l;
  std::printf("name:            %s\n", b.name.c_str());
  std::printf("description:     %s\n", b.description.c_str());
  std::printf("kind:            %s\n", std::string(to_string(b.kind)).c_str());
  std::printf("enabled:         %s\n", b.enabled ? "yes" : "no");
  std::printf("pdq threshold:   %d\n", b.pdq_threshold);
  std::printf("min quality:     %d\n", b.min_quality);
  std::printf("source:          %s\n", std::string(to_string(b.source)).c_str());
  std::printf("default labels:  %s\n", labels.c_str());
  std::printf("created:         %s\n", iso_time(b.created_at).c_str());
  std::printf("updated:         %s\n", iso_time(b.updated_at).c_str());
  std::printf("version:         %lld\n", static_cast<long long>(b.version));
  std::printf("entries:         %lld (%lld disabled)\n", static_cast<long long>(st.entries),
              static_cast<long long>(st.disabled));
  std::printf("by signal type:  pdq %lld, md5 %lld, sha1 %lld, sha256 %lld\n", static_cast<long long>(st.pdq),
              static_cast<long long>(st.md5), static_cast<long long>(st.sha1), static_cast<long long>(st.sha256));
  std::printf("by curation:     unreviewed %lld, confirmed %lld, disputed %lld\n",
              static_cast<long long>(st.unreviewed), static_cast<long long>(st.confirmed),
              static_cast<long long>(st.disputed));
  return 0;
}

std::optional<HashListFormat> format_option(const std::string& name) {
  if (name.empty()) return std::nullopt;
  auto f = parse_hash_list_format(name);
  if (!f) throw Error(fmt::format("--format: unknown format '{}' (use plain, csv, tsv or jsonl)", name));
  return f;
}

std::optional<SignalType> type_option(const std::string& name) {
  if (name.empty()) return std::nullopt;
  auto t = parse_signal_type(name);
  if (!t) throw Error(fmt::format("--type: unknown signal type '{}' (use pdq, md5, sha1 or sha256)", name));
  return t;
}

int run_import(const BankOptions& o) {
  HashListImportOptions opt;
  opt.format = format_option(o.format);
  opt.signal_type = type_option(o.type);
  opt.skip_bad = o.skip_bad;
  for (const auto& l : o.labels) validate_label(l);
  validate_bank_name(o.name);

  auto s = require_store(o.data, o.name);
  const Bank b = require_bank(*s.store, o.name, o.data);
  std::string added_by = o.added_by;
  if (added_by.empty()) {
    const char* user = std::getenv("USER");
    added_by = user && *user ? std::string("cli:") + user : std::string("cli");
  }

  // The file is streamed into one transaction: a bad line (without --skip-bad) or any other
  // error rolls everything back.
  const std::string shown = o.file == "-" ? std::string("stdin") : o.file;
  std::ifstream file;
  std::istream* in = &std::cin;
  AddEntriesResult r;
  std::unique_ptr<HashListReader> reader;
  try {
    if (o.file != "-") {
      std::error_code ec;
      if (fs::is_directory(o.file, ec)) throw Error("is a directory, not a hash list");
      file.open(o.file, std::ios::binary);
      if (!file) throw Error("cannot open the file for reading");
      in = &file;
    }
    reader = std::make_unique<HashListReader>(*in, opt, o.file);
    r = s.store->add_entries_from(b.id, [&](BankEntry& e) {
      if (!reader->next(e)) {
        if (in->bad()) throw Error("read error");
        return false;
      }
      if (e.added_by.empty()) e.added_by = added_by;
      if (!o.labels.empty()) e.labels = unite_labels(e.labels, o.labels);
      return true;
    });
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}; nothing was imported (--skip-bad imports the good lines)", shown, e.what()));
  }
  const HashListReadResult& read = reader->summary();
  for (const auto& bad : read.bad_lines) {
    std::fprintf(stderr, "vigil bank import: %s: line %zu: %s\n", shown.c_str(), bad.line, bad.reason.c_str());
  }
  if (read.bad_line_count > read.bad_lines.size()) {
    std::fprintf(stderr, "vigil bank import: %s: %zu more bad lines not shown\n", shown.c_str(),
                 read.bad_line_count - read.bad_lines.size());
  }
  if (!read.ignored_columns.empty()) {
    std::string cols;
    for (const auto& c : read.ignored_columns) cols += (cols.empty() ? "" : ", ") + c;
    std::fprintf(stderr, "vigil bank import: %s: ignored columns: %s\n", shown.c_str(), cols.c_str());
  }
  const auto version = s.store->find_bank(b.id)->version;
  std::printf("imported %s into bank %s (%s): %zu records, %lld added, %lld duplicates merged, %zu bad lines skipped; "
              "bank version %lld\n",
              shown.c_str(), b.name.c_str(), std::string(to_string(read.format)).c_str(), read.records,
              static_cast<long long>(r.added), static_cast<long long>(r.merged_duplicates), read.bad_line_count,
              static_cast<long long>(version));
  return 0;
}

int run_export(const BankOptions& o) {
  auto s = require_store(o.data, o.name);
  const Bank b = require_bank(*s.store, o.name, o.data);
  const auto only_type = type_option(o.type);
  HashListFormat format = HashListFormat::jsonl;
  if (auto f = format_option(o.format)) {
    format = *f;
  } else if (!o.file.empty() && o.file != "-") {
    format = format_from_path(o.file).value_or(HashListFormat::jsonl);
  }
  auto write_all = [&](std::ostream& out) {
    HashListWriter w(out, format);
    s.store->for_each_entry(b.id, [&](const BankEntry& e) {
      if (o.enabled_only && e.disabled) return;
      if (only_type && e.signal_type != *only_type) return;
      w.write(e);
    });
    w.finish();
    return w.written();
  };
  std::int64_t n = 0;
  if (o.file.empty() || o.file == "-") {
    n = write_all(std::cout);
    if (!std::cout) throw Error("writing the export to stdout failed");
  } else {
    // Written next to the target and renamed into place: a failed export leaves no half file.
    const fs::path target(o.file);
    const fs::path tmp = target.string() + ".tmp-" + std::to_string(::getpid());
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw Error(fmt::format("{}: cannot open for writing", tmp.string()));
      n = write_all(out);
      out.close();
      if (!out) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw Error(fmt::format("{}: write failed", tmp.string()));
      }
    }
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) {
      fs::remove(tmp, ec);
      throw Error(fmt::format("{}: cannot move the export into place", target.string()));
    }
  }
  std::fprintf(stderr, "exported %lld entries of bank %s (version %lld) as %s\n", static_cast<long long>(n),
               b.name.c_str(), static_cast<long long>(b.version), std::string(to_string(format)).c_str());
  return 0;
}

BankEntry require_entry_in(SqliteBankStore& store, const Bank& b, std::int64_t id) {
  auto e = store.find_entry(id);
  if (!e || e->bank_id != b.id) throw Error(fmt::format("bank '{}' has no entry with id {}", b.name, id));
  return *e;
}

int run_enable(const BankOptions& o, bool enable) {
  auto s = require_store(o.data, o.name);
  Bank b = require_bank(*s.store, o.name, o.data);
  if (o.entry) {
    const BankEntry e = require_entry_in(*s.store, b, *o.entry);
    if (!enable && o.reason.empty()) {
      throw Error("disabling an entry needs --reason (why this hash is turned off, e.g. a false positive)");
    }
    s.store->set_entry_disabled(e.id, !enable, o.reason);
    const auto version = s.store->find_bank(b.id)->version;
    std::printf("%s entry %lld (%s %s) in bank %s; bank version %lld\n", enable ? "enabled" : "disabled",
                static_cast<long long>(e.id), std::string(to_string(e.signal_type)).c_str(), e.value.c_str(),
                b.name.c_str(), static_cast<long long>(version));
    return 0;
  }
  if (!o.reason.empty() && enable) throw Error("--reason applies only to disabling");
  b.enabled = enable;
  b = s.store->update_bank(b);
  std::printf("%s bank %s; bank version %lld\n", enable ? "enabled" : "disabled", b.name.c_str(),
              static_cast<long long>(b.version));
  return 0;
}

int run_delete(const BankOptions& o) {
  auto s = require_store(o.data, o.name);
  const Bank b = require_bank(*s.store, o.name, o.data);
  const auto n = s.store->count_entries(b.id);
  if (n > 0 && !o.yes) {
    throw Error(fmt::format("bank '{}' holds {} entries; pass --yes to delete it with all of them (export it first "
                            "to keep a copy)",
                            b.name, n));
  }
  s.store->delete_bank(b.name);
  std::printf("deleted bank %s and its %lld entries\n", b.name.c_str(), static_cast<long long>(n));
  return 0;
}

int run_curate(const BankOptions& o) {
  const auto state = parse_curation_state(o.state);
  if (!state) throw Error(fmt::format("--state: '{}' is not unreviewed, confirmed or disputed", o.state));
  auto s = require_store(o.data, o.name);
  const Bank b = require_bank(*s.store, o.name, o.data);
  const BankEntry e = require_entry_in(*s.store, b, *o.entry);
  s.store->set_entry_curation(e.id, *state);
  std::printf("entry %lld in bank %s is now %s; bank version %lld\n", static_cast<long long>(e.id), b.name.c_str(),
              o.state.c_str(), static_cast<long long>(s.store->find_bank(b.id)->version));
  return 0;
}

int run_set(const BankOptions& o) {
  if (!o.set_threshold && !o.set_min_quality && !o.set_description && o.set_labels.empty() && !o.clear_labels) {
    throw Error("nothing to change: pass --threshold, --min-quality, --description, --label or --clear-labels");
  }
  auto s = require_store(o.data, o.name);
  Bank b = require_bank(*s.store, o.name, o.data);
  if (o.set_threshold) b.pdq_threshold = *o.set_threshold;
  if (o.set_min_quality) b.min_quality = *o.set_min_quality;
  if (o.set_description) b.description = *o.set_description;
  if (o.clear_labels) b.default_labels.clear();
  b.default_labels = unite_labels(b.default_labels, o.set_labels);
  b = s.store->update_bank(b);
  std::printf("updated bank %s (PDQ threshold %d, min quality %d); bank version %lld\n", b.name.c_str(),
              b.pdq_threshold, b.min_quality, static_cast<long long>(b.version));
  return 0;
}

// ---- registration ----------------------------------------------------------------------------

CLI::App* add_sub(CLI::App& app, const std::string& name, const std::string& description, BankOptions& o,
                  bool takes_name = true) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->add_option("--data", o.data, "Data directory holding the store (vigil.db)")
      ->capture_default_str()
      ->type_name("DIR");
  if (takes_name) sub->add_option("name", o.name, "Bank name")->required()->type_name("BANK");
  return sub;
}

const CommandRegistrar registrar{{"bank", "Manage hash banks: create, list, show, import, export, disable, enable, "
                                          "delete, curate, set",
                                  [](CLI::App& app) {
  auto o = std::make_shared<BankOptions>();
  app.require_subcommand(1);

  CLI::App* create = add_sub(app, "create", "Create a bank", *o);
  create->add_option("--description", o->description, "What the bank holds and where it came from");
  create->add_option("--kind", o->kind, "match: a match is reported; allow: known false positives that suppress "
                                        "matches")
      ->check(CLI::IsMember({"match", "allow"}))
      ->capture_default_str();
  create->add_option("--threshold", o->threshold, "PDQ match threshold: Hamming distance <= N matches (0..63)")
      ->check(CLI::Range(0, 63))
      ->capture_default_str()
      ->type_name("N");
  create->add_option("--min-quality", o->min_quality, "PDQ queries below this quality are not matched (0..100)")
      ->check(CLI::Range(0, 100))
      ->capture_default_str()
      ->type_name("N");
  create->add_option("--source", o->source, "Where the hashes come from: manual, file_import, exchange")
      ->check(CLI::IsMember({"manual", "file_import", "exchange"}))
      ->capture_default_str();
  create->add_option("--label", o->labels, "A default label of the bank (repeatable), e.g. A1, B2 or a free tag")
      ->type_name("LABEL");
  create->add_flag("--disabled", o->create_disabled, "Create the bank disabled (not matched until enabled)");

  CLI::App* list = add_sub(app, "list", "List banks as a table", *o, false);
  list->add_flag("--json", o->json_output, "A JSON array instead of the table");

  CLI::App* show = add_sub(app, "show", "Show a bank's settings, counts and version", *o);
  show->add_flag("--json", o->json_output, "One JSON object instead of text");

  CLI::App* import = add_sub(app, "import", "Import a hash list into a bank, all or nothing", *o);
  import->add_option("file", o->file, "Hash list file; '-' reads stdin")->required()->type_name("FILE");
  import->add_option("--format", o->format, "plain, csv, tsv or jsonl (default: from the file name, else the content)");
  import->add_option("--type", o->type, "Signal type of values whose line does not name one (pdq, md5, sha1, sha256)");
  import->add_flag("--skip-bad", o->skip_bad, "Report bad lines and import the rest (default: abort, import nothing)");
  import->add_option("--label", o->labels, "Add this label to every imported entry (repeatable)")->type_name("LABEL");
  import->add_option("--added-by", o->added_by, "Who added the entries (default: cli:$USER)")->type_name("WHO");

  CLI::App* exp = add_sub(app, "export", "Export a bank's entries (all fields, disabled ones included)", *o);
  exp->add_option("file", o->file, "Output file (default: stdout)")->type_name("FILE");
  exp->add_option("--format", o->format, "jsonl, csv, tsv or plain (default: from the file name, else jsonl)");
  exp->add_option("--type", o->type, "Only entries of this signal type");
  exp->add_flag("--enabled-only", o->enabled_only, "Leave out disabled entries");

  CLI::App* disable = add_sub(app, "disable", "Disable a bank, or one entry of it with --entry ID --reason TEXT", *o);
  disable->add_option("--entry", o->entry, "Entry id (from `vigil bank export`)")->type_name("ID");
  disable->add_option("--reason", o->reason, "Why the entry is disabled (required with --entry)")->type_name("TEXT");

  CLI::App* enable = add_sub(app, "enable", "Enable a bank, or one entry of it with --entry ID", *o);
  enable->add_option("--entry", o->entry, "Entry id")->type_name("ID");

  CLI::App* del = add_sub(app, "delete", "Delete a bank and all its entries", *o);
  del->add_flag("--yes", o->yes, "Confirm deleting a bank that holds entries");

  CLI::App* curate = add_sub(app, "curate", "Set one entry's curation state", *o);
  curate->add_option("--entry", o->entry, "Entry id")->required()->type_name("ID");
  curate->add_option("--state", o->state, "unreviewed, confirmed or disputed")->required()->type_name("STATE");

  CLI::App* set = add_sub(app, "set", "Change a bank's threshold, minimum quality, description or labels", *o);
  set->add_option("--threshold", o->set_threshold, "PDQ match threshold (0..63)")->check(CLI::Range(0, 63))->type_name("N");
  set->add_option("--min-quality", o->set_min_quality, "Minimum query quality (0..100)")
      ->check(CLI::Range(0, 100))
      ->type_name("N");
  set->add_option("--description", o->set_description, "New description")->type_name("TEXT");
  set->add_option("--label", o->set_labels, "Add a default label (repeatable)")->type_name("LABEL");
  set->add_flag("--clear-labels", o->clear_labels, "Remove the default labels first");

  return [o, create, list, show, import, exp, disable, enable, del, curate, set]() -> int {
    if (curate->parsed()) return run_curate(*o);
    if (set->parsed()) return run_set(*o);
    if (create->parsed()) return run_create(*o);
    if (list->parsed()) return run_list(*o);
    if (show->parsed()) return run_show(*o);
    if (import->parsed()) return run_import(*o);
    if (exp->parsed()) return run_export(*o);
    if (disable->parsed()) return run_enable(*o, false);
    if (enable->parsed()) return run_enable(*o, true);
    if (del->parsed()) return run_delete(*o);
    return 2;
  };
}}};

}  // namespace
}  // namespace vigil::cli
