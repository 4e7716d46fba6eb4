#include "models/unet/unet_config.h"

#include <string>

namespace ad::models {

UNetConfig UNetConfig::from_weights(const nn::Binder& b, const std::vector<int64_t>& heads_per_level) {
  UNetConfig c;
  const Shape conv_in = b.shape("conv_in.weight");
  AD_CHECK(conv_in.size() == 4, "{}: conv_in.weight must be 4-D", b.map().where(b.full("conv_in.weight")));
  c.in_channels = conv_in[1];
  c.out_channels = b.shape("conv_out.weight")[0];
  c.time_embed_dim = b.shape("time_embedding.linear_1.weight")[0];
  const int levels = b.count("down_blocks");
  AD_CHECK(levels > 0, "{}: no UNet down blocks found", b.map().files());
  AD_CHECK(b.count("up_blocks") == levels, "{}: {} down blocks but {} up blocks", b.map().files(), levels,
           b.count("up_blocks"));
  c.layers_per_block = b.count("down_blocks.0.resnets");
  for (int i = 0; i < levels; ++i) {
    const std::string down = "down_blocks." + std::to_string(i);
    c.block_channels.push_back(b.shape(down + ".resnets.0.conv1.weight")[0]);
    c.down_attention.push_back(b.has_prefix(down + ".attentions."));
    c.up_attention.push_back(b.has_prefix("up_blocks." + std::to_string(i) + ".attentions."));
    AD_CHECK(b.count(down + ".resnets") == c.layers_per_block, "{}: down block {} has {} ResNets, block 0 has {}",
             b.map().files(), i, b.count(down + ".resnets"), c.layers_per_block);
  }
  for (int i = 0; i < levels; ++i) {
    if (!c.down_attention[static_cast<size_t>(i)]) continue;
    c.cross_attention_dim = b.shape("down_blocks." + std::to_string(i) + ".attentions.0.transformer_blocks.0.attn2.to_k.weight")[1];
    break;
  }
  if (heads_per_level.empty()) c.heads.assign(static_cast<size_t>(levels), 8);
  else if (heads_per_level.size() == 1) c.heads.assign(static_cast<size_t>(levels), heads_per_level[0]);
  else c.heads = heads_per_level;
  AD_CHECK(c.heads.size() == static_cast<size_t>(levels), "UNet: {} head counts for {} levels", c.heads.size(), levels);
  return c;
}

}  // namespace ad::models
