#include "commands.h"

namespace cutrain::cli {

Command make_gradcheck_command(CLI::App& app);
Command make_summary_command(CLI::App& app);

Registry::Registry(CLI::App& app) {
  commands_.push_back(make_gradcheck_command(app));
  commands_.push_back(make_summary_command(app));
}

int Registry::run() const {
  for (const Command& c : commands_)
    if (c.app->parsed()) return c.run();
  return -1;
}

}  // namespace cutrain::cli
