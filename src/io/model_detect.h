// Which model a checkpoint holds, told from its tensor names and shapes alone. Pure functions
// over the tensor list; the rules (one table in model_detect.cpp) are the key patterns each
// family is known by, the same ones diffusers' single-file loader uses where it has one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "io/tensor_file.h"

namespace ad::io {

enum class ModelFamily : uint8_t {
  Unknown,
  Sd1Checkpoint,       // LDM single file: model.diffusion_model.*, first_stage_model.*, cond_stage_model.transformer.*
  Sd2Checkpoint,       // OpenCLIP-H text encoder (cond_stage_model.model.*) or a 1024-wide UNet: not supported
  SdxlCheckpoint,      // conditioner.embedders.*: not supported
  Sd3Checkpoint,       // MMDiT single file: model.diffusion_model.joint_blocks.* (+ text encoders, VAE)
  Sd3Transformer,      // diffusers SD3Transformer2DModel
  Unet,                // diffusers UNet2DConditionModel (or UNetMotionModel with motion modules)
  Vae,                 // AutoencoderKL with 4 latent channels (SD1.x / SD2), LDM or diffusers names
  Sd3Vae,              // AutoencoderKL with 16 latent channels
  ClipText,            // CLIP text tower, Hugging Face names (CLIP-L, CLIP-G)
  OpenClipText,        // CLIP text tower, OpenCLIP names: not supported
  T5Encoder,           // T5 encoder (T5 v1.1 XXL in SD3)
  MotionModule,        // AnimateDiff motion modules, original checkpoint layout (v1, v2, v3)
  MotionAdapter,       // diffusers MotionAdapter
  SparseCtrl,          // AnimateDiff SparseCtrl (controlnet_cond_embedding.*): not supported
};

struct ModelDetection {
  ModelFamily family = ModelFamily::Unknown;
  std::string name;                // "AnimateDiff motion module"
  std::string version;             // "v2", "SD3.5 Medium", "CLIP-L"; empty when not applicable
  bool supported = false;          // whether this engine can run it
  std::vector<std::string> parts;  // parts present in a single file: "unet", "vae", "text_encoder", ...
  std::string note;                // what is unusual or why it is not supported
};

ModelDetection detect_model(const std::vector<TensorInfo>& tensors);

// Stable identifier for JSON output ("motion_module", "sd3_checkpoint", ...).
std::string_view model_family_id(ModelFamily family);

}  // namespace ad::io
