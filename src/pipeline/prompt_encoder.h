// Prompt -> SD1.5 text conditioning: CLIP BPE tokens (77, padded with EOS) -> CLIP text encoder
// -> last hidden state [1, 77, D].
#pragma once

#include <string>
#include <vector>

#include "models/clip/clip_text.h"
#include "text/clip_tokenizer.h"

namespace ad::pipeline {

class PromptEncoder {
 public:
  explicit PromptEncoder(const std::string& tokenizer_dir);
  // The tokenizer folder to use: the one given, else the model's (diffusers tokenizer/), else the
  // vocabulary bundled with the program (data/tokenizers/clip).
  static std::string resolve_tokenizer(const std::string& given, const std::string& model_dir);

  // Appends a warning when the prompt is longer than 75 tokens (it is truncated, as everywhere).
  Tensor encode(const models::ClipTextModel& clip, const std::string& prompt, std::vector<std::string>& warnings) const;

 private:
  text::ClipTokenizer tokenizer_;
};

}  // namespace ad::pipeline
