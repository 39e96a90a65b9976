// A session's output tree glue (src/host/vm/output_collector.cpp): the lane's stream into the
// receiver, DONE's account of the lane, COM2's tree counts, tree frames on two channels, and the
// report's `output` object.
#include "output_collector.hpp"
#include "output_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_util.hpp"

namespace fs = std::filesystem;
namespace w = ktstr::wire;
namespace l = ktstr::lane;
using ktstr::host::com2_tree_bytes_error;
using ktstr::host::lane_done_error;
using ktstr::host::OutputCollector;
using ktstr::test::ScratchDir;
using ktstr::test::slurp;
using nlohmann::json;

namespace {

// As the guest's JSON arrives: parsed from text (a non-negative number is unsigned then).
json g(const json& j) { return json::parse(j.dump()); }

// A tree of one file "f" holding "hello", as init sends it.
std::string tree_stream() {
  std::string s;
  l::append_frame(s, w::kFent, 0, 1, R"({"path":"f","kind":"file","mode":420,"size":5})");
  l::append_frame(s, w::kFdat, 1, 2, "hello");
  l::append_frame(s, w::kFend, 2, 3, R"({"files":1,"dirs":0,"symlinks":0,"bytes":5,"skipped":0,"cut":0,"changed":[]})");
  return s;
}

json done_with_lane(uint64_t frames, uint64_t fdat = 5) {
  json fent = 46, fend = 76;  // the values' sizes in tree_stream
  return g({{"exit_code", 0},
            {"bytes", {{"SOUT", 0}}},
            {"lane", {{"frames", frames}, {"bytes", {{"FENT", fent}, {"FDAT", fdat}, {"FEND", fend}}}}}});
}

TEST(OutputCollector, ATreeOnTheLaneArrivesWhole) {
  ScratchDir d("collector");
  OutputCollector c;
  c.take(d.path() + "/out", 1 << 20);
  std::string s = tree_stream();
  for (size_t i = 0; i < s.size(); i += 7) c.on_lane(std::string_view(s).substr(i, 7));
  c.finish(true);
  EXPECT_EQ(c.error(done_with_lane(3), {}), "");
  EXPECT_EQ(slurp(d.path() + "/out/f"), "hello");
  json r = c.report("");
  EXPECT_EQ(r["via"], "lane");
  EXPECT_EQ(r["complete"], true);
  EXPECT_EQ(r["files"], 1);
  EXPECT_EQ(r["dir"], d.path() + "/out");
  EXPECT_EQ(c.summary_lines(""), "ktstr-vm: output: 1 file (0.0 MB) -> " + d.path() + "/out\n");
}

// LACK goes back once, when FEND arrived on the lane (or the lane is damaged): the guest waits
// for it before DONE, since QEMU drops what it has not passed on when the guest reboots.
TEST(OutputCollector, AcksTheTreesEndOnce) {
  ScratchDir d("collector");
  OutputCollector c;
  c.take(d.path() + "/out", 1 << 20);
  std::string s = tree_stream();
  c.on_lane(s.substr(0, s.size() - 10));
  EXPECT_EQ(c.take_ack(), "");
  c.on_lane(s.substr(s.size() - 10));
  std::string ack = c.take_ack();
  std::vector<std::string> got;
  l::LaneDecoder back([&](const w::Frame& f) {
    got.push_back(std::string(f.type.view()) + " " + std::to_string(f.seq) + " " +
                  std::string(reinterpret_cast<const char*>(f.value.data()), f.value.size()));
  });
  back.feed(ack);
  back.finish();
  EXPECT_EQ(got, std::vector<std::string>{R"(LACK 0 {"frames":3})"});
  EXPECT_EQ(c.take_ack(), "");
}

TEST(OutputCollector, AcksADamagedLaneSoTheGuestGoesOn) {
  ScratchDir d("collector");
  OutputCollector c;
  c.take(d.path() + "/out", 1 << 20);
  c.on_lane(std::string(30, '\x01'));
  std::string ack = c.take_ack();
  EXPECT_NE(ack.find(R"({"frames":0,"error":"frame 0: the type is not four printable ASCII bytes"})"), std::string::npos) << ack;
}

TEST(OutputCollector, ALaneCountThatDiffersFromDoneIsAnError) {
  ScratchDir d("collector");
  OutputCollector c;
  c.take(d.path() + "/out", 1 << 20);
  c.on_lane(tree_stream());
  c.finish(true);
  EXPECT_EQ(c.error(done_with_lane(4), {}), "data lane: frames: the guest sent 4, the host received 3");
  EXPECT_EQ(c.error(done_with_lane(3, 6), {}), "data lane: FDAT bytes: the guest sent 6, the host received 5");
  json no_lane = {{"exit_code", 0}};
  EXPECT_EQ(c.error(no_lane, {}).rfind("data lane: ", 0), 0u);
  json gave_up = done_with_lane(3);
  gave_up["lane"]["error"] = "deadline";
  EXPECT_EQ(c.error(gave_up, {}), "data lane: the guest stopped writing: deadline");
  EXPECT_EQ(c.report(c.error(gave_up, {}))["complete"], false);
}

TEST(OutputCollector, ADamagedLaneIsAnError) {
  ScratchDir d("collector");
  OutputCollector c;
  c.take(d.path() + "/out", 1 << 20);
  std::string s = tree_stream();
  s[30] ^= 1;  // inside the first frame's value: its CRC fails
  c.on_lane(s);
  c.finish(true);
  EXPECT_EQ(c.error(done_with_lane(3), {}), "data lane: damaged: frame 0: bad CRC");
}

TEST(OutputCollector, ACutLaneIsAnError) {
  ScratchDir d("collector");
  OutputCollector c;
  c.take(d.path() + "/out", 1 << 20);
  std::string s = tree_stream();
  c.on_lane(s.substr(0, s.size() - 3));
  c.finish(true);
  EXPECT_EQ(c.error(done_with_lane(3), {}).rfind("data lane: truncated: ", 0), 0u) << c.error(done_with_lane(3), {});
}

TEST(OutputCollector, TreeFramesOnBothChannelsAreDamage) {
  ScratchDir d("collector");
  OutputCollector c;
  c.take(d.path() + "/out", 1 << 20);
  std::string s;
  l::append_frame(s, w::kFent, 0, 1, R"({"path":"a","kind":"dir","mode":493})");
  c.on_lane(s);
  std::string v = R"({"path":"b","kind":"dir","mode":493})";
  w::Frame f{w::kFent, 7, 0, {reinterpret_cast<const uint8_t*>(v.data()), v.size()}};
  c.on_com2_frame(f);
  c.finish(true);
  json done = g({{"exit_code", 0}, {"lane", {{"frames", 1}, {"bytes", {{"FENT", s.size() - 24}}}}},
                 {"bytes", {{"FENT", v.size()}}}});
  w::DecodeStats com2;
  com2.value_bytes["FENT"] = v.size();
  EXPECT_EQ(c.error(done, com2), "output tree: tree frames on both COM2 and the data lane");
  EXPECT_FALSE(fs::exists(d.path() + "/out/b"));
}

TEST(OutputCollector, AForeignFrameOnTheLaneIsAnError) {
  ScratchDir d("collector");
  OutputCollector c;
  c.take(d.path() + "/out", 1 << 20);
  std::string s;
  l::append_frame(s, w::kSout, 0, 1, "hi");
  c.on_lane(s);
  c.finish(false);
  json done = g({{"exit_code", 0}, {"lane", {{"frames", 1}, {"bytes", {{"SOUT", 2}}}}}});
  EXPECT_EQ(c.error(done, {}), "data lane: a SOUT frame (only the output tree rides the lane)");
}

TEST(OutputCollector, TreeFramesWithoutATreeAreAnError) {
  OutputCollector c;
  std::string v = "{}";
  w::Frame f{w::kFend, 0, 0, {reinterpret_cast<const uint8_t*>(v.data()), v.size()}};
  c.on_com2_frame(f);
  c.finish(true);
  EXPECT_EQ(c.error(g({{"exit_code", 0}, {"bytes", {{"FEND", 2}}}}), [] {
    w::DecodeStats s;
    s.value_bytes["FEND"] = 2;
    return s;
  }()), "output tree: 1 tree frames arrived, but no tree was asked for");
  EXPECT_TRUE(c.report("").is_null());
}

TEST(OutputCollector, ARunThatEndedEarlySaysWhyTheTreeIsNotWhole) {
  ScratchDir d("collector");
  OutputCollector c;
  c.take(d.path() + "/out", 1 << 20);
  std::string s = tree_stream();
  c.on_lane(s.substr(0, 100));
  c.finish(false);  // no DONE: the verdict has its own reason
  json r = c.report("");
  EXPECT_EQ(r["complete"], false);
  EXPECT_EQ(r["error"], "the run ended before the tree's end (no FEND)");
  OutputCollector none;
  none.take(d.path() + "/none", 1 << 20);
  none.finish(false);
  EXPECT_EQ(none.report("")["error"], "the run ended before the tree was sent");
}

TEST(OutputCollector, NoTreeAndNoLaneIsNoError) {
  OutputCollector c;
  c.finish(true);
  EXPECT_EQ(c.error({{"exit_code", 0}, {"bytes", {{"SOUT", 0}}}}, {}), "");
  EXPECT_EQ(c.summary_lines(""), "");
}

TEST(Com2TreeBytes, CountsMustMatchDone) {
  w::DecodeStats s;
  s.value_bytes["FDAT"] = 10;
  EXPECT_EQ(com2_tree_bytes_error(g({{"bytes", {{"FDAT", 10}}}}), s), "");
  EXPECT_EQ(com2_tree_bytes_error(g({{"bytes", {{"FDAT", 11}}}}), s),
            "output tree: FDAT bytes over COM2: the guest sent 11, the host received 10");
  EXPECT_EQ(com2_tree_bytes_error(g({{"bytes", {{"SOUT", 1}}}}), s),
            "output tree: FDAT bytes over COM2: the guest sent 0, the host received 10");
  EXPECT_EQ(com2_tree_bytes_error({{"bytes", {{"FENT", "x"}}}}, {}), "output tree: DONE's bytes.FENT is not a count");
}

TEST(LaneDone, NeitherSideUsedTheLane) {
  l::LaneDecoder d([](const w::Frame&) {});
  d.finish();
  EXPECT_EQ(lane_done_error({{"exit_code", 0}}, d), "");
  EXPECT_EQ(lane_done_error(g({{"lane", {{"frames", 2}, {"bytes", json::object()}}}}), d),
            "data lane: frames: the guest sent 2, the host received 0");
  EXPECT_EQ(lane_done_error({{"lane", 5}}, d), "data lane: DONE's lane is not an object");
}

TEST(OutputDir, RefusesFilesAndNonEmptyDirs) {
  ScratchDir d("outdir");
  using ktstr::host::output_dir_error;
  EXPECT_EQ(output_dir_error(d.path()), "");
  EXPECT_EQ(output_dir_error(d.path() + "/new/deeper"), "");
  std::ofstream(d.path() + "/file") << "x";
  EXPECT_EQ(output_dir_error(d.path() + "/file"), "--output " + d.path() + "/file: exists and is not a directory");
  EXPECT_TRUE(output_dir_error(d.path()).ends_with("not empty (ktstr-vm writes only into an empty or a new directory)"));
  EXPECT_EQ(output_dir_error(d.path() + "/file/sub"), "--output " + d.path() + "/file/sub: Not a directory");
  EXPECT_THROW(ktstr::host::open_output_dir(d.path()), std::runtime_error);
  auto fd = ktstr::host::open_output_dir(d.path() + "/made/here");
  EXPECT_TRUE(fd.valid());
  EXPECT_TRUE(fs::is_directory(d.path() + "/made/here"));
}

}  // namespace
