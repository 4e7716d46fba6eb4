// Random weights of a T5 v1.1 encoder of real shape (HF T5EncoderModel names), made in the
// process for benchmarks at real size (T5-XXL: 24 blocks of 4096, 4.76 B parameters).
#pragma once

#include <memory>

#include "io/memory_tensor_file.h"
#include "models/t5/t5_encoder.h"

namespace ad::models {

std::shared_ptr<io::MemoryTensorFile> synthetic_t5_weights(const T5Config& config, DType dtype, uint64_t seed);

}  // namespace ad::models
