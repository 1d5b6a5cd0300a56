#include "commands.h"

namespace cutrain::cli {

Command make_devices_command(CLI::App& app);
Command make_gradcheck_command(CLI::App& app);
Command make_summary_command(CLI::App& app);
void add_train_command(CLI::App& app, std::vector<Command>& commands);
void add_eval_command(CLI::App& app, std::vector<Command>& commands);
void add_predict_command(CLI::App& app, std::vector<Command>& commands);

Registry::Registry(CLI::App& app) {
  commands_.push_back(make_devices_command(app));
  commands_.push_back(make_gradcheck_command(app));
  commands_.push_back(make_summary_command(app));
  add_train_command(app, commands_);
  add_eval_command(app, commands_);
  add_predict_command(app, commands_);
}

int Registry::run() const {
  for (const Command& c : commands_)
    if (c.app->parsed()) return c.run();
  return -1;
}

}  // namespace cutrain::cli
