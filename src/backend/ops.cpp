#include "backend/ops.h"

#include <cmath>

#include "backend/backend.h"
#include "backend/flop_counter.h"

namespace ad::ops {

namespace {

Backend& backend_of(const Tensor& x) { return backend_for(x.device()); }

void require_f32(const Tensor& x, const char* op, const char* what) {
  AD_CHECK(x.defined(), "{}: {} is undefined", op, what);
  AD_CHECK(x.dtype() == DType::F32, "{}: {} must be F32, got {}", op, what, x.describe());
}

void require_float(const Tensor& x, const char* op, const char* what) {
  AD_CHECK(x.defined(), "{}: {} is undefined", op, what);
  AD_CHECK(x.dtype() == DType::F32 || x.dtype() == DType::F16 || x.dtype() == DType::BF16,
           "{}: {} must be F32, F16 or BF16, got {}", op, what, x.describe());
}

void require_vector(const Tensor& t, int64_t size, const char* op, const char* what) {
  if (!t.defined()) return;
  require_float(t, op, what);
  AD_CHECK(t.ndim() == 1 && t.dim(0) == size, "{}: {} must have shape [{}], got {}", op, what, size, t.describe());
}

Tensor binary(BinaryOp kind, const Tensor& a, const Tensor& b, const char* name) {
  require_f32(a, name, "a");
  require_f32(b, name, "b");
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = (a.shape() == shape && a.is_dense()) ? Tensor::empty_like(a) : Tensor::empty(shape);
  backend_of(a).binary(kind, a.expand(shape), b.expand(shape), out);
  return out;
}

Tensor unary(UnaryOp kind, const Tensor& x, const char* name, UnaryParams params = {}) {
  require_f32(x, name, "x");
  Tensor out = x.is_dense() ? Tensor::empty_like(x) : Tensor::empty(x.shape());
  backend_of(x).unary(kind, params, x, out);
  return out;
}

void check_epilogue(const Epilogue& epilogue, const Shape& shape, const char* op) {
  if (!epilogue.residual.defined()) return;
  require_f32(epilogue.residual, op, "residual");
  AD_CHECK(epilogue.residual.shape() == shape, "{}: residual {} does not match the output shape {}", op,
           epilogue.residual.describe(), shape.to_string());
}

}  // namespace

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const int n = std::max(a.size(), b.size());
  Shape out;
  out.resize(n);
  for (int i = 0; i < n; ++i) {
    const int ia = i - (n - a.size());
    const int ib = i - (n - b.size());
    const int64_t da = ia >= 0 ? a[ia] : 1;
    const int64_t db = ib >= 0 ? b[ib] : 1;
    AD_CHECK(da == db || da == 1 || db == 1, "{}: shapes {} and {} do not broadcast", op, a.to_string(), b.to_string());
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Add, a, b, "add"); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Sub, a, b, "sub"); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b, "mul"); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b, "div"); }

void add_(Tensor& a, const Tensor& b) {
  require_f32(a, "add_", "a");
  require_f32(b, "add_", "b");
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), "add_");
  AD_CHECK(shape == a.shape(), "add_: {} cannot be broadcast into {}", b.describe(), a.describe());
  backend_of(a).binary(BinaryOp::Add, a, b.expand(shape), a);
}

Tensor silu(const Tensor& x) { return unary(UnaryOp::Silu, x, "silu"); }
Tensor gelu(const Tensor& x) { return unary(UnaryOp::Gelu, x, "gelu"); }
Tensor gelu_tanh(const Tensor& x) { return unary(UnaryOp::GeluTanh, x, "gelu_tanh"); }
Tensor quick_gelu(const Tensor& x) { return unary(UnaryOp::QuickGelu, x, "quick_gelu"); }
Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::Sigmoid, x, "sigmoid"); }
Tensor exp(const Tensor& x) { return unary(UnaryOp::Exp, x, "exp"); }
Tensor affine(const Tensor& x, float scale, float shift) {
  UnaryParams p;
  p.scale = scale;
  p.shift = shift;
  return unary(UnaryOp::Affine, x, "affine", p);
}
Tensor clamp(const Tensor& x, float low, float high) {
  UnaryParams p;
  p.low = low;
  p.high = high;
  return unary(UnaryOp::Clamp, x, "clamp", p);
}

