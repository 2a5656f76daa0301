// `vigil text scan` and `vigil text normalize`: one item per line in, one line out, same order.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "command.h"
#include "vigil/common/error.h"
#include "vigil/text/normalizer.h"
#include "vigil/text/text_scanner.h"

namespace {

struct TextOptions {
  std::string field = "post";
  std::string lexicon;
  std::string input = "-";
  bool normalize_only = false;
};

// Reads lines from a file or stdin; strips one trailing "\r".
class LineReader {
 public:
  explicit LineReader(const std::string& path) {
    if (path != "-") {
      file_.open(path, std::ios::binary);
      if (!file_) throw vigil::Error("cannot open input file '" + path + "'");
    }
  }
  bool next(std::string& line) {
    std::istream& in = file_.is_open() ? static_cast<std::istream&>(file_) : std::cin;
    if (!std::getline(in, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }

 private:
  std::ifstream file_;
};

int run_scan(const TextOptions& opts) {
  const vigil::text::TextField field = vigil::text::parse_text_field(opts.field);
  const vigil::text::TextScanner scanner = opts.lexicon.empty() ? vigil::text::TextScanner::with_starter_lexicon()
                                                                : vigil::text::TextScanner(opts.lexicon);
  LineReader reader(opts.input);
  std::string line;
  std::size_t number = 0;
  while (reader.next(line)) {
    ++number;
    nlohmann::json out = vigil::text::to_json(scanner.scan(line, field));
    out["line"] = number;
    out["field"] = opts.field;
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  std::cout.flush();
  if (!std::cout) throw vigil::Error("cannot write the output");
  return 0;
}

int run_normalize(const TextOptions& opts) {
  LineReader reader(opts.input);
  std::string line;
  vigil::text::Normalized normalized;
  while (reader.next(line)) {
    vigil::text::normalize_into(line, normalized);
    std::cout << normalized.full.text << '\n';
  }
  std::cout.flush();
  if (!std::cout) throw vigil::Error("cannot write the output");
  return 0;
}

vigil::cli::CommandRegistrar registrar{{"text", "Scan text (usernames, group names, posts) for coded terms",
                                         [](CLI::App& app) -> vigil::cli::CommandRun {
  auto opts = std::make_shared<TextOptions>();
  app.require_subcommand(1);
  CLI::App* scan = app.add_subcommand(
      "scan", "Scan one item per line; print one JSON object per line (flagged, score, categories, matches, handles)");
  scan->add_option("--field", opts->field, "Where the text comes from")
      ->check(CLI::IsMember({"username", "display_name", "group_name", "description", "post"}));
  scan->add_option("--lexicon", opts->lexicon, "Lexicon file (TOML); default: the built-in starter lexicon");
  scan->add_option("input", opts->input, "Input file, or - for stdin")->capture_default_str();
  CLI::App* normalize = app.add_subcommand("normalize", "Print the normalised form of each input line");
  normalize->add_option("input", opts->input, "Input file, or - for stdin")->capture_default_str();
  normalize->callback([opts] { opts->normalize_only = true; });
  return [opts] { return opts->normalize_only ? run_normalize(*opts) : run_scan(*opts); };
}}};

}  // namespace
