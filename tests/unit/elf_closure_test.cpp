// The ELF closure: the libraries found for a program are the ones the host's loader loads (as
// `ldd` reports them), and bad programs are refused with the binary and the library named.
#include <gtest/gtest.h>

#include <elf.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "elf_closure.hpp"

namespace fs = std::filesystem;
using namespace ktstr::host;

namespace {

std::string cache_dir() {
  if (const char* c = std::getenv("KTSTR_CACHE"); c && *c) return c;
  return std::string(std::getenv("HOME") ? std::getenv("HOME") : "/root") + "/.cache/ktstr-init";
}

// The files `ldd` says the loader maps for `exe` (interpreter and libraries; not the vDSO).
std::set<std::string> ldd_files(const std::string& exe) {
  std::set<std::string> out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(("ldd '" + exe + "' 2>&1").c_str(), "r"), ::pclose);
  char buf[1024];
  while (p && std::fgets(buf, sizeof buf, p.get())) {
    std::string l(buf);
    size_t arrow = l.find("=> ");
    std::string path = arrow != std::string::npos ? l.substr(arrow + 3) : l.substr(l.find_first_not_of(" \t"));
    path = path.substr(0, path.find(" ("));
    if (!path.empty() && path[0] == '/') out.insert(fs::path(path).lexically_normal().string());
  }
  return out;
}

std::set<std::string> closure_files(const std::string& exe) {
  std::set<std::string> out;
  for (const Resolved& r : resolve_libraries(exe, LoaderEnv::from_host()))
    out.insert(fs::path(r.host_path).lexically_normal().string());
  return out;
}

std::string origin_prog() { return std::string(KTSTR_DYN_DIR) + "/origin/bin/origin_prog"; }

// An ELF header only (no program headers): enough for libelf, and for the loader to refuse it.
std::string elf_header_file(const std::string& name, unsigned char cls, uint16_t machine) {
  std::string path = (fs::temp_directory_path() / (name + "." + std::to_string(getpid()))).string();
  std::string bytes(cls == ELFCLASS32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr), '\0');
  bytes[0] = ELFMAG0, bytes[1] = ELFMAG1, bytes[2] = ELFMAG2, bytes[3] = ELFMAG3;
  bytes[EI_CLASS] = char(cls), bytes[EI_DATA] = ELFDATA2LSB, bytes[EI_VERSION] = EV_CURRENT;
  bytes[16] = ET_EXEC;                                           // e_type (little endian)
  bytes[18] = char(machine & 0xff), bytes[19] = char(machine >> 8);  // e_machine
  bytes[20] = EV_CURRENT;                                        // e_version
  if (cls == ELFCLASS32) bytes[40] = sizeof(Elf32_Ehdr);         // e_ehsize
  else bytes[52] = sizeof(Elf64_Ehdr);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace

// The set of files equals ldd's for real host programs, our dynamic scheduler fixture, and a
// program whose library is found only through $ORIGIN.
TEST(ElfClosure, SameFilesAsLdd) {
  std::vector<std::string> programs{"/usr/bin/stress-ng", "/usr/sbin/bpftool", origin_prog(),
                                    std::string(KTSTR_DYN_DIR) + "/cxx_payload",
                                    cache_dir() + "/schedulers/scx_ktstr_test-dynamic"};
  for (const std::string& p : programs) {
    ASSERT_TRUE(fs::exists(p)) << p << " is missing: run scripts/setup.sh";
    std::set<std::string> ldd = ldd_files(p), ours = closure_files(p);
    EXPECT_GE(ldd.size(), 2u) << p;  // at least the interpreter and libc
    EXPECT_EQ(ours, ldd) << p;
  }
}

// $ORIGIN is the program's own directory, and the library is marked as found through it.
TEST(ElfClosure, OriginRunpathIsFollowed) {
  auto facts = read_elf(origin_prog());
  ASSERT_TRUE(facts);
  ASSERT_EQ(facts->runpath, std::vector<std::string>{"$ORIGIN/../lib"});
  bool found = false;
  for (const Resolved& r : resolve_libraries(origin_prog(), LoaderEnv::from_host()))
    if (r.name == "liborigin_fixture.so") {
      found = true;
      EXPECT_EQ(r.origin_dir, fs::path(origin_prog()).parent_path().string());
      EXPECT_TRUE(fs::equivalent(r.host_path, std::string(KTSTR_DYN_DIR) + "/origin/lib/liborigin_fixture.so"));
    }
  EXPECT_TRUE(found);
}

// In the guest, the $ORIGIN library sits relative to where the program is packed; the
// interpreter keeps its literal path (a link to the real file, as on the host).
TEST(ElfClosure, GuestPlacesFollowTheGuestOrigin) {
  ElfClosure c;
  c.add_program(origin_prog(), "/include-files/bin/origin_prog", "program");
  EXPECT_TRUE(c.files().count("/include-files/lib/liborigin_fixture.so"));
  auto facts = read_elf(origin_prog());
  ASSERT_TRUE(c.files().count(facts->interp)) << facts->interp;
  // Every link in the closure points at something the closure holds (no dangling links).
  for (const auto& [guest, f] : c.files()) {
    if (f.link.empty()) continue;
    fs::path t = fs::path(f.link).is_absolute() ? fs::path(f.link) : fs::path(guest).parent_path() / f.link;
    EXPECT_TRUE(c.files().count(t.lexically_normal().string())) << guest << " -> " << f.link;
  }
}

// A static program and a non-ELF file need nothing.
TEST(ElfClosure, StaticAndNonElfNeedNothing) {
  ElfClosure c;
  c.add_program("/bin/busybox", "/bin/busybox", "busybox");  // Debian's busybox-static
  c.add_program(std::string(KTSTR_DYN_DIR) + "/../../CMakeCache.txt", "/x", "text");
  EXPECT_TRUE(c.files().empty());
}

// A missing library names the binary and the library.
TEST(ElfClosure, MissingLibraryIsNamed) {
  fs::path dir = fs::temp_directory_path() / ("closure_missing." + std::to_string(getpid()));
  fs::create_directories(dir / "bin");
  fs::copy_file(origin_prog(), dir / "bin/origin_prog");  // without ../lib beside it
  try {
    ElfClosure c;
    c.add_program((dir / "bin/origin_prog").string(), "/include-files/origin_prog", "program ./origin_prog");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("program ./origin_prog"), std::string::npos) << m;
    EXPECT_NE(m.find("liborigin_fixture.so"), std::string::npos) << m;
    EXPECT_NE(m.find("not found"), std::string::npos) << m;
  }
  fs::remove_all(dir);
}

// 32-bit and foreign-architecture programs are refused by name.
TEST(ElfClosure, WrongClassOrMachineIsRefused) {
  for (auto [name, cls, machine, words] :
       {std::tuple{"elf32", ELFCLASS32, uint16_t(EM_386), "32-bit"},
        std::tuple{"elfarm", ELFCLASS64, uint16_t(EM_AARCH64 == EM_X86_64 ? EM_RISCV : EM_AARCH64), "architecture"}}) {
    std::string p = elf_header_file(name, cls, machine);
    try {
      ElfClosure c;
      c.add_program(p, "/x", "--tool " + p);
      ADD_FAILURE() << "expected an error for " << name;
    } catch (const std::runtime_error& e) {
      std::string m = e.what();
      EXPECT_NE(m.find("--tool " + p), std::string::npos) << m;
      EXPECT_NE(m.find(words), std::string::npos) << m;
    }
    fs::remove(p);
  }
}
