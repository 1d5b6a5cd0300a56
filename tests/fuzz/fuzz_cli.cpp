// The CLI's argument parsing: the input, split at newlines, is argv after
// the program name. Parsing only: the selected command never runs. A usage
// error is a CLI::ParseError (main turns it into exit code 2).
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args{"cutrain"};
  std::string cur;
  for (size_t i = 0; i < size && args.size() < 64; ++i) {
    if (data[i] == '\n') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  if (!cur.empty()) args.push_back(cur);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  // The same App main.cpp builds (every subcommand comes from the Registry).
  CLI::App app{"cutrain"};
  app.require_subcommand(0, 1);
  bool version = false;
  app.add_flag("--version", version, "");
  cutrain::cli::Registry commands(app);
  cutrain::fuzz::expect_clean_rejection([&] {
    try {
      app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError&) {
    }
  });
  return 0;
}
