// PROG/STAT frames into the report's `scheduler` section: values, deltas, totals, and guest
// values of the wrong kind counted and skipped, never thrown.
#include <gtest/gtest.h>

#include "sched_telemetry.hpp"

using ktstr::host::SchedTelemetry;
using nlohmann::json;

namespace {

json programs() {
  return json::parse(R"({"programs":[
    {"id":7,"name":"simple_enqueue","type":"struct_ops","verified_insns":120,"jited_len":300,"xlated_len":400,"held_by_scheduler":true},
    {"id":8,"name":"simple_dispatch","type":"struct_ops","verified_insns":30,"jited_len":90,"xlated_len":100,"held_by_scheduler":true},
    {"id":9,"name":"simple_dispatch","type":"struct_ops","verified_insns":5}],
    "run_stats":"on"})");
}

}  // namespace

TEST(SchedTelemetry, ProgramsSamplesDeltasAndTotals) {
  SchedTelemetry t;
  t.on_programs(programs(), 100);
  t.on_sample(json::parse(R"({"sample":0,"why":"attach","events":{"SCX_EV_A":1,"SCX_EV_B":0},
                              "sched_ext":{"nr_rejected":0,"enable_seq":1},"progs":[[7,10,1000],[8,5,50]]})"), 110);
  t.on_sample(json::parse(R"({"sample":1,"why":"final","events":{"SCX_EV_A":4,"SCX_EV_B":0},
                              "sched_ext":{"nr_rejected":2,"enable_seq":1},"progs":[[7,30,6000],[8,9,90]]})"), 900);
  ASSERT_EQ(t.programs().size(), 3u);
  EXPECT_EQ(t.programs()[2].key, "simple_dispatch#2");  // a repeated name stays distinct
  EXPECT_EQ(t.total_verified_insns(), 155u);
  json r = t.report();
  EXPECT_EQ(r["programs"][0]["run_cnt"], 30);
  EXPECT_EQ(r["programs"][0]["run_time_ns"], 6000);
  EXPECT_DOUBLE_EQ(r["programs"][0]["avg_ns"].get<double>(), 200.0);
  EXPECT_EQ(r["events"]["available"], true);
  EXPECT_EQ(r["events"]["final"]["SCX_EV_A"], 4);
  ASSERT_EQ(r["events"]["samples"].size(), 2u);
  EXPECT_EQ(r["events"]["samples"][0]["delta"]["SCX_EV_A"], 1);
  EXPECT_EQ(r["events"]["samples"][1]["delta"]["SCX_EV_A"], 3);
  EXPECT_EQ(r["sched_ext"]["nr_rejected"], 2);
  EXPECT_EQ(r["totals"]["run_cnt"], 39);
  EXPECT_EQ(r["totals"]["SCX_EV_A"], 4);
  EXPECT_FALSE(r["totals"].contains("SCX_EV_B"));  // only non-zero counters are totals
  std::string table = t.summary_table();
  EXPECT_NE(table.find("simple_enqueue"), std::string::npos) << table;
  EXPECT_NE(table.find("total verified insns: 155"), std::string::npos) << table;
  EXPECT_NE(table.find("SCX_EV_A 4"), std::string::npos) << table;
  EXPECT_EQ(table.find("SCX_EV_B"), std::string::npos) << table;
}

// A kernel without root/events: the note is carried, nothing is invented.
TEST(SchedTelemetry, EventsNotAvailable) {
  SchedTelemetry t;
  t.on_sample(json::parse(R"J({"why":"attach","events":null,"events_note":"not available: /sys/kernel/sched_ext/root/events: No such file or directory (errno 2)","progs":[]})J"), 1);
  json r = t.report();
  EXPECT_EQ(r["events"]["available"], false);
  EXPECT_NE(r["events"]["note"].get<std::string>().find("not available"), std::string::npos);
  EXPECT_NE(t.summary_table().find("not available"), std::string::npos);
}

// Wrong kinds, negative numbers, floats, bad rows: skipped and counted.
TEST(SchedTelemetry, UntrustedFieldsAreChecked) {
  SchedTelemetry t;
  t.on_programs(json::parse(R"({"programs":[{"id":"7","name":"x"},{"id":1,"name":5},{"id":2,"name":"ok","verified_insns":-3},7]})"), 0);
  ASSERT_EQ(t.programs().size(), 1u);
  EXPECT_EQ(t.programs()[0].name, "ok");
  EXPECT_EQ(t.programs()[0].verified_insns, 0u);
  t.on_programs(programs(), 0);  // a second inventory is not trusted over the first
  EXPECT_EQ(t.programs().size(), 1u);
  t.on_sample(json::parse(R"({"events":{"A":-1,"B":1.5,"C":"3","D":2},"progs":[[2,1],[2,"a",3],{"x":1},[2,4,8]]})"), 5);
  json r = t.report();
  EXPECT_EQ(r["events"]["final"], json({{"D", 2}}));
  EXPECT_EQ(r["programs"][0]["run_cnt"], 4);
  EXPECT_GE(r["malformed_fields"].get<uint64_t>(), 10u);
}
