#pragma once
// Turns the PATH arguments of a command (`vigil hash`, and later `vigil match`) into the ordered
// list of files to process: a file stays as given, a directory is walked recursively, and "-"
// reads more paths from stdin (each expanded the same way). The order is deterministic: arguments
// in the order given, directory entries sorted by name (bytewise) with each subdirectory's files
// at the subdirectory's place. Symlinks to files are followed; symlinks to directories are not
// descended into during a walk (no loops). In a walk, files that are neither regular files nor
// directories (sockets, FIFOs, devices) are skipped; named explicitly, they are an error.
//
// Paths that cannot be used (missing, unreadable directory, ...) become entries with an error, at
// their place in the order, so that a command reports them with the other per-file failures.
#include <filesystem>
#include <istream>
#include <string>
#include <vector>

namespace vigil::cli {

struct WalkEntry {
  std::filesystem::path path;
  std::string error;  // empty: a file to process; otherwise why `path` could not be used
};

struct WalkOptions {
  bool null_separated_stdin = false;  // stdin paths end with '\0' (find -print0) instead of '\n'
};

// `stdin_paths` is read (once, to its end) where an argument is "-". Empty lines are ignored.
std::vector<WalkEntry> expand_paths(const std::vector<std::string>& arguments, std::istream& stdin_paths,
                                    const WalkOptions& options = {});

// `path` made safe to print on one line of a terminal: control characters and backslashes become
// escapes (\t, \n, \\, \xNN). Invalid UTF-8 is left as is.
std::string printable_path(const std::string& path);

}  // namespace vigil::cli
