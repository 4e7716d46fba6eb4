// Backend-comparison harness shared by tests/unit/test_backend_ops_*.cpp (one file per op
// family). A case is an op, its parameters as a `vars()` string and a function that builds the
// inputs (fixed seeds) and runs the op through ops.h; the harness runs it under the reference
// backend (BackendOverride) and under the default CPU backend and compares the outputs:
// NaN/Inf, max-abs error and normalised MSE against per-op tolerances. Each case prints
//   OP(vars): OK|FAIL max_abs=... nmse=...
// and a failure prints the gtest filter that reruns it alone. Real-model sizes where the
// reference would take seconds give `run_subset` + `pick`: the reference then runs on a slice
// of the problem (some rows, some output channels) and is compared with that slice of the
// CPU result.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/ops.h"
#include "core/tensor.h"
#include "support/test_util.h"

namespace ad::test {

struct Tolerance {
  double max_abs = 1e-5;  // scaled by max(1, max |reference|)
  double nmse = 1e-10;    // sum (got - want)^2 / sum want^2
};

struct OpCase {
  std::string op;
  std::string vars;
  Tolerance tolerance;
  std::function<Tensor()> run;
  std::function<Tensor()> run_subset;               // optional, under the reference
  std::function<Tensor(const Tensor&)> pick;        // the same subset of run()'s result
  std::string name() const { return op + "(" + vars + ")"; }
};

// gtest prints a failing parameter with this instead of its bytes.
inline void PrintTo(const OpCase& c, std::ostream* os) { *os << c.name(); }

// How a test input is laid out in memory (the values are the same for every layout).
enum class Layout { Contiguous, ChannelsLast, Permuted, Sliced, Expanded };
const char* layout_name(Layout layout);
// Uniform values in [low, high) with the given layout: ChannelsLast (4-D and up: channels
// innermost), Permuted (reversed dimension order in memory), Sliced (every row padded by 3
// unused values), Expanded (dimension 0 broadcast from size 1 with stride 0).
Tensor make_input(const Shape& shape, Layout layout, uint64_t seed, float low = -1.0f, float high = 1.0f);
// A weight-like tensor of the given dtype (F32 values rounded to it, so both backends see the same).
Tensor make_weight(const Shape& shape, DType dtype, uint64_t seed, float low = -1.0f, float high = 1.0f);

// "[2, 320, 64, 64]" -> "2x320x64x64".
std::string shape_string(const Shape& shape);

// Runs one case; returns an empty string when it passes, else the failure message.
std::string check_case(const OpCase& c, const std::string& rerun_filter);

// gtest name of a case: its op and vars with every other character replaced by '_'.
std::string case_test_name(const OpCase& c, size_t index);

// The test body shared by every family: run the case, print its line, fail with the message.
class BackendOpsTest : public ::testing::TestWithParam<OpCase> {
 protected:
  void check() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string filter = std::string(info->test_suite_name()) + "." + info->name();
    const std::string failure = check_case(GetParam(), filter);
    if (!failure.empty()) ADD_FAILURE() << failure;
  }
};

}  // namespace ad::test

// Instantiates the shared test body for a family's case list.
#define AD_BACKEND_OPS_SUITE(suite, cases)                                                        \
  class suite : public ::ad::test::BackendOpsTest {};                                             \
  TEST_P(suite, MatchesReference) { check(); }                                                    \
  INSTANTIATE_TEST_SUITE_P(BackendOps, suite, ::testing::ValuesIn(cases),                         \
                           [](const ::testing::TestParamInfo<::ad::test::OpCase>& param) {        \
                             return ::ad::test::case_test_name(param.param, param.index);         \
                           })
