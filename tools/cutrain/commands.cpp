#include "commands.h"

namespace cutrain::cli {

Registry::Registry(CLI::App&) {}

int Registry::run() const {
  for (const Command& c : commands_)
    if (c.app->parsed()) return c.run();
  return -1;
}

}  // namespace cutrain::cli
