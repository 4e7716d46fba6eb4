// `animatediff inspect FILE|DIR [--json]`: what a checkpoint or diffusers folder holds.
#include <cstdio>

#include "app/commands.h"
#include "io/inspect.h"

namespace ad::app {

Command add_inspect_command(CLI::App& app) {
  auto* sub = app.add_subcommand("inspect", "Show what a checkpoint file or diffusers folder holds");
  struct Options {
    std::string path;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  sub->add_option("path", options->path, "checkpoint (.safetensors, .ckpt, .pt, .bin) or diffusers folder")
      ->required();
  sub->add_flag("--json", options->json, "print one JSON object instead of the table");
  return {sub, [options] {
            const io::InspectReport report = io::inspect_path(options->path);
            if (options->json) {
              // Tensor names come from the file: replace invalid UTF-8 rather than fail.
              const std::string text = io::inspect_to_json(report).dump(2, ' ', false,
                                                                        nlohmann::ordered_json::error_handler_t::replace);
              std::printf("%s\n", text.c_str());
            } else {
              std::fputs(io::format_inspect_text(report).c_str(), stdout);
            }
            return 0;
          }};
}

}  // namespace ad::app
