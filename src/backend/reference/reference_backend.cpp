// The reference backend: straightforward loops over contiguous F32 copies of the inputs, with
// double accumulators. It is the oracle of the kernel tests and the fallback of the CPU backend;
// it is written for clarity, not speed.
#include <cmath>
#include <vector>

#include "backend/backend.h"

namespace ad {

namespace {

// Contiguous F32 copy (or the tensor itself when it already is one).
Tensor dense_f32(const Tensor& t) { return t.to(DType::F32).contiguous(); }

// Writes a contiguous F32 result into `out`, whatever out's strides.
void store(Tensor& out, const Tensor& result) {
  if (out.raw_data() == result.raw_data() && out.same_layout(result)) return;
  out.copy_from(result);
}

double apply_unary(UnaryOp op, const UnaryParams& p, double x) {
  switch (op) {
    case UnaryOp::Identity: return x;
    case UnaryOp::Silu: return x / (1.0 + std::exp(-x));
    case UnaryOp::Gelu: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case UnaryOp::GeluTanh: return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case UnaryOp::QuickGelu: return x / (1.0 + std::exp(-1.702 * x));
    case UnaryOp::Sigmoid: return 1.0 / (1.0 + std::exp(-x));
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Tanh: return std::tanh(x);
    case UnaryOp::Affine: return x * p.scale + p.shift;
    case UnaryOp::Clamp: return std::min<double>(std::max<double>(x, p.low), p.high);
  }
  return x;
}

double apply_activation(Activation a, double x) {
  switch (a) {
    case Activation::None: return x;
    case Activation::Silu: return apply_unary(UnaryOp::Silu, {}, x);
    case Activation::Gelu: return apply_unary(UnaryOp::Gelu, {}, x);
    case Activation::GeluTanh: return apply_unary(UnaryOp::GeluTanh, {}, x);
    case Activation::QuickGelu: return apply_unary(UnaryOp::QuickGelu, {}, x);
  }
  return x;
}

void apply_epilogue(const Epilogue& e, Tensor& result) {
  float* r = result.data<float>();
  const int64_t n = result.numel();
  Tensor residual = e.residual.defined() ? dense_f32(e.residual) : Tensor();
  const float* res = residual.defined() ? residual.data<float>() : nullptr;
  for (int64_t i = 0; i < n; ++i) {
    double v = apply_activation(e.activation, r[i]);
    if (res) v += res[i];
    r[i] = static_cast<float>(v);
  }
}

class ReferenceBackend final : public Backend {
 public:
  std::string_view name() const override { return "reference"; }

  void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) override {
    Tensor ad = dense_f32(a), bd = dense_f32(b);
    Tensor result = Tensor::empty(out.shape());
    const float* pa = ad.data<float>();
    const float* pb = bd.data<float>();
    float* po = result.data<float>();
    for (int64_t i = 0; i < result.numel(); ++i) {
      switch (op) {
        case BinaryOp::Add: po[i] = pa[i] + pb[i]; break;
        case BinaryOp::Sub: po[i] = pa[i] - pb[i]; break;
        case BinaryOp::Mul: po[i] = pa[i] * pb[i]; break;
        case BinaryOp::Div: po[i] = pa[i] / pb[i]; break;
      }
    }
    store(out, result);
  }

  void unary(UnaryOp op, const UnaryParams& params, const Tensor& x, Tensor& out) override {
    Tensor xd = dense_f32(x);
    Tensor result = Tensor::empty(out.shape());
    const float* px = xd.data<float>();
    float* po = result.data<float>();
    for (int64_t i = 0; i < result.numel(); ++i) po[i] = static_cast<float>(apply_unary(op, params, px[i]));
    store(out, result);
  }

  void geglu(const Tensor& x, Tensor& out) override {
    Tensor xd = dense_f32(x);
    Tensor result = Tensor::empty(out.shape());
    const int64_t n = out.dim(-1);
    const int64_t rows = result.numel() / std::max<int64_t>(n, 1);
    for (int64_t r = 0; r < rows; ++r) {
      const float* px = xd.data<float>() + r * 2 * n;
      float* po = result.data<float>() + r * n;
      for (int64_t j = 0; j < n; ++j) po[j] = static_cast<float>(px[j] * apply_unary(UnaryOp::Gelu, {}, px[j + n]));
    }
    store(out, result);
  }

  void softmax(const Tensor& x, Tensor& out) override {
    Tensor xd = dense_f32(x);
    Tensor result = Tensor::empty(out.shape());
    const int64_t n = x.dim(-1);
    const int64_t rows = n ? result.numel() / n : 0;
    for (int64_t r = 0; r < rows; ++r) {
      const float* px = xd.data<float>() + r * n;
      float* po = result.data<float>() + r * n;
      double m = -INFINITY;
      for (int64_t j = 0; j < n; ++j) m = std::max<double>(m, px[j]);
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) sum += std::exp(px[j] - m);
      for (int64_t j = 0; j < n; ++j) po[j] = static_cast<float>(std::exp(px[j] - m) / sum);
    }
    store(out, result);
  }

