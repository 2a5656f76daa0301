#include <cstdio>
#include <exception>
#include <map>

#include "command.h"
#include "vigil/common/error.h"
#include "vigil/common/version.h"

namespace vigil::cli {
std::vector<Command>& registered_commands() {
  static std::vector<Command> commands;
  return commands;
}
}  // namespace vigil::cli

int main(int argc, char** argv) {
  using namespace vigil::cli;
  CLI::App app{"Vigil: a self-hostable child-safety engine for end-to-end encrypted messengers", "vigil"};
  app.set_version_flag("--version", std::string("vigil ") + vigil::version());
  app.require_subcommand(1);
  std::map<CLI::App*, CommandRun> runners;
  for (auto& command : registered_commands()) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    runners[sub] = command.setup(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  try {
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) return run();
    }
  } catch (const vigil::Error& e) {
    std::fprintf(stderr, "vigil: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vigil: internal error: %s\n", e.what());
    return 2;
  }
  return 2;
}
