// Reading an ELF core's notes (src/host/verdict/core_file.cpp): the program, pid and signal of a
// well-formed x86-64 core; an error, never a crash or a guess, for anything else.
#include "core_file.hpp"

#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/procfs.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "test_util.hpp"

using ktstr::host::read_core_info;
using ktstr::host::signal_name;
using ktstr::test::ScratchDir;

namespace {

std::string note(uint32_t type, const std::string& desc) {
  Elf64_Nhdr h{5, uint32_t(desc.size()), type};
  std::string s(reinterpret_cast<const char*>(&h), sizeof h);
  s += std::string("CORE\0\0\0\0", 8);  // name and its padding to 4
  s += desc;
  s.resize((s.size() + 3) / 4 * 4, '\0');
  return s;
}

// A minimal x86-64 core: the ELF header, one PT_NOTE program header, the notes.
std::string core(const std::string& notes, uint16_t machine = EM_X86_64, uint16_t type = ET_CORE) {
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = type;
  eh.e_machine = machine;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 1;
  Elf64_Phdr ph{};
  ph.p_type = PT_NOTE;
  ph.p_offset = sizeof eh + sizeof ph;
  ph.p_filesz = notes.size();
  std::string s(reinterpret_cast<const char*>(&eh), sizeof eh);
  s.append(reinterpret_cast<const char*>(&ph), sizeof ph);
  return s + notes;
}

std::string prstatus(int sig, int pid) {
  elf_prstatus st{};
  st.pr_cursig = short(sig);
  st.pr_pid = pid;
  return std::string(reinterpret_cast<const char*>(&st), sizeof st);
}

std::string prpsinfo(const char* fname, int pid) {
  elf_prpsinfo ps{};
  std::strncpy(ps.pr_fname, fname, sizeof ps.pr_fname);
  ps.pr_pid = pid;
  return std::string(reinterpret_cast<const char*>(&ps), sizeof ps);
}

ktstr::host::CoreInfo read(const std::string& bytes) {
  ScratchDir d("core");
  std::string path = d.path() + "/c.core";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), ssize_t(bytes.size()));
  auto info = read_core_info(fd);
  ::close(fd);
  return info;
}

TEST(CoreFile, ReadsProgramPidAndSignal) {
  auto info = read(core(note(NT_PRSTATUS, prstatus(SIGSEGV, 123)) + note(NT_PRPSINFO, prpsinfo("crash", 123))));
  EXPECT_EQ(info.error, "");
  EXPECT_EQ(info.program, "crash");
  EXPECT_EQ(info.pid, 123);
  EXPECT_EQ(info.signal, SIGSEGV);
}

TEST(CoreFile, AFullFifteenByteNameIsKept) {
  auto info = read(core(note(NT_PRPSINFO, prpsinfo("abcdefghijklmnopq", 7)) + note(NT_PRSTATUS, prstatus(6, 7))));
  EXPECT_EQ(info.program, "abcdefghijklmno" "p");  // pr_fname is 16 bytes, no NUL needed
  EXPECT_EQ(info.signal, SIGABRT);
}

TEST(CoreFile, ShortNotesAreErrorsNotReads) {
  auto info = read(core(note(NT_PRSTATUS, prstatus(11, 1).substr(0, 20)) + note(NT_PRPSINFO, "xy")));
  EXPECT_EQ(info.error, "no NT_PRSTATUS or NT_PRPSINFO note");
  EXPECT_EQ(info.pid, -1);
}

TEST(CoreFile, NotACore) {
  EXPECT_EQ(read("hello, world").error, "not an ELF file");
  EXPECT_EQ(read("").error, "not an ELF file");
  EXPECT_EQ(read(core(note(NT_PRSTATUS, prstatus(11, 1)), EM_AARCH64)).error, "not an x86-64 ELF core");
  EXPECT_EQ(read(core(note(NT_PRSTATUS, prstatus(11, 1)), EM_X86_64, ET_EXEC)).error, "not an x86-64 ELF core");
}

TEST(CoreFile, ANoteRunningPastItsSegmentIsNotRead) {
  std::string notes = note(NT_PRSTATUS, prstatus(11, 1));
  std::string bytes = core(notes);
  // The descriptor size claims far more than the segment holds.
  uint32_t huge = 1u << 30;
  std::memcpy(bytes.data() + sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 4, &huge, 4);
  EXPECT_NE(read(bytes).error, "");
  // A program header pointing past the end of the file.
  std::string cut = core(notes).substr(0, sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 8);
  EXPECT_NE(read(cut).error, "");
}

TEST(CoreFile, SignalNames) {
  EXPECT_EQ(signal_name(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(signal_name(200), "signal 200");
}

}  // namespace
