// Loading an SD3 / SD3.5 model from what users have, one part at a time:
//
//   single files   sd3.5_medium.safetensors, sd3.5_large(_turbo).safetensors: the MMDiT
//                  (`model.diffusion_model.*`) and the VAE (`first_stage_model.*`), perhaps
//                  without text encoders; sd3_medium_incl_clips(_t5xxlfp16).safetensors adds
//                  `text_encoders.{clip_l,clip_g,t5xxl}.transformer.*`
//   separate text encoders   clip_l.safetensors, clip_g.safetensors, t5xxl_fp16.safetensors
//                  (sd3_infer.py's models/ folder; --clip-l / --clip-g / --t5xxl), which take
//                  precedence over the ones inside the model
//   diffusers folders        transformer/, vae/, text_encoder/, text_encoder_2/, text_encoder_3/,
//                  tokenizer/, tokenizer_3/ (spiece.model), scheduler/ (shift)
//
// open() reads the headers only: it tells the model version, checks that CLIP-L, CLIP-G, the
// MMDiT and the VAE are all there (T5 may be missing: the pipeline then runs without it) and
// computes the MMDiT's configuration from its shapes. Each load_* call then maps and binds one
// part from a fresh opening of its file, so that when the caller drops the part its pages leave
// the process (peak memory is the largest part, not the sum). Weights stay memory-mapped in
// their stored dtype.
#pragma once

#include <optional>
#include <string>

#include "models/clip/clip_text.h"
#include "models/mmdit/mmdit.h"
#include "models/t5/t5_encoder.h"
#include "models/vae/vae.h"
#include "models/vae/vae_image.h"

namespace ad::pipeline {

struct Sd3Paths {
  std::string model;  // single file or diffusers folder
  std::string clip_l, clip_g, t5xxl;  // optional separate text-encoder files
};

class Sd3Checkpoint {
 public:
  // Throws ad::Error naming the file and the cause (not SD3, a missing part, a file that is not
  // the text encoder it was given as).
  static Sd3Checkpoint open(const Sd3Paths& paths);

  const std::string& version() const { return version_; }  // "SD3.5 Medium", "SD3.5 Large", "SD3 Medium"
  const std::string& description() const { return description_; }  // where each part comes from
  const models::MmditConfig& mmdit_config() const { return mmdit_config_; }
  bool has_t5() const { return !t5_.path.empty(); }
  // A diffusers folder's scheduler shift (scheduler/scheduler_config.json), if any.
  std::optional<double> scheduler_shift() const { return scheduler_shift_; }
  // A diffusers folder's tokenizer/ (vocab.json, merges.txt) and tokenizer_3/spiece.model; empty
  // otherwise (the bundled ones are used).
  const std::string& clip_tokenizer_dir() const { return clip_tokenizer_dir_; }
  const std::string& t5_tokenizer_file() const { return t5_tokenizer_file_; }
  models::LatentFormat latent_format() const { return latent_format_; }

  models::ClipTextModel load_clip_l() const;
  models::ClipTextModel load_clip_g() const;
  // T5 with the file its weights are mapped from: T5-XXL is 9.5 GB in F16, so the pipeline gives
  // each block's pages back after the block has run (io::TensorFile::drop_resident_pages).
  struct T5WithFile {
    models::T5Encoder encoder;
    std::shared_ptr<io::TensorFile> file;
  };
  T5WithFile load_t5() const;  // has_t5() must be true
  models::MmditModel load_mmdit() const;
  models::AutoencoderKL load_vae() const;

  // Where a part lives: a file (with the key prefix / diffusers component) and what the shapes
  // cannot tell.
  struct Part {
    std::string path;       // the file, or the diffusers root for a component
    std::string component;  // diffusers component ("text_encoder_2"); empty for a file
    int64_t heads = 0;      // 0: the default (hidden / 64, or T5's bias table)
  };

 private:
  std::string version_, description_;
  models::MmditConfig mmdit_config_;
  Part mmdit_, vae_, clip_l_, clip_g_, t5_;
  std::optional<double> scheduler_shift_;
  std::string clip_tokenizer_dir_, t5_tokenizer_file_;
  models::LatentFormat latent_format_ = models::LatentFormat::sd3();
};

}  // namespace ad::pipeline
