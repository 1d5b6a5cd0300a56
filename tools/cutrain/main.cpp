// The cutrain command line: one binary, one subcommand per job.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>

#include "cutrain/core/error.h"
#include "cutrain/core/version.h"
#include "commands.h"

namespace {

// Results printed to a full disk or a closed pipe must not end in exit 0.
int check_stdout() {
  std::cout.flush();
  if (std::cout.good()) return 0;
  std::cerr << "error: cannot write standard output: " << std::strerror(errno) << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cutrain: train convolutional networks on NVIDIA GPUs (CPU reference backend included)"};
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "print the version and build facts, then exit");

  cutrain::cli::Registry commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 exits 0 for --help; usage errors get exit code 2 with the message.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  try {
    if (show_version) {
      std::cout << "cutrain " << cutrain::version() << "\n" << cutrain::build_info();
      return 0;
    }
    if (int rc = commands.run(); rc >= 0) return rc == 0 ? check_stdout() : rc;
    std::cout << app.help();
    return 0;
  } catch (const cutrain::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    // Anything else (std::filesystem_error, std::bad_alloc, ...) is a runtime
    // failure too: a message and exit code 1, never an abort.
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
