// Subcommands of the CLI. Each cmd_*.cpp defines one add_*_command that declares its options on
// a CLI11 subcommand and returns the function that runs it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace ad::app {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
using CommandList = std::vector<Command>;

Command add_check_fixture_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_video_command(CLI::App& app);
Command add_image_command(CLI::App& app);

inline void register_commands(CLI::App& app, CommandList& commands) {
  commands.push_back(add_check_fixture_command(app));
  commands.push_back(add_inspect_command(app));
  commands.push_back(add_video_command(app));
  commands.push_back(add_image_command(app));
}

}  // namespace ad::app
