// Random weights of a CLIP text encoder of real shape (HF names, `text_model.*`), made in the
// process for benchmarks at real size (SD1.5's CLIP-L: 12 layers of 768; SD3's CLIP-G: 32 of 1280).
#pragma once

#include <memory>

#include "io/memory_tensor_file.h"

namespace ad::models {

struct ClipShape {
  int64_t layers = 12, width = 768, ff = 3072, vocab = 49408, positions = 77;
  bool text_projection = false;  // CLIPTextModelWithProjection (SD3's encoders)
};

std::shared_ptr<io::MemoryTensorFile> synthetic_clip_text_weights(const ClipShape& shape, DType dtype, uint64_t seed);

}  // namespace ad::models