Tensor geglu(const Tensor& x) {
  require_f32(x, "geglu", "x");
  AD_CHECK(x.ndim() >= 1 && x.dim(-1) % 2 == 0, "geglu: last dimension of {} must be even", x.describe());
  Shape shape = x.shape();
  shape[shape.size() - 1] /= 2;
  Tensor out = Tensor::empty(shape);
  backend_of(x).geglu(x, out);
  return out;
}

Tensor softmax(const Tensor& x) {
  require_f32(x, "softmax", "x");
  AD_CHECK(x.ndim() >= 1, "softmax of a scalar");
  Tensor out = Tensor::empty(x.shape());
  backend_of(x).softmax(x, out);
  return out;
}

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  require_f32(x, "layer_norm", "x");
  AD_CHECK(x.ndim() >= 1, "layer_norm of a scalar");
  require_vector(weight, x.dim(-1), "layer_norm", "weight");
  require_vector(bias, x.dim(-1), "layer_norm", "bias");
  Tensor out = Tensor::empty(x.shape());
  backend_of(x).layer_norm(x, weight, bias, eps, out);
  return out;
}

Tensor rms_norm(const Tensor& x, const Tensor& weight, float eps) {
  require_f32(x, "rms_norm", "x");
  AD_CHECK(x.ndim() >= 1, "rms_norm of a scalar");
  require_vector(weight, x.dim(-1), "rms_norm", "weight");
  Tensor out = Tensor::empty(x.shape());
  backend_of(x).rms_norm(x, weight, eps, out);
  return out;
}

