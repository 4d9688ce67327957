#include "core/mux/recent_frames.h"

#include "gtest/gtest.h"

namespace hvsock {
namespace {

using D = RecentFrame::Direction;

TEST(RecentFrames, KeepsTheLastFramesOldestFirst) {
  RecentFrames ring(2);
  ring.Record(D::kSent, MuxFrame::Close(1));
  ring.Record(D::kReceived, MuxFrame::Window(9, 8888888));
  ring.Record(D::kSent, MuxFrame::Data(3, 100));
  std::vector<RecentFrame> frames = ring.Snapshot();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0],
            (RecentFrame{D::kReceived, MuxCommand::kWindow, 9, 8888888}));
  EXPECT_EQ(frames[1], (RecentFrame{D::kSent, MuxCommand::kData, 3, 100}));
  EXPECT_EQ(ring.Dump(), "recv Window 9 8888888\nsend Data 3 100\n");
  EXPECT_EQ(ring.recorded(), 3u);
}

TEST(RecentFrames, ZeroCapacityRecordsNothing) {
  RecentFrames ring(0);
  ring.Record(D::kSent, MuxFrame::Close(1));
  EXPECT_TRUE(ring.Snapshot().empty());
}

}  // namespace
}  // namespace hvsock
