// diffusers model folders (the layout of DiffusionPipeline.save_pretrained / the Hub):
//
//   <root>/model_index.json          {"_class_name": "StableDiffusionPipeline",
//                                     "unet": ["diffusers", "UNet2DConditionModel"], ...}
//   <root>/<component>/config.json   the component's hyperparameters (scheduler/ has
//                                    scheduler_config.json, tokenizer/ tokenizer_config.json)
//   <root>/<component>/<weights>     the first present of, in order:
//       diffusion_pytorch_model.safetensors, model.safetensors
//       the same sharded:   <name>.safetensors.index.json (sharded_file.h)
//       the fp16 variant:   <name>.fp16.safetensors, <name>.safetensors.index.fp16.json
//       PyTorch pickles:    diffusion_pytorch_model.bin, pytorch_model.bin, their .fp16 and
//                           sharded (.bin.index.json) forms
//
// Components: unet/, vae/, text_encoder/, text_encoder_2/, text_encoder_3/, transformer/,
// tokenizer*/, scheduler/ (whatever model_index.json lists and exists). A single component
// folder (config.json, no model_index.json) is accepted in place of a root.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/json_file.h"
#include "io/tensor_file.h"

namespace ad::io {

struct DiffusersComponent {
  std::string name;            // "unet"; a single component folder's own folder name
  std::string dir;             // its folder
  nlohmann::json config;       // config.json (or scheduler_config.json, ...); {} when absent
  std::string config_path;     // empty when absent
  std::shared_ptr<TensorFile> weights;  // null for weight-less components (scheduler, tokenizer)
};

// True when `path` is a folder with model_index.json or config.json.
bool is_diffusers_folder(const std::string& path);

// The components of a root (model_index.json entries whose folder exists), in name order; a
// single component folder lists itself.
std::vector<std::string> list_diffusers_components(const std::string& folder);

// Opens `component` of a root (its sub-folder), or a single component folder itself when
// `component` is empty or its folder name. nullopt when the root has no such component.
std::optional<DiffusersComponent> open_diffusers_component(const std::string& folder_or_root,
                                                           std::string_view component);

}  // namespace ad::io