Tensor group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps, bool silu) {
  require_f32(x, "group_norm", "x");
  AD_CHECK(x.ndim() >= 2, "group_norm: input {} needs [N, C, ...]", x.describe());
  AD_CHECK(groups > 0 && x.dim(1) % groups == 0, "group_norm: {} channels are not divisible into {} groups", x.dim(1),
           groups);
  require_vector(weight, x.dim(1), "group_norm", "weight");
  require_vector(bias, x.dim(1), "group_norm", "bias");
  Tensor out = x.is_dense() ? Tensor::empty_like(x) : Tensor::empty(x.shape());
  backend_of(x).group_norm(x, groups, weight, bias, eps, silu, out);
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Epilogue& epilogue) {
  require_f32(x, "linear", "x");
  require_float(weight, "linear", "weight");
  AD_CHECK(weight.ndim() == 2, "linear: weight {} must be [out, in]", weight.describe());
  AD_CHECK(x.ndim() >= 1 && x.dim(-1) == weight.dim(1), "linear: input {} does not match weight {} (in = {})",
           x.describe(), weight.describe(), weight.dim(1));
  require_vector(bias, weight.dim(0), "linear", "bias");
  Shape out_shape = x.shape();
  out_shape[out_shape.size() - 1] = weight.dim(0);
  check_epilogue(epilogue, out_shape, "linear");
  // Rows of x as a 2-D [M, K] matrix with unit stride along K (a view when the layout allows).
  Tensor x2 = x.ndim() == 1 ? x.unsqueeze(0) : x.flatten(0, x.ndim() - 2);
  if (x2.stride(-1) != 1) x2 = x2.contiguous();
  Tensor out = Tensor::empty(out_shape);
  Tensor out2 = out.ndim() == 1 ? out.unsqueeze(0) : out.flatten(0, out.ndim() - 2);
  Epilogue e2;
  e2.activation = epilogue.activation;
  if (epilogue.residual.defined()) {
    const Tensor& r = epilogue.residual;
    e2.residual = r.ndim() == 1 ? r.unsqueeze(0) : r.flatten(0, r.ndim() - 2);
  }
  FlopCounter::add(2.0 * static_cast<double>(x2.dim(0)) * static_cast<double>(weight.dim(0)) * static_cast<double>(weight.dim(1)));
  backend_of(x).linear(x2, weight, bias, e2, out2);
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  require_f32(a, "matmul", "a");
  require_f32(b, "matmul", "b");
  AD_CHECK(a.ndim() >= 2 && b.ndim() >= 2, "matmul: {} x {} needs matrices", a.describe(), b.describe());
  AD_CHECK(a.dim(-1) == b.dim(-2), "matmul: {} x {}: inner dimensions differ", a.describe(), b.describe());
  Shape batch_a(std::span<const int64_t>(a.shape().begin(), static_cast<size_t>(a.ndim() - 2)));
  Shape batch_b(std::span<const int64_t>(b.shape().begin(), static_cast<size_t>(b.ndim() - 2)));
  Shape batch = broadcast_shapes(batch_a, batch_b, "matmul");
  Shape shape_a = batch, shape_b = batch, shape_out = batch;
  shape_a.push_back(a.dim(-2));
  shape_a.push_back(a.dim(-1));
  shape_b.push_back(b.dim(-2));
  shape_b.push_back(b.dim(-1));
  shape_out.push_back(a.dim(-2));
  shape_out.push_back(b.dim(-1));
  Tensor out = Tensor::empty(shape_out);
  const int64_t batches = batch.product();
  // Collapse the batch dimensions into one (materialising a broadcast operand when needed).
  auto as3 = [&](const Tensor& t, const Shape& shape) {
    Tensor e = t.expand(shape);
    Tensor f = batch.size() == 0 ? e.unsqueeze(0) : e.flatten(0, batch.size() - 1);
    if (batch.size() > 0 && f.ndim() != 3) f = e.contiguous().flatten(0, batch.size() - 1);
    return f;
  };
  Tensor a3 = as3(a, shape_a), b3 = as3(b, shape_b);
  Tensor o3 = batch.size() == 0 ? out.unsqueeze(0) : out.view({batches, a.dim(-2), b.dim(-1)});
  FlopCounter::add(2.0 * static_cast<double>(o3.numel()) * static_cast<double>(a.dim(-1)));
  backend_of(a).matmul(a3, b3, o3);
  return out;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options,
              const Epilogue& epilogue) {
  require_f32(x, "conv2d", "x");
  require_float(weight, "conv2d", "weight");
  AD_CHECK(x.ndim() == 4, "conv2d: input {} must be [N, C, H, W]", x.describe());
  AD_CHECK(weight.ndim() == 4, "conv2d: weight {} must be [O, C, kh, kw]", weight.describe());
  AD_CHECK(x.dim(1) == weight.dim(1), "conv2d: input {} has {} channels, weight {} expects {}", x.describe(), x.dim(1),
           weight.describe(), weight.dim(1));
  require_vector(bias, weight.dim(0), "conv2d", "bias");
  AD_CHECK(options.stride >= 1 && options.pad_top >= 0 && options.pad_bottom >= 0 && options.pad_left >= 0 &&
               options.pad_right >= 0,
           "conv2d: bad stride / padding");
  const int64_t h = (x.dim(2) + options.pad_top + options.pad_bottom - weight.dim(2)) / options.stride + 1;
  const int64_t w = (x.dim(3) + options.pad_left + options.pad_right - weight.dim(3)) / options.stride + 1;
  AD_CHECK(h > 0 && w > 0, "conv2d: input {} is smaller than kernel {}", x.describe(), weight.describe());
  const Shape shape{x.dim(0), weight.dim(0), h, w};
  check_epilogue(epilogue, shape, "conv2d");
  Tensor out = options.channels_last
                   ? Tensor::empty_strided(shape, Strides{h * w * shape[1], 1, w * shape[1], shape[1]})
                   : Tensor::empty(shape);
  FlopCounter::add(2.0 * static_cast<double>(out.numel()) * static_cast<double>(weight.dim(1) * weight.dim(2) * weight.dim(3)));
  backend_of(x).conv2d(x, weight, bias, options, epilogue, out);
  return out;
}

