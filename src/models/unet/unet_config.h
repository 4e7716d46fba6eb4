// Configuration of an SD1.x-family UNet2DConditionModel, derived from the weights' shapes.
#pragma once

#include <vector>

#include "nn/weights.h"

namespace ad::models {

struct UNetConfig {
  int64_t in_channels = 4;
  int64_t out_channels = 4;
  std::vector<int64_t> block_channels;   // per level: 320, 640, 1280, 1280 for SD1.5
  std::vector<bool> down_attention;      // CrossAttnDownBlock2D (true) or DownBlock2D
  std::vector<bool> up_attention;        // per up block (reversed levels)
  int layers_per_block = 2;
  int64_t time_embed_dim = 1280;         // 4 x block_channels[0]
  int64_t cross_attention_dim = 768;
  std::vector<int64_t> heads;            // per level (8 everywhere for SD1.x)
  int norm_groups = 32;
  float norm_eps = 1e-5f;

  // `heads_per_level`: diffusers' `attention_head_dim` (which SD1.x configs use as the head
  // count); heads cannot be read from the weights. Empty = 8 per level, as every SD1.x model.
  static UNetConfig from_weights(const nn::Binder& b, const std::vector<int64_t>& heads_per_level = {});
  size_t levels() const { return block_channels.size(); }
};

}  // namespace ad::models
