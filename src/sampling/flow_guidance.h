// Classifier-free guidance and skip-layer guidance for flow models, as sd3_impls.CFGDenoiser and
// SkipLayerCFGDenoiser compute them
// (https://github.com/Stability-AI/sd3.5/blob/fbf8f483f992d8d6ad4eaaeb23b1dc5f523c3b3a/sd3_impls.py):
//   one batch [x; x] with conditioning [cond; uncond] (cond FIRST; diffusers batches [uncond, cond])
//   denoised = [x; x] - v * sigma, split into (cond, uncond)
//   D = uncond + (cond - uncond) * cfg_scale
//   skip-layer guidance, when scale > 0 and start * steps < step < end * steps (strict; `step`
//   counts the denoiser calls from 0, `steps` is the requested step count even in img2img):
//     skip = x - v_skip * sigma, v_skip = the model on x with the prompt only and the blocks
//     `layers` skipped;  D += (cond - skip) * scale
// With cfg 1 both halves are still evaluated, as sd3_infer does.
#pragma once

#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ad::sampling {

struct SkipLayerGuidance {
  float scale = 0.0f;  // 0: off (sd3_infer's SD3.5 Medium setting: 2.5)
  double start = 0.01;
  double end = 0.2;
  std::vector<int> layers;  // SD3.5 Medium: 7, 8, 9

  bool active(int step, int steps) const {
    return scale > 0.0f && step > start * steps && step < end * steps;
  }
};

// Which conditioning rows a model call gets: CondUncond = x holds [x; x] for [cond; uncond];
// Cond = x holds the rows for the prompt alone.
enum class FlowPass { CondUncond, Cond };
// The flow model's velocity prediction for x at sigma (timestep sigma * 1000 for every row),
// with the joint blocks `skip_layers` left out.
using FlowModelFn = std::function<Tensor(const Tensor& x, float sigma, FlowPass pass, std::span<const int> skip_layers)>;

class FlowGuider {
 public:
  FlowGuider(FlowModelFn model, float cfg_scale, SkipLayerGuidance slg = {}, int steps = 0)
      : model_(std::move(model)), cfg_scale_(cfg_scale), slg_(std::move(slg)), steps_(steps) {}

  // The guided denoised prediction; *slg_applied (optional) tells whether the skip-layer pass ran.
  Tensor operator()(const Tensor& x, float sigma, int step, bool* slg_applied = nullptr) const;

 private:
  FlowModelFn model_;
  float cfg_scale_;
  SkipLayerGuidance slg_;
  int steps_;
};

}  // namespace ad::sampling
