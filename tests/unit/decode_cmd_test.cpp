// `ktstr-vm decode` end to end through run_decode(): real capture files, stdout and stderr
// redirected to temp files, exit codes per docs/exit-codes.md.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "decode_cmd.hpp"
#include "ktstr/wire.hpp"

namespace w = ktstr::wire;
using ktstr::host::DecodeOptions;
using ktstr::host::run_decode;

namespace {

using Bytes = std::vector<uint8_t>;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A temp directory holding the capture, removed with the test.
class DecodeCmd : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ktstr_decode_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void add(w::Tag type, std::string_view value) { add(type, seq_++, value); }
  void add(w::Tag type, uint32_t seq, std::string_view value) {
    Bytes out(w::max_encoded_size(value.size()));
    out.resize(w::encode_frame(out.data(), out.size(), type, seq, 1000000000ull * (seq + 1),
                               value.data(), value.size()));
    capture_.insert(capture_.end(), out.begin(), out.end());
  }
  std::string write_capture() {
    std::string path = dir_ + "/com2.bin";
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(capture_.data()), std::streamsize(capture_.size()));
    return path;
  }

  // Runs the subcommand with fd 1 and fd 2 sent to files; fills out_ and err_.
  int run(DecodeOptions opts) {
    if (opts.input.empty()) opts.input = write_capture();
    std::fflush(stdout);
    std::fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    int fo = open((dir_ + "/out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int fe = open((dir_ + "/err").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    dup2(fo, 1);
    dup2(fe, 2);
    int rc = run_decode(opts);
    std::fflush(stdout);
    std::fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    for (int fd : {fo, fe, saved_out, saved_err}) close(fd);
    out_ = slurp(dir_ + "/out");
    err_ = slurp(dir_ + "/err");
    return rc;
  }

  std::string dir_, out_, err_;
  Bytes capture_;
  uint32_t seq_ = 0;
};

DecodeOptions stream(std::string name) {
  DecodeOptions o;
  o.input.clear();
  o.stream = std::move(name);
  return o;
}

DecodeOptions json() {
  DecodeOptions o;
  o.input.clear();
  o.json = true;
  return o;
}

DecodeOptions text() {
  DecodeOptions o;
  o.input.clear();
  return o;
}

}  // namespace

// A complete capture: exit 0, text lines on stdout, the summary on stderr.
TEST_F(DecodeCmd, CleanCaptureExitsZero) {
  add(w::kHelo, R"({"proto":1})");
  add(w::kSout, "hello\n");
  add(w::kDone, R"({"exit_code":0})");
  EXPECT_EQ(run(text()), 0) << err_;
  EXPECT_EQ(out_, "[   1.000000] #0 HELO {\"proto\":1}\nSOUT| hello\n"
                  "[   3.000000] #2 DONE {\"exit_code\":0}\n");
  EXPECT_NE(err_.find("3 frames, 0 corrupt, 0 lost, DONE seen"), std::string::npos) << err_;
}

// --stream SOUT writes exactly the SOUT bytes (every byte value, across frames) and nothing else.
TEST_F(DecodeCmd, StreamOutputIsByteExact) {
  std::string all;
  for (int i = 0; i < 256 * 3; ++i) all += char(i);
  add(w::kHelo, "{}");
  add(w::kSout, std::string_view(all).substr(0, 300));
  add(w::kSerr, "not this\n");
  add(w::kSout, std::string_view(all).substr(300));
  add(w::kSlog, "nor this\n");
  add(w::kDone, R"({"exit_code":0})");
  EXPECT_EQ(run(stream("SOUT")), 0) << err_;
  EXPECT_EQ(out_, all);
  EXPECT_EQ(run(stream("SERR")), 0) << err_;
  EXPECT_EQ(out_, "not this\n");
}

// No DONE frame: exit 1 and the reason on stderr.
TEST_F(DecodeCmd, MissingDoneExitsOne) {
  add(w::kHelo, "{}");
  add(w::kSout, "partial");
  EXPECT_EQ(run(text()), 1);
  EXPECT_NE(err_.find("no DONE frame: capture truncated"), std::string::npos) << err_;
  EXPECT_NE(out_.find("SOUT| partial\n"), std::string::npos) << out_;  // flushed at the end
}

// A corrupt frame and a seq gap: exit 1, the count and the missing seqs on stderr.
TEST_F(DecodeCmd, DamageExitsOneAndListsLostSeqs) {
  add(w::kHelo, "{}");
  size_t at = capture_.size();
  add(w::kSout, "damaged\n");
  capture_[at + 10] ^= 0x04;
  add(w::kSout, "ok\n");
  add(w::kBeat, 6, "{}");  // seq 3, 4, 5 never sent
  add(w::kDone, 7, "{}");
  EXPECT_EQ(run(stream("SOUT")), 1);
  EXPECT_EQ(out_, "ok\n");
  EXPECT_NE(err_.find("lost seq 1\n"), std::string::npos) << err_;
  EXPECT_NE(err_.find("lost seq 3-5\n"), std::string::npos) << err_;
  EXPECT_NE(err_.find("1 corrupt frames"), std::string::npos) << err_;
  EXPECT_NE(err_.find("4 lost frames"), std::string::npos) << err_;
}

