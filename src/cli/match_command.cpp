// `vigil match`: matches image files (their PDQ and all three digests, hashed as `vigil hash`
// does) and/or given hashes against the banks of a data directory, and prints every match.
//
// Output: a header line, then one TSV row per match: path, query (type:value), bank, entry,
// signal, distance, labels (comma-separated), value (the matched hash), status: "match", or
// "suppressed" (an allow-bank entry also matched the same content: see the "allow" row), or
// "allow" (the allow-bank hit itself). With --json: one JSON object per row.
// Exit status like grep: 0 something matched (unsuppressed), 1 nothing did, 2 an error (bad
// usage, malformed hash, unknown bank, a file that could not be hashed; other inputs still done).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "batch_failure.h"
#include "command.h"
#include "file_walk.h"
#include "ordered_parallel.h"
#include "vigil/common/error.h"
#include "vigil/match/matcher.h"
#include "vigil/media/image_hasher.h"
#include "vigil/store/data_directory.h"
#include "vigil/store/sqlite_bank_store.h"
#include "vigil/store/sqlite_database.h"

namespace vigil::cli {
namespace {

constexpr const char* kDefaultDataDir = "./vigil-data";
constexpr const char* kSnapshotName = "match-index.snapshot";

struct MatchCommandOptions {
  std::string data = kDefaultDataDir;
  std::vector<std::string> paths;
  std::vector<std::string> hashes;
  std::vector<std::string> hash_files;
  std::vector<std::string> banks;
  unsigned threads = 0;
  bool json = false;
  bool no_header = false;
  bool dihedral = false;
  bool null_separated = false;
  bool snapshot = true;
  media::PdqMode mode = media::PdqMode::reference;
};

// One input: a file to hash, or a given hash (with where it came from, for messages).
struct Input {
  std::string path;  // empty for a given hash
  match::Query query;
};

std::vector<match::Signal> read_hash_file(const std::string& name) {
  std::ifstream in(name);
  if (!in) throw Error(fmt::format("--hash-file {}: cannot open it", name));
  std::vector<match::Signal> out;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto last = line.find_last_not_of(" \t");
    try {
      out.push_back(match::parse_signal(std::string_view(line).substr(first, last - first + 1)));
    } catch (const Error& e) {
      throw Error(fmt::format("--hash-file {} line {}: {}", name, number, e.what()));
    }
  }
  if (in.bad()) throw Error(fmt::format("--hash-file {}: read error", name));
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

struct Printer {
  std::FILE* out;
  bool json;
  const std::set<std::string>* only_banks;  // empty: all

  bool wanted(const match::Match& m) const { return only_banks->empty() || only_banks->count(m.bank_name); }

  void row(const Input& input, const match::Match& m, const char* status) const {
    const std::string query = fmt::format("{}:{}", to_string(m.signal_type), m.query_value);
    std::string line;
    if (json) {
      nlohmann::ordered_json j;
      j["query"] = query;
      if (!input.path.empty()) j["path"] = input.path;
      j["bank"] = m.bank_name;
      j["entry"] = m.entry_id;
      j["signal"] = to_string(m.signal_type);
      j["value"] = m.value;
      j["distance"] = m.distance;
      if (m.signal_type == SignalType::pdq) j["threshold"] = m.threshold;
      if (m.dihedral_variant) j["dihedral_variant"] = m.dihedral_variant;
      j["labels"] = m.labels;
      j["status"] = status;
      if (m.suppressed) j["suppressed_by"] = {{"bank", m.suppressed_by_bank}, {"entry", m.suppressed_by_entry.value_or(0)}};
      line = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + '\n';
    } else {
      line = fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", input.path.empty() ? "-" : printable_path(input.path), query,
                         m.bank_name, m.entry_id, to_string(m.signal_type), m.distance, join(m.labels, ","), m.value,
                         status);
      if (m.suppressed) line += fmt::format(" (by {} entry {})", m.suppressed_by_bank, m.suppressed_by_entry.value_or(0));
      line += '\n';
    }
    std::fwrite(line.data(), 1, line.size(), out);
  }

