// Subcommands: each registers itself with the CLI::App and
// runs when parsed. Adding one is adding a file and a line in commands.cpp.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace cutrain::cli {

struct Command {
  CLI::App* app;
  std::function<int()> run;
};

class Registry {
 public:
  explicit Registry(CLI::App& app);
  // Runs the parsed subcommand and returns its exit code; -1 when none was given.
  int run() const;

 private:
  std::vector<Command> commands_;
};

}  // namespace cutrain::cli
