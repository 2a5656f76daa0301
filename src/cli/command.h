#pragma once
// Each `vigil` command lives in its own src/cli/<name>_command.cpp and registers itself here at
// start-up:
//
//   static vigil::cli::CommandRegistrar reg{{"hash", "Hash images", [](CLI::App& app) {
//     auto opts = std::make_shared<Options>();
//     app.add_option(...);
//     return [opts] { return run(*opts); };   // returns the process exit status
//   }}};
//
// vigil::Error escaping a command is printed as "vigil: error: <message>" with exit status 2.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace vigil::cli {

using CommandRun = std::function<int()>;

struct Command {
  std::string name;
  std::string description;
  std::function<CommandRun(CLI::App&)> setup;  // adds options/subcommands to app, returns the runner
};

std::vector<Command>& registered_commands();

struct CommandRegistrar {
  explicit CommandRegistrar(Command command) { registered_commands().push_back(std::move(command)); }
};

}  // namespace vigil::cli
