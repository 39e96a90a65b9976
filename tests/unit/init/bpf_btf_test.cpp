// Names from raw BTF (src/init/bpf_btf.cpp): found by type id past types of every size, and ""
// for any malformed input rather than a read out of bounds.
#include <gtest/gtest.h>

#include <cstring>

#include "bpf_btf.hpp"

using ktstr::init::bpf::btf_type_name;

namespace {

// Raw BTF in the host's byte order: a header (24 bytes, or 32 with a layout section), the types,
// the strings, then the layout section if any.
class BtfBuilder {
 public:
  // A type: name offset, kind and vlen, size/type, then `extra` bytes of kind-specific data.
  BtfBuilder& type(uint32_t name_off, uint32_t kind, uint32_t vlen, size_t extra) {
    put(types_, name_off);
    put(types_, kind << 24 | vlen);
    put(types_, 4);
    types_.append(extra, '\0');
    return *this;
  }
  BtfBuilder& strings(const std::string& s) {
    strings_ = s;
    return *this;
  }
  // Sizes of kinds 0..N for readers that do not know a kind: info bytes and bytes per vlen.
  BtfBuilder& layout(uint32_t kind, uint8_t info_sz, uint8_t elem_sz) {
    if (layout_.size() < (kind + 1) * 4) layout_.resize((kind + 1) * 4, '\0');
    layout_[kind * 4] = char(info_sz);
    layout_[kind * 4 + 1] = char(elem_sz);
    return *this;
  }
  std::string bytes() const {
    uint32_t hdr = layout_.empty() ? 24 : 32;
    std::string d;
    d += "\x9f\xeb\x01";
    d += '\0';
    put(d, hdr);
    put(d, 0);
    put(d, uint32_t(types_.size()));
    put(d, uint32_t(types_.size()));
    put(d, uint32_t(strings_.size()));
    if (!layout_.empty()) {
      put(d, uint32_t(types_.size() + strings_.size()));
      put(d, uint32_t(layout_.size()));
    }
    return d + types_ + strings_ + layout_;
  }

 private:
  static void put(std::string& d, uint32_t v) { d.append(reinterpret_cast<const char*>(&v), 4); }
  std::string types_, strings_, layout_;
};

using namespace std::string_literals;
const std::string kStrings = "\0int\0pair\0ktstr_test_enqueue_with_a_long_name\0"s;

// id 1 INT (4 bytes of encoding), id 2 STRUCT with 2 members (12 bytes each), id 3 FUNC.
BtfBuilder three_types() {
  BtfBuilder b;
  b.type(1, 1, 0, 4).type(5, 4, 2, 24).type(10, 12, 0, 0).strings(kStrings);
  return b;
}

}  // namespace

TEST(BtfTypeName, FindsEachTypeByIdPastTheSizesOfTheOnesBefore) {
  std::string d = three_types().bytes();
  EXPECT_EQ(btf_type_name(d, 1), "int");
  EXPECT_EQ(btf_type_name(d, 2), "pair");
  EXPECT_EQ(btf_type_name(d, 3), "ktstr_test_enqueue_with_a_long_name");  // longer than the kernel's 15
}

TEST(BtfTypeName, AnIdOutOfRangeHasNoName) {
  std::string d = three_types().bytes();
  EXPECT_EQ(btf_type_name(d, 0), "");  // id 0 is void
  EXPECT_EQ(btf_type_name(d, 4), "");
}

TEST(BtfTypeName, MalformedDataHasNoName) {
  std::string d = three_types().bytes();
  std::string bad_magic = d;
  bad_magic[0] = 0;
  EXPECT_EQ(btf_type_name(bad_magic, 1), "");
  EXPECT_EQ(btf_type_name(d.substr(0, 23), 1), "");               // shorter than a header
  EXPECT_EQ(btf_type_name(d.substr(0, d.size() - 1), 1), "");     // strings cut short
  EXPECT_EQ(btf_type_name(std::string_view(), 1), "");
  std::string name_beyond = BtfBuilder().type(100, 1, 0, 4).strings(kStrings).bytes();
  EXPECT_EQ(btf_type_name(name_beyond, 1), "");
  std::string huge_hdr = d;
  huge_hdr[4] = '\xff';
  EXPECT_EQ(btf_type_name(huge_hdr, 1), "");
}

TEST(BtfTypeName, AnUnknownKindIsSkippedOnlyWithALayoutSection) {
  // Kind 25 (unknown here) with 4 info bytes and 8 bytes per vlen element, then the FUNC.
  BtfBuilder b;
  b.type(1, 25, 2, 4 + 2 * 8).type(10, 12, 0, 0).strings(kStrings);
  EXPECT_EQ(btf_type_name(b.bytes(), 2), "");
  b.layout(25, 4, 8);
  EXPECT_EQ(btf_type_name(b.bytes(), 2), "ktstr_test_enqueue_with_a_long_name");
  EXPECT_EQ(btf_type_name(b.bytes(), 1), "int");  // the unknown type's own name still reads
}
