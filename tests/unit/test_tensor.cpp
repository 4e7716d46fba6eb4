#include <gtest/gtest.h>

#include "core/arena.h"
#include "core/tensor.h"
#include "support/test_util.h"

namespace ad {
namespace {

TEST(Tensor, ViewsShareStorage) {
  Tensor t = test::random_tensor({2, 3, 4}, 1);
  Tensor p = t.permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.storage(), t.storage());
  EXPECT_FALSE(p.is_contiguous());
  EXPECT_DOUBLE_EQ(p.item(std::vector<int64_t>{3, 1, 2}), t.item(std::vector<int64_t>{1, 2, 3}));
  Tensor c = p.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_NE(c.storage(), t.storage());
  EXPECT_DOUBLE_EQ(c.item(std::vector<int64_t>{3, 1, 2}), t.item(std::vector<int64_t>{1, 2, 3}));
}

TEST(Tensor, SliceSelectExpand) {
  Tensor t = test::random_tensor({5, 7}, 2);
  Tensor s = t.slice(1, 2, 7, 2);
  EXPECT_EQ(s.shape(), (Shape{5, 3}));
  EXPECT_DOUBLE_EQ(s.item(std::vector<int64_t>{4, 2}), t.item(std::vector<int64_t>{4, 6}));
  Tensor r = t.select(0, 3);
  EXPECT_EQ(r.shape(), (Shape{7}));
  EXPECT_DOUBLE_EQ(r.item(std::vector<int64_t>{5}), t.item(std::vector<int64_t>{3, 5}));
  Tensor e = r.unsqueeze(0).expand({4, 7});
  EXPECT_EQ(e.stride(0), 0);
  EXPECT_DOUBLE_EQ(e.item(std::vector<int64_t>{3, 5}), t.item(std::vector<int64_t>{3, 5}));
}

TEST(Tensor, DtypeRoundTrip) {
  Tensor t = test::random_tensor({3, 5}, 3, -100, 100);
  Tensor h = t.to(DType::F16).to(DType::F32);
  Tensor b = t.to(DType::BF16).to(DType::F32);
  EXPECT_LT(test::compare(h, t).rel_l2, 1e-3);
  EXPECT_LT(test::compare(b, t).rel_l2, 1e-2);
  EXPECT_EQ(f16_to_f32(f32_to_f16(65504.0f)), 65504.0f);
  EXPECT_EQ(f16_to_f32(f32_to_f16(5.9604645e-8f)), 5.9604645e-8f);  // smallest subnormal
  EXPECT_EQ(bf16_to_f32(f32_to_bf16(1.0f)), 1.0f);
}

TEST(Tensor, ViewErrors) {
  Tensor t = test::random_tensor({2, 3}, 4);
  EXPECT_THROW(t.view({4, 2}), Error);
  EXPECT_THROW(t.transpose(0, 1).view({6}), Error);
  EXPECT_NO_THROW(t.transpose(0, 1).reshape({6}));
  EXPECT_THROW(t.select(0, 2), Error);
}

TEST(Arena, ReusesMemoryAfterWarmup) {
  Arena arena(size_t{4} << 20);
  ArenaScope scope(arena);
  auto pass = [] {
    Tensor a = Tensor::empty({1000, 100});
    Tensor b = Tensor::empty({300, 7});
    { Tensor c = Tensor::empty({2000, 300}); }
    Tensor d = Tensor::empty({10});
  };
  pass();
  const size_t chunks = arena.stats().chunk_allocations;
  for (int i = 0; i < 5; ++i) pass();
  EXPECT_EQ(arena.stats().chunk_allocations, chunks);
  EXPECT_EQ(arena.stats().bytes_in_use, 0u);
  arena.trim();
  EXPECT_EQ(arena.stats().bytes_reserved, 0u);
}

TEST(Arena, CoalescesFreedBlocks) {
  Arena arena(size_t{2} << 20);
  ArenaScope scope(arena);
  {
    std::vector<Tensor> many;
    for (int i = 0; i < 8; ++i) many.push_back(Tensor::empty({1 << 16}));  // 8 x 256 KiB = one chunk
  }
  const size_t chunks = arena.stats().chunk_allocations;
  Tensor big = Tensor::empty({1 << 19});  // 2 MiB: only fits if the blocks were merged
  EXPECT_EQ(arena.stats().chunk_allocations, chunks);
}

}  // namespace
}  // namespace ad