// A capture cut inside its last frame: exit 1 with the truncation named.
TEST_F(DecodeCmd, TruncatedCaptureExitsOne) {
  add(w::kHelo, "{}");
  add(w::kDone, "{}");
  capture_.resize(capture_.size() - 3);
  EXPECT_EQ(run(json()), 1);
  EXPECT_NE(err_.find("last frame cut off"), std::string::npos) << err_;
}

// --json: one parseable object per frame; an invalid control value is shown raw and warned about,
// and does not by itself make the capture unclean.
TEST_F(DecodeCmd, JsonWritesOneObjectPerFrame) {
  add(w::kHelo, R"({"proto":1})");
  add(w::kPhas, "broken{");
  add(w::kSerr, "\xff\xfe");
  add(w::kDone, R"({"exit_code":0})");
  EXPECT_EQ(run(json()), 0) << err_;
  std::vector<nlohmann::json> lines;
  std::istringstream in(out_);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["value"]["proto"], 1);
  EXPECT_EQ(lines[1]["invalid_json"], true);
  EXPECT_EQ(lines[1]["value"], "broken{");
  EXPECT_EQ(lines[2]["encoding"], "base64");
  EXPECT_EQ(lines[3]["type"], "DONE");
  EXPECT_EQ(lines[3]["seq"], 3);
  EXPECT_NE(err_.find("warning: #1 PHAS"), std::string::npos) << err_;
}

// An input that cannot be opened exits 2 with the call, path and errno.
TEST_F(DecodeCmd, MissingInputExitsTwo) {
  DecodeOptions o;
  o.input = dir_ + "/does-not-exist";
  EXPECT_EQ(run(o), 2);
  EXPECT_NE(err_.find("open " + o.input + ": No such file or directory (errno 2)"),
            std::string::npos)
      << err_;
}

// An unknown --stream name, or --stream with --json, is a usage error (exit 2), stdout untouched.
TEST_F(DecodeCmd, BadOptionsExitTwo) {
  add(w::kDone, "{}");
  EXPECT_EQ(run(stream("SCHD")), 2);
  EXPECT_EQ(out_, "");
  DecodeOptions both = stream("SOUT");
  both.json = true;
  EXPECT_EQ(run(both), 2);
}

// An empty capture is not a run: exit 1.
TEST_F(DecodeCmd, EmptyCaptureExitsOne) {
  EXPECT_EQ(run(text()), 1);
  EXPECT_NE(err_.find("0 frames"), std::string::npos) << err_;
}

// "Exit 0 only for a complete, clean capture" holds for duplicated and
// out-of-order frames, unknown frame types and frames after DONE too; each is named.
TEST_F(DecodeCmd, DuplicateFrameExitsOne) {
  add(w::kHelo, 0, R"({"proto":1})");
  add(w::kSout, 1, "a");
  add(w::kSout, 1, "a");
  add(w::kDone, 2, R"({"exit_code":0})");
  EXPECT_EQ(run(text()), 1) << err_;
  EXPECT_NE(err_.find("1 duplicate frames"), std::string::npos) << err_;
}

TEST_F(DecodeCmd, OutOfOrderFrameExitsOne) {
  add(w::kHelo, 0, R"({"proto":1})");
  add(w::kSout, 2, "b");
  add(w::kSout, 1, "a");
  add(w::kDone, 3, R"({"exit_code":0})");
  EXPECT_EQ(run(text()), 1) << err_;
  EXPECT_NE(err_.find("capture not clean: 1 frames out of order\n"), std::string::npos) << err_;
  EXPECT_EQ(err_.find("lost seq"), std::string::npos) << err_;  // both frames are there
  EXPECT_NE(err_.find(", 0 lost,"), std::string::npos) << err_;
}

TEST_F(DecodeCmd, UnknownTypeExitsOne) {
  add(w::kHelo, R"({"proto":1})");
  add(w::make_tag("ZZZZ"), "?");
  add(w::kDone, R"({"exit_code":0})");
  EXPECT_EQ(run(text()), 1) << err_;
  EXPECT_NE(err_.find("1 frames of unknown type"), std::string::npos) << err_;
}