Tensor upsample_nearest(const Tensor& x, int scale) {
  require_f32(x, "upsample_nearest", "x");
  AD_CHECK(x.ndim() == 4 && scale >= 1, "upsample_nearest: input {} must be [N, C, H, W]", x.describe());
  const Shape shape{x.dim(0), x.dim(1), x.dim(2) * scale, x.dim(3) * scale};
  const bool channels_last = x.stride(1) == 1 && x.dim(1) > 1;
  Tensor out = channels_last ? Tensor::empty_strided(shape, Strides{shape[2] * shape[3] * shape[1], 1,
                                                                    shape[3] * shape[1], shape[1]})
                             : Tensor::empty(shape);
  backend_of(x).upsample_nearest(x, scale, out);
  return out;
}

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options, const Tensor& bias) {
  require_f32(q, "attention", "q");
  require_f32(k, "attention", "k");
  require_f32(v, "attention", "v");
  AD_CHECK(q.ndim() == 4 && k.ndim() == 4 && v.ndim() == 4, "attention: q {}, k {}, v {} must be [B, H, L, D]",
           q.describe(), k.describe(), v.describe());
  AD_CHECK(q.dim(0) == k.dim(0) && q.dim(0) == v.dim(0) && q.dim(1) == k.dim(1) && q.dim(1) == v.dim(1) &&
               q.dim(3) == k.dim(3) && k.dim(2) == v.dim(2),
           "attention: q {}, k {}, v {} do not fit together", q.describe(), k.describe(), v.describe());
  AD_CHECK(!options.causal || q.dim(2) == k.dim(2), "attention: causal mask needs Lq == Lk");
  auto unit = [](const Tensor& t) { return t.stride(-1) == 1 ? t : t.contiguous(); };
  const int64_t B = q.dim(0), H = q.dim(1), Lq = q.dim(2), Dv = v.dim(3);
  Tensor bias_e;
  if (bias.defined()) {
    require_f32(bias, "attention", "bias");
    bias_e = bias.expand(Shape{B, H, Lq, k.dim(2)});
  }
  Tensor storage = Tensor::empty(Shape{B, Lq, H, Dv});
  Tensor out = storage.transpose(1, 2);  // [B, H, Lq, Dv]
  FlopCounter::add(2.0 * static_cast<double>(B * H * Lq * k.dim(2)) * static_cast<double>(q.dim(3) + Dv));
  backend_of(q).attention(unit(q), unit(k), unit(v), bias_e, options, out);
  return out;
}

Tensor embedding(const Tensor& ids, const Tensor& table) {
  AD_CHECK(ids.defined() && ids.dtype() == DType::I64, "embedding: ids must be I64, got {}", ids.describe());
  require_float(table, "embedding", "table");
  AD_CHECK(table.ndim() == 2, "embedding: table {} must be [V, D]", table.describe());
  Tensor ids_c = ids.contiguous();
  const int64_t* p = ids_c.data<int64_t>();
  for (int64_t i = 0; i < ids_c.numel(); ++i)
    AD_CHECK(p[i] >= 0 && p[i] < table.dim(0), "embedding: token id {} is outside the table of {} entries", p[i],
             table.dim(0));
  Shape shape = ids.shape();
  shape.push_back(table.dim(1));
  Tensor out = Tensor::empty(shape);
  backend_of(table).embedding(ids_c, table, out);
  return out;
}

Tensor concat(std::span<const Tensor> tensors, int dim) {
  AD_CHECK(!tensors.empty(), "concat of nothing");
  const Tensor& first = tensors[0];
  const int d = dim < 0 ? dim + first.ndim() : dim;
  AD_CHECK(d >= 0 && d < first.ndim(), "concat: dimension {} out of range for {}", dim, first.describe());
  Shape shape = first.shape();
  shape[d] = 0;
  for (const Tensor& t : tensors) {
    AD_CHECK(t.ndim() == first.ndim() && t.dtype() == first.dtype(), "concat: {} does not match {}", t.describe(),
             first.describe());
    for (int i = 0; i < t.ndim(); ++i)
      AD_CHECK(i == d || t.dim(i) == first.dim(i), "concat along {}: {} does not match {}", dim, t.describe(),
               first.describe());
    shape[d] += t.dim(d);
  }
  // Keep the memory format of the first input (channels-last stays channels-last).
  Tensor out = first.is_dense() ? Tensor::empty_strided(shape, dense_strides(shape, stride_order(first.strides())), first.dtype())
                                : Tensor::empty(shape, first.dtype());
  int64_t start = 0;
  for (const Tensor& t : tensors) {
    Tensor part = out.slice(d, start, start + t.dim(d));
    part.copy_from(t);
    start += t.dim(d);
  }
  return out;
}

std::vector<Tensor> chunk(const Tensor& x, int chunks, int dim) {
  AD_CHECK(chunks > 0 && x.dim(dim) % chunks == 0, "chunk: dimension {} of {} is not divisible by {}", dim,
           x.describe(), chunks);
  const int64_t size = x.dim(dim) / chunks;
  std::vector<Tensor> parts;
  for (int i = 0; i < chunks; ++i) parts.push_back(x.slice(dim, i * size, (i + 1) * size));
  return parts;
}

Tensor to_channels_last(const Tensor& x) {
  AD_CHECK(x.ndim() == 4, "to_channels_last: {} must be [N, C, H, W]", x.describe());
  const Shape& s = x.shape();
  Tensor out = Tensor::empty_strided(s, Strides{s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]}, x.dtype());
  out.copy_from(x);
  return out;
}

}  // namespace ad::ops
