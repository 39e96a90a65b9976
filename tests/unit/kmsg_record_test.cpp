// parse_kmsg_record / kmsg_record_json (src/common/kmsg_record.cpp). Records are copied from
// /dev/kmsg reads in a ktstr-vm guest (Debian 7.3.4 cloud kernel) unless noted.
#include "ktstr/kmsg_record.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ktstr {
namespace {

KmsgRecord parse_ok(std::string_view raw) {
  auto r = parse_kmsg_record(raw);
  EXPECT_TRUE(r.has_value()) << raw;
  return r.value_or(KmsgRecord{});
}

// A kernel record: PRI 3 is facility 0 (kernel), level 3 (err).
TEST(KmsgRecord, ParsesKernelRecord) {
  KmsgRecord r = parse_ok("3,355,4303614,-;sched_ext: BPF scheduler \"ktstr_test\" disabled (scx_bpf_error)\n");
  EXPECT_EQ(r.prio, 3);
  EXPECT_EQ(r.facility, 0);
  EXPECT_EQ(r.seq, 355u);
  EXPECT_EQ(r.ts_us, 4303614u);
  EXPECT_EQ(r.flags, "-");
  EXPECT_EQ(r.msg, "sched_ext: BPF scheduler \"ktstr_test\" disabled (scx_bpf_error)");
  EXPECT_TRUE(r.cont.empty());
}

// Lines written to /dev/kmsg by user space: facility 1 (user), with or without a <N> prefix.
TEST(KmsgRecord, SplitsPriIntoFacilityAndLevel) {
  KmsgRecord a = parse_ok("14,353,2230033,-;ktstr-init: clock reference boottime_ns=2218845824\n");
  EXPECT_EQ(a.facility, 1);
  EXPECT_EQ(a.prio, 6);
  KmsgRecord b = parse_ok("12,356,3066310,-;WARNING: fake from userspace\n");
  EXPECT_EQ(b.facility, 1);
  EXPECT_EQ(b.prio, 4);
  KmsgRecord c = parse_ok("5,0,0,-;Linux version 7.3.4+deb13-cloud-amd64\n");
  EXPECT_EQ(c.facility, 0);
  EXPECT_EQ(c.prio, 5);
  EXPECT_EQ(c.seq, 0u);
  EXPECT_EQ(c.ts_us, 0u);
}

// Device records carry SUBSYSTEM/DEVICE as continuation lines, each starting with a space.
TEST(KmsgRecord, CollectsContinuationLines) {
  KmsgRecord r = parse_ok(
      "4,178,871919,-;acpi PNP0A03:00: fail to add MMCONFIG information, can't access extended "
      "configuration space under this bridge\n SUBSYSTEM=acpi\n DEVICE=+acpi:PNP0A03:00\n");
  EXPECT_EQ(r.msg,
            "acpi PNP0A03:00: fail to add MMCONFIG information, can't access extended configuration "
            "space under this bridge");
  EXPECT_EQ(r.cont, (std::vector<std::string>{"SUBSYSTEM=acpi", "DEVICE=+acpi:PNP0A03:00"}));
}

// The kernel escapes control bytes, bytes >= 0x7f and '\' as \xNN; they come back as bytes.
TEST(KmsgRecord, UnescapesHexEscapes) {
  EXPECT_EQ(parse_ok("6,95,111497,-;rcu: \\x09RCU restricting CPUs from NR_CPUS=8192 to nr_cpu_ids=2.\n").msg,
            "rcu: \tRCU restricting CPUs from NR_CPUS=8192 to nr_cpu_ids=2.");
  // printf "<3>BUG: user with bytes \\ \t \303\251\n" > /dev/kmsg
  KmsgRecord r = parse_ok("11,357,3067348,-;BUG: user with bytes \\x5c \\x09 \\xc3\\xa9\n");
  EXPECT_EQ(r.msg, "BUG: user with bytes \\ \t \xc3\xa9");
  EXPECT_EQ(r.facility, 1);
  EXPECT_EQ(r.prio, 3);
  // An embedded newline (one printk with "\n" inside) and escapes in a continuation line.
  KmsgRecord m = parse_ok("4,9,10,-;=====\\x0aWARNING: two lines\n KEY=a\\x3db\\x00\n");
  EXPECT_EQ(m.msg, "=====\nWARNING: two lines");
  EXPECT_EQ(m.cont, std::vector<std::string>{std::string("KEY=a=b\0", 8)});
}

// Not produced by the kernel, but possible in fuzzed input: incomplete escapes stay literal.
TEST(KmsgRecord, KeepsIncompleteEscapesLiteral) {
  EXPECT_EQ(kmsg_unescape("a\\x4"), "a\\x4");
  EXPECT_EQ(kmsg_unescape("\\xZZ\\x41\\"), "\\xZZA\\");
  EXPECT_EQ(kmsg_unescape("\\X41\\x4g"), "\\X41\\x4g");
  EXPECT_EQ(kmsg_unescape("\\x4A\\x4a"), "JJ");
}

// Fields after FLAGS (CONFIG_PRINTK_CALLER's ",caller=T1") are ignored; FLAGS may be "c" or absent.
TEST(KmsgRecord, ToleratesHeaderVariants) {
  KmsgRecord a = parse_ok("6,7,8,-,caller=T123;hello\n");
  EXPECT_EQ(a.flags, "-");
  EXPECT_EQ(a.msg, "hello");
  EXPECT_EQ(parse_ok("6,7,8,c;frag").flags, "c");
  KmsgRecord b = parse_ok("6,7,8;no flags");  // and no trailing newline
  EXPECT_EQ(b.flags, "");
  EXPECT_EQ(b.msg, "no flags");
  EXPECT_EQ(parse_ok("6,1,2,-;a;b=c\n").msg, "a;b=c");  // only the first ';' ends the header
  EXPECT_EQ(parse_ok("6,1,2,-;\n").msg, "");
  // A line that does not start with a space is not a continuation line: skipped.
  EXPECT_EQ(parse_ok("6,1,2,-;m\nstray\n K=V\n").cont, std::vector<std::string>{"K=V"});
}

// The largest values each field holds.
TEST(KmsgRecord, AcceptsFieldMaxima) {
  KmsgRecord r = parse_ok("2147483647,18446744073709551615,18446744073709551615,-;x\n");
  EXPECT_EQ(r.seq, UINT64_MAX);
  EXPECT_EQ(r.ts_us, UINT64_MAX);
  EXPECT_EQ(r.prio, 7);
  EXPECT_EQ(r.facility, 2147483647 >> 3);
}

// Headers that are not PRI,SEQ,TS_US[,...]; give nullopt rather than a half-parsed record.
TEST(KmsgRecord, RejectsMalformedRecords) {
  for (std::string_view raw : {
           "",
           "\n",
           "6,1,2,- no semicolon\n",
           ";msg\n",
           "x,1,2,-;msg\n",
           "6,x,2,-;msg\n",
           "6,1,2x,-;msg\n",
           "6,1;msg\n",                             // TS_US missing
           "6,,2,-;msg\n",                          // empty SEQ
           "-1,1,2,-;msg\n",                        // sign
           "+6,1,2,-;msg\n",
           " 6,1,2,-;msg\n",                        // whitespace
           "6,18446744073709551616,2,-;msg\n",      // SEQ overflow
           "6,1,99999999999999999999,-;msg\n",      // TS_US overflow
           "2147483648,1,2,-;msg\n",                // PRI above INT_MAX
           "6\n,1,2,-;msg\n",                       // newline inside the header
       }) {
    EXPECT_FALSE(parse_kmsg_record(raw).has_value()) << '"' << raw << '"';
  }
}

// The KMSG frame value: fixed key order, json_str escaping, "cont" always present.
TEST(KmsgRecordJson, FormatsFrameValue) {
  KmsgRecord r = parse_ok("4,178,871919,-;acpi \"x\" \\x5c\\x09\\xc3\\xa9\n SUBSYSTEM=acpi\n");
  EXPECT_EQ(kmsg_record_json(r),
            "{\"prio\":4,\"facility\":0,\"seq\":178,\"ts_us\":871919,"
            "\"msg\":\"acpi \\\"x\\\" \\\\\\t\\u00c3\\u00a9\",\"cont\":[\"SUBSYSTEM=acpi\"]}");
  KmsgRecord e = parse_ok("14,1,2,-;plain\n");
  EXPECT_EQ(kmsg_record_json(e), "{\"prio\":6,\"facility\":1,\"seq\":1,\"ts_us\":2,\"msg\":\"plain\",\"cont\":[]}");
}

// Every byte value survives as valid JSON (a strict parser accepts it).
TEST(KmsgRecordJson, IsValidJsonForAnyBytes) {
  KmsgRecord r;
  for (int b = 0; b < 256; ++b) r.msg += char(b);
  r.cont.push_back(r.msg);
  nlohmann::json v = nlohmann::json::parse(kmsg_record_json(r));
  EXPECT_EQ(v["msg"].get<std::string>().size(), 128u + 128u * 2u);  // U+0080..U+00FF are 2 bytes
  EXPECT_EQ(v["cont"].size(), 1u);
}

}  // namespace
}  // namespace ktstr
