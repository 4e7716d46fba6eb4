#include "models/motion/motion_module.h"

#include <cmath>

namespace ad::models {

std::string_view motion_module_version_name(MotionModuleVersion version) {
  switch (version) {
    case MotionModuleVersion::V1: return "v1";
    case MotionModuleVersion::V2: return "v2";
    case MotionModuleVersion::V3: return "v3";
    case MotionModuleVersion::Unknown: return "unknown";
  }
  return "unknown";
}

Tensor motion_positional_table(int64_t max_len, int64_t channels) {
  Tensor pe = Tensor::zeros(Shape{max_len, channels});
  for (int64_t p = 0; p < max_len; ++p) {
    float* row = pe.data<float>() + p * channels;
    for (int64_t i = 0; i + 1 < channels; i += 2) {
      const float div = std::exp(static_cast<float>(i) * (-std::log(10000.0f) / static_cast<float>(channels)));
      row[i] = std::sin(static_cast<float>(p) * div);
      row[i + 1] = std::cos(static_cast<float>(p) * div);
    }
  }
  return pe;
}

TemporalTransformer TemporalTransformer::load(const nn::Binder& b, int64_t heads, int64_t max_len, bool use_file_table) {
  TemporalTransformer t;
  const int64_t C = b.shape("norm.weight")[0];
  t.norm_ = nn::GroupNorm::load(b.sub("norm"), C, 32, 1e-6f);
  t.proj_in_ = nn::Linear::load(b.sub("proj_in"), C, -1);
  const int64_t inner = t.proj_in_.out_features;
  t.max_len_ = max_len;
  const Tensor exact_table = motion_positional_table(max_len, inner);
  for (int i = 0; b.has_prefix("transformer_blocks." + std::to_string(i) + "."); ++i) {
    const nn::Binder tb = b.sub("transformer_blocks", i);
    Block block;
    for (int a = 0; a < 2; ++a) {
      const std::string attn = "attn" + std::to_string(a + 1);
      block.norms[a] = nn::LayerNorm::load(tb.sub("norm" + std::to_string(a + 1)), inner, 1e-5f);
      block.attention[a] = nn::MultiHeadAttention::load_diffusers(tb.sub(attn), inner, inner, heads);
      // The original layout stores one table per attention block, diffusers one per block.
      const std::string stored = tb.has(attn + ".pos_encoder.pe") ? attn + ".pos_encoder.pe" : "pos_embed.pe";
      Tensor file_table;
      if (tb.has(stored)) file_table = tb.get(stored, Shape{1, -1, inner});
      if (use_file_table) {
        AD_CHECK(file_table.defined(), "{}: no stored positional table '{}'", b.map().files(), tb.full(stored));
        AD_CHECK(file_table.dim(1) >= max_len, "{} holds {} positions, fewer than {}", b.map().where(tb.full(stored)),
                 file_table.dim(1), max_len);
        block.positional[a] = file_table.select(0, 0).slice(0, 0, max_len).to(DType::F32).contiguous();
      } else {
        block.positional[a] = exact_table;  // the original code and diffusers both recompute it
      }
    }
    block.ff_norm = nn::LayerNorm::load(tb.sub("norm3"), inner, 1e-5f);
    block.ff = nn::GegluFeedForward::load(tb.sub("ff"), inner);
    t.blocks_.push_back(std::move(block));
  }
  AD_CHECK(!t.blocks_.empty(), "{}: missing tensors '{}transformer_blocks.0.*'", b.map().files(), b.prefix());
  t.proj_out_ = nn::Linear::load(b.sub("proj_out"), inner, C);
  return t;
}

Tensor TemporalTransformer::temporal_attention(const nn::MultiHeadAttention& attention, const Tensor& normed,
                                               const Tensor& residual, int64_t frames) const {
  // normed, residual: [(b f), HW, C]. Sequences run over the f frames of each (video, position).
  const int64_t rows = normed.dim(0), positions = normed.dim(1), C = normed.dim(2);
  const int64_t videos = rows / frames;
  const int64_t heads = attention.heads, head_dim = C / heads;
  const Tensor q = attention.q(normed), k = attention.k(normed), v = attention.v(normed);  // [(b f), HW, C] contiguous
  Tensor attended = Tensor::empty(Shape{videos, frames, positions, C});
  for (int64_t b = 0; b < videos; ++b) {
    // [f, HW, heads, hd] -> [HW, heads, f, hd]: batch = positions, sequence = frames.
    auto sequences = [&](const Tensor& t) {
      const Tensor video = t.slice(0, b * frames, (b + 1) * frames);
      return Tensor(video.storage(), video.offset(), Shape{positions, heads, frames, head_dim},
                    Strides{C, head_dim, positions * C, 1}, video.dtype());
    };
    const Tensor out = ops::attention(sequences(q), sequences(k), sequences(v));  // [HW, heads, f, hd]
    // Back to frame-major rows [f, HW, heads, hd].
    attended.select(0, b).copy_from(out.permute({2, 0, 1, 3}).reshape(Shape{frames, positions, C}));
  }
  Epilogue e;
  e.residual = residual;
  return attention.out(attended.view(Shape{rows, positions, C}), e);
}

Tensor TemporalTransformer::attention_blocks(const Block& block, const Tensor& h_in, int64_t frames,
                                             const DebugSink& debug) const {
  Tensor h = h_in;
  const int64_t rows = h.dim(0), positions = h.dim(1), C = h.dim(2);
  for (int a = 0; a < 2; ++a) {
    // + pe[:f] for frame f of every video, after the LayerNorm and before q/k/v.
    const Tensor table = block.positional[a].slice(0, 0, frames).view(Shape{1, frames, 1, C});
    const Tensor n = ops::add(block.norms[a](h).view(Shape{rows / frames, frames, positions, C}), table)
                         .view(Shape{rows, positions, C});
    h = temporal_attention(block.attention[a], n, h, frames);
    if (debug) debug(a == 0 ? "after_attention_block_0" : "after_attention_block_1", h);
  }
  return h;
}

Tensor TemporalTransformer::forward(const Tensor& x, int64_t frames, MotionNorm norm,
                                    const sampling::ContextWindows& windows, const DebugSink& debug) const {
  const auto emit = [&](std::string_view name, const Tensor& t) {
    if (debug) debug(name, t);
  };
  AD_CHECK(x.ndim() == 4 && x.dim(1) == channels(), "motion module: input {} must be [(b f), {}, H, W]", x.describe(),
           channels());
  AD_CHECK(frames >= 1 && x.dim(0) % frames == 0, "motion module: {} rows are not a whole number of {}-frame videos",
           x.dim(0), frames);
  const int64_t window = windows.enabled_for(static_cast<int>(frames)) ? windows.length : frames;
  AD_CHECK(window <= max_len_,
           "motion module: {} frames in one attention exceed its positional table of {} (use context windows)", window,
           max_len_);
  const int64_t H = x.dim(2), W = x.dim(3);
  const Tensor normed = norm == MotionNorm::PerFrame ? norm_(x) : norm_.over_frames(x, frames);
  emit("after_norm", normed);
  Tensor h = proj_in_(nn::image_to_tokens(normed));  // [(b f), HW, C]
  emit("after_proj_in", h);
  const int64_t rows = h.dim(0), positions = h.dim(1), C = h.dim(2);
  const int64_t videos = rows / frames;
  for (const Block& block : blocks_) {
    if (!windows.enabled_for(static_cast<int>(frames))) {
      h = attention_blocks(block, h, frames, debug);
    } else {
      // FreeNoise: the attention sub-blocks run per window; the windows' results are blended
      // with per-position weights. [b, f, HW, C] views throughout.
      Tensor acc = Tensor::zeros(Shape{videos, frames, positions, C});
      std::vector<float> count(static_cast<size_t>(frames), 0.0f);
      const Tensor h4 = h.view(Shape{videos, frames, positions, C});
      for (const auto& [start, end] : windows.windows(static_cast<int>(frames))) {
        const int64_t w = end - start;
        const Tensor part = h4.slice(1, start, end).reshape(Shape{videos * w, positions, C});
        const Tensor out = attention_blocks(block, part, w, {}).view(Shape{videos, w, positions, C});
        const std::vector<float> weights = windows.weights(static_cast<int>(w));
        Tensor acc_window = acc.slice(1, start, end);
        ops::add_(acc_window, ops::mul(out, Tensor::from_vector<float>(Shape{1, w, 1, 1}, weights)));
        for (int64_t i = 0; i < w; ++i) count[static_cast<size_t>(start + i)] += weights[static_cast<size_t>(i)];
      }
      h = ops::div(acc, Tensor::from_vector<float>(Shape{1, frames, 1, 1}, count)).view(Shape{rows, positions, C});
    }
    h = block.ff(block.ff_norm(h), h);
    emit("after_ff", h);
  }
  Epilogue e;
  e.residual = nn::image_to_tokens(x);
  const Tensor out = proj_out_(h, e);  // + x, the module's residual
  if (debug) debug("after_proj_out", proj_out_(h));
  return nn::tokens_to_image(out, H, W);
}

}  // namespace ad::models
