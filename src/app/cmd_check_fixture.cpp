#include <iostream>

#include "app/commands.h"
#include "fixture/fixture_case.h"

namespace ad::app {

Command add_check_fixture_command(CLI::App& app) {
  auto* sub = app.add_subcommand("check-fixture",
                                 "Check the engine against golden fixture case directories (case.json + io.safetensors).\n"
                                 "Prints one JSON line per output; exit 0 when all are within tolerance, 1 when one is "
                                 "not, 2 for a case it does not support.");
  auto dirs = std::make_shared<std::vector<std::string>>();
  sub->add_option("CASE_DIR", *dirs, "fixture case directories")->required()->check(CLI::ExistingDirectory);
  return {sub, [dirs] {
            int status = 0;
            for (const auto& dir : *dirs) {
              int result;
              try {
                result = fixture::run_fixture(dir, std::cout);
              } catch (const std::exception& e) {
                std::cerr << "animatediff: " << dir << ": " << e.what() << '\n';
                result = 1;
              }
              status = std::max(status, result);
            }
            return status;
          }};
}

}  // namespace ad::app
