// animatediff: the command-line front end. It only parses arguments, calls the engine library
// and prints; each subcommand lives in its own cmd_*.cpp.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.h"
#include "core/error.h"
#include "core/thread_pool.h"

int main(int argc, char** argv) {
  CLI::App app{"animatediff: text-to-video with AnimateDiff motion modules on Stable Diffusion 1.5, text-to-image with Stable Diffusion 3.5, in C++"};
  app.set_version_flag("--version", std::string("animatediff ") + AD_VERSION);
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "Worker threads (default: one per core)")->check(CLI::NonNegativeNumber);
  ad::app::CommandList commands;
  ad::app::register_commands(app, commands);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  ad::ThreadPool::set_threads(threads);
  try {
    for (auto& command : commands)
      if (command.app->parsed()) return command.run();
  } catch (const ad::UnsupportedError& e) {
    std::fprintf(stderr, "animatediff: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "animatediff: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
