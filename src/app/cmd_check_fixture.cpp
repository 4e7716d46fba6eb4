#include "app/commands.h"

namespace ad::app {

Command add_check_fixture_command(CLI::App& app) {
  auto* sub = app.add_subcommand("check-fixture", "Check the engine against golden fixture cases");
  return {sub, [] { return 0; }};
}

}  // namespace ad::app
