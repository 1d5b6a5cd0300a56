// assign_streams on hand-made step lists: chains stay on a stream, fan-outs
// open streams, and collectives get a communication stream of their own that
// overlaps the compute streams and that no compute step continues.
#include "cutrain/graph/stream_assignment.h"

#include <gtest/gtest.h>

#include "cutrain/core/error.h"

namespace cutrain::graph {
namespace {

TEST(StreamAssignment, ChainsStayFanOutsOpenStreams) {
  // 0 -> {1, 2} -> 3
  const StreamAssignment a = assign_streams({{}, {0}, {0}, {1, 2}}, {1, 1, 1, 1}, 4);
  EXPECT_EQ(a.num_streams, 2);
  EXPECT_EQ(a.stream, (std::vector<int>{0, 0, 1, 0}));
  EXPECT_EQ(a.waits[2], (std::vector<int>{0}));
  EXPECT_EQ(a.waits[3], (std::vector<int>{2}));
  EXPECT_TRUE(a.happens_before(0, 3));
  EXPECT_FALSE(a.happens_before(1, 2));
}

// A backward pass with two gradient buckets: compute 0, 2, 4 (gradients),
// bucket all-reduces 1 (after 0) and 3 (after 2 and after bucket 1), and
// the update 5 after both the last compute and the last bucket.
TEST(StreamAssignment, CollectivesRunOnTheirOwnStreamBesideTheBackwardPass) {
  const std::vector<std::vector<int>> deps{{}, {0}, {0}, {1, 2}, {2}, {3, 4}};
  const std::vector<char> comm{0, 1, 0, 1, 0, 0};
  const StreamAssignment a = assign_streams(deps, std::vector<double>(6, 1.0), 1, comm);
  EXPECT_EQ(a.num_streams, 2);
  EXPECT_EQ(a.stream, (std::vector<int>{0, 1, 0, 1, 0, 0}));
  // The first bucket overlaps the compute that follows its gradients.
  EXPECT_FALSE(a.happens_before(1, 2));
  EXPECT_FALSE(a.happens_before(2, 1));
  EXPECT_FALSE(a.happens_before(1, 4));
  // Buckets keep their order; the update follows everything.
  EXPECT_TRUE(a.happens_before(1, 3));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(a.happens_before(i, 5)) << "step " << i;
  EXPECT_EQ(a.waits[1], (std::vector<int>{0}));
  EXPECT_EQ(a.waits[3], (std::vector<int>{2}));
  EXPECT_EQ(a.waits[5], (std::vector<int>{3}));
}

TEST(StreamAssignment, ConsumersOfACollectiveDoNotContinueItsStream) {
  // 0 compute, 1 collective, 2 uses only 1: it must go to a compute stream.
  const StreamAssignment a = assign_streams({{}, {0}, {1}}, {1, 1, 1}, 2, {0, 1, 0});
  EXPECT_NE(a.stream[2], a.stream[1]);
  EXPECT_EQ(a.num_streams, 3);
  EXPECT_TRUE(a.happens_before(1, 2));
  // Without collectives nothing changes: the same list with no flags.
  const StreamAssignment b = assign_streams({{}, {0}, {1}}, {1, 1, 1}, 2);
  EXPECT_EQ(b.stream, (std::vector<int>{0, 0, 0}));
  EXPECT_THROW(assign_streams({{}, {0}}, {1, 1}, 1, {1}), Error);
}

}  // namespace
}  // namespace cutrain::graph