TEST_F(DecodeCmd, FrameAfterDoneExitsOne) {
  add(w::kHelo, R"({"proto":1})");
  add(w::kDone, R"({"exit_code":0})");
  add(w::kSout, "late");
  EXPECT_EQ(run(text()), 1) << err_;
  EXPECT_NE(err_.find("1 frames after DONE"), std::string::npos) << err_;
}

// Red-team N118: --stream writes the stream as the guest sent it once: a duplicated frame and
// anything after DONE are left out (and still make the capture unclean).
TEST_F(DecodeCmd, StreamLeavesOutDuplicatesAndFramesAfterDone) {
  add(w::kHelo, 0, R"({"proto":1})");
  add(w::kSout, 1, "hi\n");
  add(w::kSout, 1, "hi\n");
  add(w::kDone, 2, R"({"exit_code":0,"bytes":{"SOUT":3}})");
  add(w::kSout, 3, "late\n");
  EXPECT_EQ(run(stream("SOUT")), 1) << err_;
  EXPECT_EQ(out_, "hi\n");
  EXPECT_NE(err_.find("1 duplicate frames"), std::string::npos) << err_;
  EXPECT_NE(err_.find("1 frames after DONE"), std::string::npos) << err_;
}

// The same capture twice in one file: the second copy is all duplicates after DONE.
TEST_F(DecodeCmd, StreamOfACaptureTwiceIsWrittenOnce) {
  add(w::kHelo, R"({"proto":1})");
  add(w::kSout, "one\n");
  add(w::kSout, "two\n");
  add(w::kDone, R"({"exit_code":0,"bytes":{"SOUT":8}})");
  Bytes once = capture_;
  capture_.insert(capture_.end(), once.begin(), once.end());
  EXPECT_EQ(run(stream("SOUT")), 1) << err_;
  EXPECT_EQ(out_, "one\ntwo\n");
  EXPECT_NE(err_.find("4 frames after DONE"), std::string::npos) << err_;
}

// A DONE that carries every field of docs/protocol.md, of the right types and with counts that
// match, is clean.
TEST_F(DecodeCmd, WellFormedDoneIsClean) {
  add(w::kHelo, R"({"proto":1})");
  add(w::kSout, "out\n");
  add(w::kSerr, "e");
  add(w::kDone, R"({"exit_code":3,"reason":"why","frames":3,"bytes":{"HELO":12,"SOUT":4,"SERR":1},)"
                R"("timings_ms":{"init_start":1,"done":9}})");
  EXPECT_EQ(run(text()), 0) << err_;
}

// Red-team F9/N123: a DONE frame the host cannot read is not a clean capture (run calls it 125).
TEST_F(DecodeCmd, BadDoneValueExitsOne) {
  struct Case {
    const char* value;
    const char* why;
  };
  for (Case c : {Case{"not json", "DONE frame: value is not a JSON object"},
                 Case{"[0]", "DONE frame: value is not a JSON object"},
                 Case{"{}", "DONE frame: exit_code is missing or not a number 0-255"},
                 Case{R"({"exit_code":"zero"})", "DONE frame: exit_code is missing or not a number"},
                 Case{R"({"exit_code":256})", "DONE frame: exit_code is missing or not a number"},
                 Case{R"({"exit_code":-1})", "DONE frame: exit_code is missing or not a number"},
                 Case{R"({"exit_code":0,"reason":5})", "DONE frame: reason is not a string"},
                 Case{R"({"exit_code":0,"frames":"x"})", "DONE frame: frames is not a count"},
                 Case{R"({"exit_code":0,"bytes":"x"})", "DONE frame: bytes is not an object"},
                 Case{R"({"exit_code":0,"bytes":{"SOUT":"x"}})", "DONE frame: bytes.SOUT is not a count"},
                 Case{R"({"exit_code":0,"timings_ms":{"done":-3}})",
                      "DONE frame: timings_ms.done is not a count"}}) {
    capture_.clear();
    seq_ = 0;
    add(w::kHelo, R"({"proto":1})");
    add(w::kDone, c.value);
    EXPECT_EQ(run(text()), 1) << c.value << "\n" << err_;
    EXPECT_NE(err_.find(c.why), std::string::npos) << c.value << "\n" << err_;
  }
}

// DONE's byte counts are checked against the stream bytes that arrived, as `run` checks them.
TEST_F(DecodeCmd, DoneByteCountMismatchExitsOne) {
  add(w::kHelo, R"({"proto":1})");
  add(w::kSout, "hi");
  add(w::kDone, R"({"exit_code":0,"bytes":{"SOUT":3}})");
  EXPECT_EQ(run(stream("SOUT")), 1) << err_;
  EXPECT_EQ(out_, "hi");
  EXPECT_NE(err_.find("DONE frame: SOUT bytes: guest sent 3, capture holds 2"), std::string::npos)
      << err_;
}
