// `ktstr-vm cache list|clear` on a private KTSTR_CACHE: the table and the JSON name each snapshot,
// clear says what it removed and how much, keeps one in use, and leaves foreign files alone.
#include "cache_cmd.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "run_ktstr_vm.hpp"
#include "snapshot_cache.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using ktstr::host::SnapshotCache;
using ktstr::test::ScratchDir;
using ktstr::unittest::run_ktstr_vm;

namespace {

void make(SnapshotCache& c, const std::string& text, const std::string& kernel, size_t bytes) {
  auto b = c.begin(text, {{"kernel", kernel}, {"shape", "1,1,2,1 1024M"}});
  ASSERT_TRUE(b);
  std::ofstream(b->snapshot(), std::ios::binary) << std::string(bytes, 's');
  std::ofstream(b->base_cpio(), std::ios::binary) << "cpio";
  b->publish();
}

}  // namespace

TEST(CacheCmd, ListClearAndJson) {
  ScratchDir d("ktstr-cachecmd");
  std::string env = "KTSTR_CACHE=" + d.path();
  auto [st, out] = run_ktstr_vm("cache list", env);
  EXPECT_EQ(st, 0);
  EXPECT_EQ(out, "no snapshots in " + d.path() + "/snapshots\n");

  SnapshotCache c(d.path() + "/snapshots", 1ull << 30);
  make(c, "guest A", "6.12.0-a", 3 << 20);
  make(c, "guest B", "6.12.0-b", 1 << 20);
  std::ofstream(c.root() + "/my-notes.txt") << "mine";

  std::tie(st, out) = run_ktstr_vm("cache list", env);
  EXPECT_EQ(st, 0) << out;
  EXPECT_NE(out.find("KEY"), std::string::npos) << out;
  EXPECT_NE(out.find(ktstr::host::snapshot_key("guest A").substr(0, 12)), std::string::npos) << out;
  EXPECT_NE(out.find("6.12.0-b"), std::string::npos) << out;
  EXPECT_NE(out.find("3.0 MiB"), std::string::npos) << out;
  EXPECT_NE(out.find("2 snapshots, 4.0 MiB of the 4.00 GiB cap"), std::string::npos) << out;

  std::tie(st, out) = run_ktstr_vm("cache list --json", env + " KTSTR_SNAPSHOT_CACHE_MB=100");
  EXPECT_EQ(st, 0) << out;
  nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["dir"], c.root());
  EXPECT_EQ(j["cap_bytes"], 100u << 20);
  ASSERT_EQ(j["snapshots"].size(), 2u);
  EXPECT_EQ(j["snapshots"][0]["key"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["total_bytes"], j["snapshots"][0]["bytes"].get<uint64_t>() + j["snapshots"][1]["bytes"].get<uint64_t>());
  EXPECT_TRUE(j["snapshots"][0]["meta"].contains("key_text"));

  std::tie(st, out) = run_ktstr_vm("cache list", env + " KTSTR_SNAPSHOT_CACHE_MB=lots");
  EXPECT_EQ(st, 125);
  EXPECT_NE(out.find("KTSTR_SNAPSHOT_CACHE_MB=lots: not a whole number"), std::string::npos) << out;

  {
    auto in_use = c.open("guest B");  // held by "another run" while clear goes
    ASSERT_TRUE(in_use);
    std::tie(st, out) = run_ktstr_vm("cache clear", env);
    EXPECT_EQ(st, 0) << out;
    EXPECT_NE(out.find("removed 1 snapshot (3.0 MiB) from " + c.root()), std::string::npos) << out;
    EXPECT_NE(out.find("kept 1 snapshot in use"), std::string::npos) << out;
  }
  std::tie(st, out) = run_ktstr_vm("cache clear", env);
  EXPECT_EQ(st, 0) << out;
  EXPECT_NE(out.find("removed 1 snapshot (1.0 MiB)"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(c.root() + "/my-notes.txt"));
  EXPECT_TRUE(c.list().empty());

  std::tie(st, out) = run_ktstr_vm("cache", env);
  EXPECT_EQ(st, 2) << out;  // a subcommand is required: usage error
}
