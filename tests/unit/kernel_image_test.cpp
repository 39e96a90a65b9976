// Which kernel image a setting names: bzImage, PVH vmlinux, build directory, /boot/vmlinuz-X;
// and the refusals that name the setting and the path before anything boots.
#include "kernel_image.hpp"

#include <elf.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.hpp"

namespace fs = std::filesystem;
using ktstr::host::inspect_elf_kernel;
using ktstr::host::kernel_from_setting;
using ktstr::host::KernelFormat;
using ktstr::host::KernelImage;

namespace {

class KernelImageTest : public ::testing::Test {
 protected:
  std::string write(const std::string& rel, const std::string& bytes) {
    fs::path p = fs::path(dir_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }

  // The two fields of a bzImage's setup header that are read: "HdrS" and the version offset.
  static std::string bzimage(const std::string& release) {
    std::string b(0x400, '\0');
    std::memcpy(&b[0x202], "HdrS", 4);
    b[0x20E] = 0x00;  // version string at 0x100 + 0x200
    b[0x20F] = 0x01;
    std::string v = release + " (builder@host) #1 SMP";
    std::memcpy(&b[0x300], v.data(), v.size());
    return b;
  }

  // A minimal x86-64 ELF: one PT_NOTE segment (with Xen's PVH entry note if `pvh`) and a
  // .rodata section holding the kernel banner.
  static std::string vmlinux(bool pvh, const std::string& release, uint16_t machine = EM_X86_64) {
    std::string note;
    auto add_note = [&note](const char* name, uint32_t type, const std::string& desc) {
      uint32_t hdr[3] = {uint32_t(std::strlen(name) + 1), uint32_t(desc.size()), type};
      note.append(reinterpret_cast<const char*>(hdr), sizeof hdr);
      std::string n(name, std::strlen(name) + 1);
      n.resize((n.size() + 3) & ~size_t(3), '\0');
      std::string d = desc;
      d.resize((d.size() + 3) & ~size_t(3), '\0');
      note += n + d;
    };
    add_note("Linux", 6, std::string(4, '\0'));
    if (pvh) add_note("Xen", 18, std::string("\x00\x00\x00\x01\x00\x00\x00\x00", 8));
    std::string rodata = std::string("junk\0", 5) + "Linux version " + release + " (builder@host) #1 SMP\n";
    std::string shstrtab = std::string("\0.rodata\0.shstrtab\0", 19);

    size_t note_off = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
    size_t rodata_off = note_off + note.size();
    size_t shstr_off = rodata_off + rodata.size();
    size_t sh_off = (shstr_off + shstrtab.size() + 7) & ~size_t(7);

    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = machine;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_shoff = sh_off;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 1;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = 3;
    eh.e_shstrndx = 2;
    Elf64_Phdr ph{};
    ph.p_type = PT_NOTE;
    ph.p_offset = note_off;
    ph.p_filesz = ph.p_memsz = note.size();
    ph.p_align = 4;
    Elf64_Shdr sh[3]{};
    sh[1].sh_name = 1;
    sh[1].sh_type = SHT_PROGBITS;
    sh[1].sh_offset = rodata_off;
    sh[1].sh_size = rodata.size();
    sh[1].sh_addralign = 1;
    sh[2].sh_name = 9;
    sh[2].sh_type = SHT_STRTAB;
    sh[2].sh_offset = shstr_off;
    sh[2].sh_size = shstrtab.size();
    sh[2].sh_addralign = 1;

    std::string out(reinterpret_cast<const char*>(&eh), sizeof eh);
    out.append(reinterpret_cast<const char*>(&ph), sizeof ph);
    out += note + rodata + shstrtab;
    out.resize(sh_off, '\0');
    out.append(reinterpret_cast<const char*>(sh), sizeof sh);
    return out;
  }

  // The message kernel_from_setting throws, or "" if it does not.
  static std::string refusal(const std::string& setting, const std::string& path) {
    try {
      kernel_from_setting(setting, path);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }

  ktstr::test::ScratchDir scratch_{"ktstr-kernel-test"};
  std::string dir_ = scratch_.path();
};

TEST_F(KernelImageTest, ReadsThePvhNoteAndTheBanner) {
  auto with = inspect_elf_kernel(write("a/vmlinux", vmlinux(true, "6.9.0-test")));
  EXPECT_TRUE(with.elf);
  EXPECT_TRUE(with.x86_64);
  EXPECT_TRUE(with.pvh);
  EXPECT_EQ(with.release, "6.9.0-test");
  auto without = inspect_elf_kernel(write("b/vmlinux", vmlinux(false, "6.9.0-test")));
  EXPECT_TRUE(without.elf);
  EXPECT_FALSE(without.pvh);
  EXPECT_FALSE(inspect_elf_kernel(write("c/text", "not an elf")).elf);
}

TEST_F(KernelImageTest, BzImageWithConfigBeside) {
  std::string img = write("k/bzImage", bzimage("6.9.0-bz"));
  std::string cfg = write("k/config-6.9.0-bz", "CONFIG_SCHED_CLASS_EXT=y\n");
  KernelImage k = kernel_from_setting("--kernel", img);
  EXPECT_EQ(k.format, KernelFormat::bzimage);
  EXPECT_EQ(k.path, img);
  EXPECT_EQ(k.release, "6.9.0-bz");
  EXPECT_EQ(k.config, cfg);
  EXPECT_EQ(k.setting, "--kernel");
}

TEST_F(KernelImageTest, PvhVmlinuxBootsAsIs) {
  std::string img = write("v/vmlinux", vmlinux(true, "6.9.0-elf"));
  KernelImage k = kernel_from_setting("KTSTR_KERNEL", img);
  EXPECT_EQ(k.format, KernelFormat::pvh_vmlinux);
  EXPECT_EQ(k.path, img);
  EXPECT_EQ(k.release, "6.9.0-elf");
  EXPECT_EQ(k.config, "");
}

// An installed kernel: /boot/vmlinuz-X goes with /boot/config-X.
TEST_F(KernelImageTest, InstalledVmlinuzTakesConfigOfTheSameSuffix) {
  std::string img = write("boot/vmlinuz-6.9.0-inst", bzimage("6.9.0-inst"));
  std::string cfg = write("boot/config-6.9.0-inst", "CONFIG_PVH=y\n");
  KernelImage k = kernel_from_setting("--kernel", img);
  EXPECT_EQ(k.format, KernelFormat::bzimage);
  EXPECT_EQ(k.config, cfg);
}

// A build directory: its vmlinux (PVH) is preferred to its bzImage; .config and the release file.
TEST_F(KernelImageTest, BuildDirectoryPrefersPvhVmlinux) {
  write("linux/vmlinux", vmlinux(true, "6.9.0-banner"));
  write("linux/arch/x86/boot/bzImage", bzimage("6.9.0-banner"));
  write("linux/.config", "CONFIG_PVH=y\n");
  write("linux/include/config/kernel.release", "6.9.0-tree\n");
  KernelImage k = kernel_from_setting("--kernel", dir_ + "/linux");
  EXPECT_EQ(k.format, KernelFormat::pvh_vmlinux);
  EXPECT_EQ(k.path, dir_ + "/linux/vmlinux");
  EXPECT_EQ(k.release, "6.9.0-tree");
  EXPECT_EQ(k.config, dir_ + "/linux/.config");
  EXPECT_EQ(k.given, dir_ + "/linux");
}

TEST_F(KernelImageTest, BuildDirectoryWithoutPvhFallsBackToBzImage) {
  write("linux/vmlinux", vmlinux(false, "6.9.0-nopvh"));
  write("linux/arch/x86/boot/bzImage", bzimage("6.9.0-nopvh"));
  KernelImage k = kernel_from_setting("--kernel", dir_ + "/linux");
  EXPECT_EQ(k.format, KernelFormat::bzimage);
  EXPECT_EQ(k.path, dir_ + "/linux/arch/x86/boot/bzImage");
  EXPECT_EQ(k.release, "6.9.0-nopvh");
}

// Every refusal names the setting and the path.
TEST_F(KernelImageTest, BadSettingsAreRefusedByName) {
  std::string missing = dir_ + "/nope";
  std::string e = refusal("--kernel", missing);
  EXPECT_NE(e.find("--kernel " + missing + ": no such file"), std::string::npos) << e;
  e = refusal("KTSTR_KERNEL", missing);
  EXPECT_NE(e.find("KTSTR_KERNEL=" + missing + ": no such file"), std::string::npos) << e;

  std::string text = write("text", "hello");
  e = refusal("--kernel", text);
  EXPECT_NE(e.find("--kernel " + text + ": not a kernel image"), std::string::npos) << e;

  std::string nopvh = write("x/vmlinux", vmlinux(false, "6.9.0"));
  e = refusal("KTSTR_KERNEL", nopvh);
  EXPECT_NE(e.find("KTSTR_KERNEL=" + nopvh + ": a vmlinux without a PVH entry"), std::string::npos) << e;

  std::string arm = write("arm/vmlinux", vmlinux(true, "6.9.0", EM_AARCH64));
  e = refusal("--kernel", arm);
  EXPECT_NE(e.find("not an x86-64"), std::string::npos) << e;

  fs::create_directories(dir_ + "/empty");
  e = refusal("--kernel", dir_ + "/empty");
  EXPECT_NE(e.find("--kernel " + dir_ + "/empty: a directory without a kernel"), std::string::npos) << e;
}

}  // namespace