  void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& out) override {
    normalize_rows(x, weight, bias, eps, /*rms=*/false, out);
  }

  void rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) override {
    normalize_rows(x, weight, Tensor(), eps, /*rms=*/true, out);
  }

  void group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps, bool silu,
                  Tensor& out) override {
    Tensor xd = dense_f32(x);
    Tensor w = weight.defined() ? dense_f32(weight) : Tensor();
    Tensor b = bias.defined() ? dense_f32(bias) : Tensor();
    Tensor result = Tensor::empty(out.shape());
    const int64_t N = x.dim(0), C = x.dim(1);
    const int64_t spatial = (N > 0 && C > 0) ? x.numel() / (N * C) : 0;
    const int64_t cpg = C / groups;
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t g = 0; g < groups; ++g) {
        const float* px = xd.data<float>() + (n * C + g * cpg) * spatial;
        float* po = result.data<float>() + (n * C + g * cpg) * spatial;
        const int64_t count = cpg * spatial;
        double mean = 0;
        for (int64_t i = 0; i < count; ++i) mean += px[i];
        mean /= static_cast<double>(count);
        double var = 0;
        for (int64_t i = 0; i < count; ++i) var += (px[i] - mean) * (px[i] - mean);
        var /= static_cast<double>(count);
        const double inv = 1.0 / std::sqrt(var + eps);
        for (int64_t c = 0; c < cpg; ++c) {
          const int64_t ch = g * cpg + c;
          const double gamma = w.defined() ? w.data<float>()[ch] : 1.0;
          const double beta = b.defined() ? b.data<float>()[ch] : 0.0;
          for (int64_t s = 0; s < spatial; ++s) {
            double v = (px[c * spatial + s] - mean) * inv * gamma + beta;
            if (silu) v = apply_unary(UnaryOp::Silu, {}, v);
            po[c * spatial + s] = static_cast<float>(v);
          }
        }
      }
    }
    store(out, result);
  }

  void linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Epilogue& epilogue, Tensor& out) override {
    Tensor xd = dense_f32(x), wd = dense_f32(weight);
    Tensor bd = bias.defined() ? dense_f32(bias) : Tensor();
    const int64_t M = x.dim(0), K = x.dim(1), N = weight.dim(0);
    Tensor result = Tensor::empty(Shape{M, N});
    for (int64_t m = 0; m < M; ++m) {
      const float* px = xd.data<float>() + m * K;
      for (int64_t n = 0; n < N; ++n) {
        const float* pw = wd.data<float>() + n * K;
        double acc = bd.defined() ? bd.data<float>()[n] : 0.0;
        for (int64_t k = 0; k < K; ++k) acc += static_cast<double>(px[k]) * pw[k];
        result.data<float>()[m * N + n] = static_cast<float>(acc);
      }
    }
    apply_epilogue(epilogue, result);
    store(out, result);
  }

  void matmul(const Tensor& a, const Tensor& b, Tensor& out) override {
    Tensor ad = dense_f32(a), bd = dense_f32(b);
    const int64_t B = a.dim(0), M = a.dim(1), K = a.dim(2), N = b.dim(2);
    Tensor result = Tensor::empty(Shape{B, M, N});
    for (int64_t i = 0; i < B; ++i)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
          double acc = 0;
          for (int64_t k = 0; k < K; ++k)
            acc += static_cast<double>(ad.data<float>()[(i * M + m) * K + k]) * bd.data<float>()[(i * K + k) * N + n];
          result.data<float>()[(i * M + m) * N + n] = static_cast<float>(acc);
        }
    store(out, result);
  }

  void conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& o, const Epilogue& epilogue,
              Tensor& out) override {
    Tensor xd = dense_f32(x), wd = dense_f32(weight);
    Tensor bd = bias.defined() ? dense_f32(bias) : Tensor();
    const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    const int64_t O = weight.dim(0), KH = weight.dim(2), KW = weight.dim(3);
    const int64_t OH = out.dim(2), OW = out.dim(3);
    Tensor result = Tensor::empty(out.shape());
    const float* px = xd.data<float>();
    const float* pw = wd.data<float>();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t oc = 0; oc < O; ++oc)
        for (int64_t oy = 0; oy < OH; ++oy)
          for (int64_t ox = 0; ox < OW; ++ox) {
            double acc = bd.defined() ? bd.data<float>()[oc] : 0.0;
            for (int64_t c = 0; c < C; ++c)
              for (int64_t ky = 0; ky < KH; ++ky) {
                const int64_t iy = oy * o.stride + ky - o.pad_top;
                if (iy < 0 || iy >= H) continue;
                for (int64_t kx = 0; kx < KW; ++kx) {
                  const int64_t ix = ox * o.stride + kx - o.pad_left;
                  if (ix < 0 || ix >= W) continue;
                  acc += static_cast<double>(px[((n * C + c) * H + iy) * W + ix]) * pw[((oc * C + c) * KH + ky) * KW + kx];
                }
              }
            result.data<float>()[((n * O + oc) * OH + oy) * OW + ox] = static_cast<float>(acc);
          }
    apply_epilogue(epilogue, result);
    store(out, result);
  }

  void upsample_nearest(const Tensor& x, int scale, Tensor& out) override {
    Tensor xd = dense_f32(x);
    Tensor result = Tensor::empty(out.shape());
    const int64_t NC = x.dim(0) * x.dim(1), H = x.dim(2), W = x.dim(3);
    for (int64_t i = 0; i < NC; ++i)
      for (int64_t y = 0; y < H * scale; ++y)
        for (int64_t xx = 0; xx < W * scale; ++xx)
          result.data<float>()[(i * H * scale + y) * W * scale + xx] = xd.data<float>()[(i * H + y / scale) * W + xx / scale];
    store(out, result);
  }

  void attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias, const AttentionOptions& options,
                 Tensor& out) override {
    Tensor qd = dense_f32(q), kd = dense_f32(k), vd = dense_f32(v);
    Tensor bd = bias.defined() ? dense_f32(bias) : Tensor();
    const int64_t B = q.dim(0), H = q.dim(1), Lq = q.dim(2), D = q.dim(3), Lk = k.dim(2), Dv = v.dim(3);
    const double scale = options.scale > 0 ? options.scale : 1.0 / std::sqrt(static_cast<double>(D));
    Tensor result = Tensor::empty(Shape{B, H, Lq, Dv});
    std::vector<double> scores(static_cast<size_t>(Lk));
    for (int64_t bh = 0; bh < B * H; ++bh)
      for (int64_t i = 0; i < Lq; ++i) {
        const float* pq = qd.data<float>() + (bh * Lq + i) * D;
        double m = -INFINITY;
        for (int64_t j = 0; j < Lk; ++j) {
          double s = -INFINITY;
          if (!options.causal || j <= i) {
            s = 0;
            const float* pk = kd.data<float>() + (bh * Lk + j) * D;
            for (int64_t d = 0; d < D; ++d) s += static_cast<double>(pq[d]) * pk[d];
            s *= scale;
            if (bd.defined()) s += bd.data<float>()[(bh * Lq + i) * Lk + j];
          }
          scores[static_cast<size_t>(j)] = s;
          m = std::max(m, s);
        }
        double sum = 0;
        for (auto& s : scores) {
          s = std::exp(s - m);
          sum += s;
        }
        float* po = result.data<float>() + (bh * Lq + i) * Dv;
        for (int64_t d = 0; d < Dv; ++d) {
          double acc = 0;
          for (int64_t j = 0; j < Lk; ++j) acc += scores[static_cast<size_t>(j)] * vd.data<float>()[(bh * Lk + j) * Dv + d];
          po[d] = static_cast<float>(acc / sum);
        }
      }
    store(out, result);
  }

  void embedding(const Tensor& ids, const Tensor& table, Tensor& out) override {
    Tensor td = dense_f32(table);
    Tensor result = Tensor::empty(out.shape());
    const int64_t D = table.dim(1);
    const int64_t* pid = ids.data<int64_t>();
    for (int64_t i = 0; i < ids.numel(); ++i)
      std::copy_n(td.data<float>() + pid[i] * D, D, result.data<float>() + i * D);
    store(out, result);
  }

 private:
  static void normalize_rows(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, bool rms, Tensor& out) {
    Tensor xd = dense_f32(x);
    Tensor w = weight.defined() ? dense_f32(weight) : Tensor();
    Tensor b = bias.defined() ? dense_f32(bias) : Tensor();
    Tensor result = Tensor::empty(out.shape());
    const int64_t n = x.dim(-1);
    const int64_t rows = n ? x.numel() / n : 0;
    for (int64_t r = 0; r < rows; ++r) {
      const float* px = xd.data<float>() + r * n;
      float* po = result.data<float>() + r * n;
      double mean = 0;
      if (!rms) {
        for (int64_t j = 0; j < n; ++j) mean += px[j];
        mean /= static_cast<double>(n);
      }
      double var = 0;
      for (int64_t j = 0; j < n; ++j) var += (px[j] - mean) * (px[j] - mean);
      var /= static_cast<double>(n);
      const double inv = 1.0 / std::sqrt(var + eps);
      for (int64_t j = 0; j < n; ++j) {
        double v = (px[j] - mean) * inv;
        if (w.defined()) v *= w.data<float>()[j];
        if (b.defined()) v += b.data<float>()[j];
        po[j] = static_cast<float>(v);
      }
    }
    store(out, result);
  }
};

}  // namespace

Backend& reference_backend() {
  static ReferenceBackend backend;
  return backend;
}

}  // namespace ad
