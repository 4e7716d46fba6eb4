// Parameters shared by the op functions (ops.h) and the backends that implement them.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace ad {

enum class BinaryOp : uint8_t { Add, Sub, Mul, Div };
enum class UnaryOp : uint8_t { Identity, Silu, Gelu, GeluTanh, QuickGelu, Sigmoid, Exp, Tanh, Affine, Clamp };
// Activations a GEMM / convolution can apply to its result before the residual add.
enum class Activation : uint8_t { None, Silu, Gelu, GeluTanh, QuickGelu };

struct UnaryParams {
  float scale = 1.0f;  // Affine: x * scale + shift
  float shift = 0.0f;
  float low = 0.0f;    // Clamp
  float high = 0.0f;
};

// y = activation(x . W^T + b) + residual; residual is optional (undefined tensor).
struct Epilogue {
  Activation activation = Activation::None;
  Tensor residual;
};

struct Conv2dOptions {
  int stride = 1;
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  // Output memory format: channels-last (NHWC strides under an NCHW shape) is the fast layout of
  // the CPU backend; false gives a contiguous NCHW result.
  bool channels_last = true;

  static Conv2dOptions same(int kernel, int stride_ = 1) {
    Conv2dOptions o;
    o.stride = stride_;
    o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = kernel / 2;
    return o;
  }
};

struct AttentionOptions {
  float scale = 0.0f;  // 0: 1/sqrt(head_dim)
  bool causal = false; // query i attends to keys j <= i
};

}  // namespace ad
