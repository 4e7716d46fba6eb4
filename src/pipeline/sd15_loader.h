// Loading an SD1.5-family model from what users have: a single-file checkpoint (.safetensors or
// .ckpt, LDM names; extra keys such as model_ema.* are ignored) or a diffusers folder (unet/,
// vae/, text_encoder/, tokenizer/). Weights stay memory-mapped in their stored dtype (F16 files
// are not widened up front). A file of another family (SD2, SDXL, SD3) is refused by name.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "models/clip/clip_text.h"
#include "models/unet/unet.h"
#include "models/vae/vae.h"
#include "nn/weights.h"

namespace ad::pipeline {

struct Sd15Model {
  // The maps own the open files the models' weights point into.
  nn::WeightMap unet_weights, vae_weights, text_weights;
  models::UNet2DConditionModel unet;
  models::AutoencoderKL vae;
  models::ClipTextModel text_encoder;
  float vae_scaling = 0.18215f;
  std::string tokenizer_dir;  // the folder's tokenizer/ (empty for single files)
  std::string description;    // "single-file checkpoint (LDM names, F16)"

  // Drop a part once the pipeline is past it: each part maps its file on its own, so its pages
  // leave the process's memory with it.
  void release_text_encoder();
  void release_unet();
};

// Throws ad::Error naming the path and the cause (not SD1.5, missing part, bad tensor).
std::unique_ptr<Sd15Model> load_sd15(const std::string& path);

}  // namespace ad::pipeline
