#include "app/commands.h"

namespace ad::app {

Command add_inspect_command(CLI::App& app) {
  auto* sub = app.add_subcommand("inspect", "Show what a checkpoint file or diffusers folder holds");
  return {sub, [] { return 0; }};
}

}  // namespace ad::app
