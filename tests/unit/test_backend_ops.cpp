// The harness of the backend-comparison tests (test_backend_ops.h).
#include "test_backend_ops.h"

#include <cmath>
#include <cstdio>
#include <numeric>

namespace ad::test {

const char* layout_name(Layout layout) {
  switch (layout) {
    case Layout::Contiguous: return "contiguous";
    case Layout::ChannelsLast: return "channels_last";
    case Layout::Permuted: return "permuted";
    case Layout::Sliced: return "sliced";
    case Layout::Expanded: return "expanded";
  }
  return "?";
}

Tensor make_input(const Shape& shape, Layout layout, uint64_t seed, float low, float high) {
  const Tensor values = random_tensor(shape, seed, low, high);
  const int n = shape.size();
  switch (layout) {
    case Layout::Contiguous: return values;
    case Layout::ChannelsLast: {
      if (n < 3) return values;
      std::vector<int> order{0};  // N, spatial..., C in memory
      for (int d = 2; d < n; ++d) order.push_back(d);
      order.push_back(1);
      Tensor t = Tensor::empty_strided(shape, dense_strides(shape, order));
      t.copy_from(values);
      return t;
    }
    case Layout::Permuted: {
      std::vector<int> order(static_cast<size_t>(n));
      std::iota(order.rbegin(), order.rend(), 0);  // innermost dimension first in memory
      Tensor t = Tensor::empty_strided(shape, dense_strides(shape, order));
      t.copy_from(values);
      return t;
    }
    case Layout::Sliced: {
      if (n == 0) return values;
      Shape padded = shape;
      padded[n - 1] += 3;
      Tensor t = Tensor::zeros(padded).slice(n - 1, 1, 1 + shape[n - 1]);
      t.copy_from(values);
      return t;
    }
    case Layout::Expanded: {
      if (n == 0) return values;
      return values.slice(0, 0, 1).expand(shape);
    }
  }
  return values;
}

Tensor make_weight(const Shape& shape, DType dtype, uint64_t seed, float low, float high) {
  return random_tensor(shape, seed, low, high).to(dtype);
}

std::string shape_string(const Shape& shape) {
  std::string s;
  for (int i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s.empty() ? "scalar" : s;
}

std::string case_test_name(const OpCase& c, size_t index) {
  std::string name = c.op + "_" + c.vars;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name + "_" + std::to_string(index);
}

std::string check_case(const OpCase& c, const std::string& rerun_filter) {
  Tensor got, want;
  try {
    {
      BackendOverride fast(cpu_backend());
      got = c.run();
    }
    BackendOverride reference(reference_backend());
    if (c.run_subset) {
      want = c.run_subset();
      got = c.pick(got);
    } else {
      want = c.run();
    }
  } catch (const std::exception& e) {
    std::printf("%s: FAIL (exception: %s)\n", c.name().c_str(), e.what());
    return c.name() + " threw: " + e.what();
  }
  if (got.shape() != want.shape()) return c.name() + ": shapes differ " + got.describe() + " vs " + want.describe();
  const Tensor g = got.to(DType::F64).contiguous();
  const Tensor w = want.to(DType::F64).contiguous();
  double max_abs = 0, max_ref = 0, err2 = 0, ref2 = 0;
  bool finite = true;
  for (int64_t i = 0; i < g.numel(); ++i) {
    const double a = g.data<double>()[i], b = w.data<double>()[i];
    if (std::isfinite(b) && !std::isfinite(a)) finite = false;
    if (!std::isfinite(b)) {
      if (!(std::isnan(a) == std::isnan(b) && (std::isnan(a) || a == b))) finite = false;
      continue;
    }
    max_abs = std::max(max_abs, std::abs(a - b));
    max_ref = std::max(max_ref, std::abs(b));
    err2 += (a - b) * (a - b);
    ref2 += b * b;
  }
  const double nmse = ref2 > 0 ? err2 / ref2 : err2;
  const bool ok = finite && max_abs <= c.tolerance.max_abs * std::max(1.0, max_ref) && nmse <= c.tolerance.nmse;
  std::printf("%s: %s max_abs=%.3g (max |ref| %.3g) nmse=%.3g%s\n", c.name().c_str(), ok ? "OK" : "FAIL", max_abs,
              max_ref, nmse, finite ? "" : " NaN/Inf mismatch");
  if (ok) return {};
  return c.name() + ": max_abs " + std::to_string(max_abs) + " (limit " +
         std::to_string(c.tolerance.max_abs * std::max(1.0, max_ref)) + "), nmse " + std::to_string(nmse) +
         " (limit " + std::to_string(c.tolerance.nmse) + ")" + (finite ? "" : ", NaN/Inf where the reference has none") +
         "\n  rerun: ad_tests --gtest_filter='" + rerun_filter + "'";
}

}  // namespace ad::test