  // Prints the result's rows; returns true when it holds an unsuppressed wanted match.
  bool print(const Input& input, const match::QueryResult& r) const {
    bool matched = false;
    for (const auto& m : r.matches) {
      if (!wanted(m)) continue;
      row(input, m, m.suppressed ? "suppressed" : "match");
      matched = matched || !m.suppressed;
    }
    for (const auto& m : r.allow_matches) row(input, m, "allow");
    for (const auto& s : r.skipped) {
      if (!only_banks->empty() && !only_banks->count(s.bank_name)) continue;
      std::fflush(out);
      std::fprintf(stderr, "vigil match: %s: bank %s not searched: %s\n",
                   input.path.empty() ? "-" : printable_path(input.path).c_str(), s.bank_name.c_str(), s.reason.c_str());
    }
    return matched;
  }
};

int run_match(const MatchCommandOptions& opts) {
  if (opts.paths.empty() && opts.hashes.empty() && opts.hash_files.empty()) {
    throw Error("nothing to match: give image PATHs, --hash TYPE:HEX or --hash-file FILE");
  }
  // Every given hash is checked before any work, so a typo is an error, not "no match".
  std::vector<Input> given;
  for (const auto& h : opts.hashes) {
    try {
      given.push_back({"", {{match::parse_signal(h)}, std::nullopt, std::nullopt}});
    } catch (const Error& e) {
      throw Error(fmt::format("--hash {}: {}", h.substr(0, 80), e.what()));
    }
  }
  for (const auto& f : opts.hash_files) {
    for (auto& s : read_hash_file(f)) given.push_back({"", {{std::move(s)}, std::nullopt, std::nullopt}});
  }

  store::DataDirectory dir(opts.data, store::DataDirectory::Mode::open_existing);
  if (!dir.store_exists()) {
    throw Error(fmt::format("data directory {} holds no store yet (create a bank first: vigil bank create)", opts.data));
  }
  store::SqliteDatabase db(dir.store_path());
  store::SqliteBankStore bank_store(db);
  std::set<std::string> only_banks;
  for (const auto& name : opts.banks) {
    if (!bank_store.find_bank(std::string_view(name))) {
      throw Error(fmt::format("no bank named '{}' in data directory {}", name, opts.data));
    }
    only_banks.insert(name);
  }

  unsigned threads = opts.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  match::MatcherOptions mopts;
  mopts.dihedral = opts.dihedral;
  mopts.threads = static_cast<int>(threads);
  if (opts.snapshot) mopts.snapshot_path = dir.root() / kSnapshotName;
  const match::Matcher matcher(bank_store, mopts);

  std::FILE* out = stdout;
  static char out_buffer[1 << 16];
  std::setvbuf(out, out_buffer, _IOFBF, sizeof out_buffer);
  if (!opts.json && !opts.no_header) std::fputs("path\tquery\tbank\tentry\tsignal\tdistance\tlabels\tvalue\tstatus\n", out);
  const Printer printer{out, opts.json, &only_banks};
  bool matched = false;
  std::size_t failed = 0;

  if (!given.empty()) {
    std::vector<match::Query> queries;
    for (const auto& g : given) queries.push_back(g.query);
    const auto results = matcher.match(queries);
    for (std::size_t i = 0; i < results.size(); ++i) matched = printer.print(given[i], results[i]) || matched;
  }

  if (!opts.paths.empty()) {
    media::initialize_media();
    media::HashOptions hash_options;
    hash_options.mode = opts.mode;
    hash_options.dihedral = opts.dihedral;
    const auto entries = expand_paths(opts.paths, std::cin, {.null_separated_stdin = opts.null_separated});
    struct FileResult {
      std::optional<match::QueryResult> result;
      std::string error;
    };
    const std::function<FileResult(std::size_t)> work = [&](std::size_t i) {
      FileResult r;
      if (!entries[i].error.empty()) {
        r.error = entries[i].error;
        return r;
      }
      r.error = batch_failure([&] {
        const auto h = media::hash_image_file(entries[i].path, hash_options);
        match::Query q;
        q.signals = {{SignalType::pdq, h.pdq.to_hex()},
                     {SignalType::md5, h.digests.md5},
                     {SignalType::sha1, h.digests.sha1},
                     {SignalType::sha256, h.digests.sha256}};
        q.pdq_quality = h.quality;
        q.pdq_dihedral = h.dihedral;
        r.result = matcher.match(q);
      });
      return r;
    };
    const std::function<void(std::size_t, FileResult&)> emit = [&](std::size_t i, FileResult& r) {
      const Input input{entries[i].path.native(), {}};
      if (!r.result) {
        ++failed;
        std::fflush(out);
        std::fprintf(stderr, "vigil match: %s: %s\n", printable_path(input.path).c_str(), printable_path(r.error).c_str());
        return;
      }
      matched = printer.print(input, *r.result) || matched;
    };
    OrderedParallelOptions parallel;
    parallel.threads = threads;
    run_ordered_parallel<FileResult>(entries.size(), work, emit, parallel);
  }
  if (std::fflush(out) != 0 || std::ferror(out)) throw Error("cannot write the output (stdout)");
  if (failed > 0) {
    std::fprintf(stderr, "vigil match: %zu file(s) could not be matched\n", failed);
    return 2;
  }
  return matched ? 0 : 1;
}

const CommandRegistrar registrar{{"match", "Match image files or hashes against the banks", [](CLI::App& app) {
  auto opts = std::make_shared<MatchCommandOptions>();
  app.add_option("paths", opts->paths,
                 "Image files and directories (walked recursively, in sorted order); '-' reads paths from stdin")
      ->type_name("PATH...");
  app.add_option("--data", opts->data, "Data directory holding the store (vigil.db)")->capture_default_str()->type_name("DIR");
  app.add_option("--hash", opts->hashes, "Match this hash directly, written TYPE:HEX (pdq, md5, sha1, sha256); repeatable")
      ->type_name("TYPE:HEX");
  app.add_option("--hash-file", opts->hash_files,
                 "Match the hashes in FILE: one TYPE:HEX per line (blank lines and # comments ignored)")
      ->type_name("FILE");
  app.add_option("--bank", opts->banks, "Report matches from this bank only (repeatable; allow banks always apply)")
      ->type_name("BANK");
  app.add_option("-j,--jobs", opts->threads, "Threads (default: all cores)")->check(CLI::Range(1u, 1024u))->type_name("N");
  app.add_flag("--json", opts->json,
               "JSON lines: one object per row with query, path (for files), bank, entry, signal, value, distance, "
               "threshold (PDQ), labels, status, suppressed_by");
  app.add_flag("--no-header", opts->no_header, "TSV without its header line");
  app.add_flag("--dihedral", opts->dihedral, "Also match the 7 rotated/flipped variants of each image's PDQ");
  app.add_option("--mode", opts->mode, "PDQ hashing mode, as in vigil hash")
      ->transform(CLI::CheckedTransformer(std::map<std::string, media::PdqMode>{
          {"reference", media::PdqMode::reference}, {"fast", media::PdqMode::fast}}))
      ->default_str("reference");
  app.add_flag("-0,--null", opts->null_separated, "Paths read from stdin end with NUL (find -print0)");
  app.add_flag("!--no-snapshot", opts->snapshot,
               "Neither read nor write DIR/match-index.snapshot (the index is then built from the store every run)");
  app.footer(
      "Output: a header line, then one TSV row per match: path ('-' for given hashes), query, bank, entry, signal, "
      "distance, labels, value (the matched hash), status. Status 'match'; 'suppressed' when an allow-bank entry "
      "also matched that content (the 'allow' row says which); 'allow' for the allow-bank hit. A file is matched "
      "on its PDQ (within each bank's threshold, if its quality reaches the bank's min_quality) and on its MD5, "
      "SHA-1 and SHA-256.\n"
      "Exit status: 0 something matched, 1 nothing matched, 2 an error (the other inputs are still matched).");
  return [opts] { return run_match(*opts); };
}}};

}  // namespace
}  // namespace vigil::cli
