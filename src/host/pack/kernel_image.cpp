#include "kernel_image.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include "paths.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

// Xen's ELF note that carries the 32-bit PVH entry point; QEMU boots an ELF -kernel through it.
constexpr GElf_Word kXenElfnotePhys32Entry = 18;

// The kernel's own banner, "Linux version RELEASE (builder) ...".
std::string banner_release(std::string_view bytes) {
  constexpr std::string_view kBanner = "Linux version ";
  size_t p = bytes.find(kBanner);
  if (p == std::string_view::npos) return "";
  std::string_view rest = bytes.substr(p + kBanner.size(), 256);
  std::string release;
  for (char c : rest) {
    if (c == ' ' || c == '\0') break;
    if (c < 0x21 || c > 0x7e) return "";
    release += c;
  }
  return release;
}

bool has_pvh_note(Elf* e, Elf_Data* d) {
  GElf_Nhdr nh;
  size_t name_off = 0, desc_off = 0;
  for (size_t off = 0, next; (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0; off = next)
    if (nh.n_type == kXenElfnotePhys32Entry && nh.n_namesz == 4 &&
        std::memcmp(static_cast<const char*>(d->d_buf) + name_off, "Xen", 4) == 0)
      return true;
  (void)e;
  return false;
}

// What the setting said, as error messages name it: "--kernel PATH" or "KTSTR_KERNEL=PATH".
std::string named(const std::string& setting, const std::string& path) {
  return setting == "KTSTR_KERNEL" ? "KTSTR_KERNEL=" + path : setting + " " + path;
}

std::string read_first_line(const fs::path& p) {
  std::ifstream f(p);
  std::string line;
  std::getline(f, line);
  return line;
}

// Fills format and release of `k.path`, or says why it is no bootable kernel.
void identify(KernelImage& k) {
  if (std::string r = bzimage_release(k.path); !r.empty()) {
    k.format = KernelFormat::bzimage;
    k.release = r;
    return;
  }
  ElfKernel elf = inspect_elf_kernel(k.path);
  std::string what = named(k.setting, k.given) + (k.given == k.path ? "" : " (" + k.path + ")");
  if (!elf.elf)
    throw std::runtime_error(what + ": not a kernel image (neither a bzImage nor an ELF vmlinux)");
  if (!elf.x86_64) throw std::runtime_error(what + ": an ELF file, but not an x86-64 one");
  if (!elf.pvh)
    throw std::runtime_error(what + ": a vmlinux without a PVH entry (no XEN_ELFNOTE_PHYS32_ENTRY note; the "
                             "kernel needs CONFIG_PVH=y), which QEMU cannot boot: pass its bzImage instead");
  k.format = KernelFormat::pvh_vmlinux;
  k.release = elf.release;
}

// The config beside an image: a build tree's .config, the cache's `config`, config-RELEASE, an
// installed /boot/vmlinuz-X's /boot/config-X, else the running system's /boot/config-RELEASE.
std::string find_config(const fs::path& image, const std::string& release) {
  fs::path dir = image.parent_path();
  std::vector<fs::path> candidates = {dir / ".config", dir / "config"};
  if (!release.empty()) candidates.push_back(dir / ("config-" + release));
  std::string name = image.filename().string();
  for (std::string_view prefix : {"vmlinuz-", "vmlinux-"})
    if (name.starts_with(prefix) && name.size() > prefix.size())
      candidates.push_back(dir / ("config-" + name.substr(prefix.size())));
  if (!release.empty()) candidates.push_back("/boot/config-" + release);
  for (const auto& c : candidates)
    if (fs::is_regular_file(c)) return c.string();
  return "";
}

// A kernel build directory: its vmlinux when that has a PVH entry, else arch/x86/boot/bzImage;
// its .config; the release from include/config/kernel.release.
KernelImage from_build_dir(KernelImage k) {
  fs::path dir = k.given;
  fs::path vmlinux = dir / "vmlinux", bzimage = dir / "arch/x86/boot/bzImage";
  bool vmlinux_pvh = fs::is_regular_file(vmlinux) && inspect_elf_kernel(vmlinux.string()).pvh;
  if (vmlinux_pvh) k.path = vmlinux.string();
  else if (fs::is_regular_file(bzimage)) k.path = bzimage.string();
  else if (fs::is_regular_file(vmlinux)) k.path = vmlinux.string();  // identify() says why it can't boot
  else
    throw std::runtime_error(named(k.setting, k.given) + ": a directory without a kernel (want vmlinux or "
                             "arch/x86/boot/bzImage, as a kernel build leaves them)");
  identify(k);
  if (std::string r = read_first_line(dir / "include/config/kernel.release"); !r.empty()) k.release = r;
  if (fs::is_regular_file(dir / ".config")) k.config = (dir / ".config").string();
  return k;
}

}  // namespace

const char* format_name(KernelFormat f) { return f == KernelFormat::pvh_vmlinux ? "vmlinux (PVH)" : "bzImage"; }

std::string bzimage_release(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char hdr[0x210];
  if (!f.read(hdr, sizeof hdr)) return "";
  if (std::string_view(hdr + 0x202, 4) != "HdrS") return "";
  unsigned off = uint8_t(hdr[0x20E]) | unsigned(uint8_t(hdr[0x20F])) << 8;
  if (!off) return "";
  char ver[256] = {};
  f.seekg(off + 0x200);
  f.read(ver, sizeof ver - 1);
  std::string s(ver);
  return s.substr(0, s.find(' '));
}

ElfKernel inspect_elf_kernel(const std::string& path) {
  ElfKernel r;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return r;
  elf_version(EV_CURRENT);
  Elf* e = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (e && elf_kind(e) == ELF_K_ELF) {
    r.elf = true;
    GElf_Ehdr eh;
    r.x86_64 = gelf_getehdr(e, &eh) && eh.e_machine == EM_X86_64 && gelf_getclass(e) == ELFCLASS64;
    // The notes as QEMU finds them: in PT_NOTE segments.
    size_t nphdr = 0;
    if (elf_getphdrnum(e, &nphdr) == 0)
      for (size_t i = 0; i < nphdr && !r.pvh; ++i) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, int(i), &ph) || ph.p_type != PT_NOTE) continue;
        if (Elf_Data* d = elf_getdata_rawchunk(e, int64_t(ph.p_offset), ph.p_filesz, ELF_T_NHDR))
          r.pvh = has_pvh_note(e, d);
      }
    size_t shstrndx = 0;
    if (elf_getshdrstrndx(e, &shstrndx) == 0)
      for (Elf_Scn* s = nullptr; (s = elf_nextscn(e, s)) != nullptr;) {
        GElf_Shdr sh;
        const char* name = gelf_getshdr(s, &sh) ? elf_strptr(e, shstrndx, sh.sh_name) : nullptr;
        if (!name || std::strcmp(name, ".rodata") != 0 || sh.sh_type != SHT_PROGBITS) continue;
        if (Elf_Data* d = elf_rawdata(s, nullptr); d && d->d_buf)
          r.release = banner_release(std::string_view(static_cast<const char*>(d->d_buf), d->d_size));
        break;
      }
  }
  if (e) elf_end(e);
  ::close(fd);
  return r;
}

KernelImage kernel_from_setting(const std::string& setting, const std::string& path) {
  KernelImage k;
  k.setting = setting;
  k.given = k.path = path;
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (!fs::exists(st)) throw std::runtime_error(named(setting, path) + ": no such file or directory");
  if (fs::is_directory(st)) return from_build_dir(std::move(k));
  if (!fs::is_regular_file(st)) throw std::runtime_error(named(setting, path) + ": not a regular file");
  if (::access(path.c_str(), R_OK) != 0) throw std::runtime_error(named(setting, path) + ": not readable");
  identify(k);
  k.config = find_config(path, k.release);
  return k;
}

KernelImage resolve_kernel(const std::string& flag) {
  if (!flag.empty()) return kernel_from_setting("--kernel", flag);
  if (const char* e = std::getenv("KTSTR_KERNEL"); e && *e) return kernel_from_setting("KTSTR_KERNEL", e);
  // The cache: setup extracts the vmlinux beside Debian's bzImage; its PVH entry boots faster.
  fs::path dir = fs::path(cache_dir()) / "kernel-current";
  fs::path vmlinux = dir / "vmlinux", vmlinuz = dir / "vmlinuz";
  KernelImage k;
  k.setting = "cache";
  if (fs::is_regular_file(vmlinux) && inspect_elf_kernel(vmlinux.string()).pvh) k.path = vmlinux.string();
  else if (fs::is_regular_file(vmlinuz)) k.path = vmlinuz.string();
  else
    throw std::runtime_error("no kernel: pass --kernel PATH, set KTSTR_KERNEL, or run `ktstr-vm kernel fetch` to fetch "
                             "Debian's sched_ext kernel (" + vmlinuz.string() + " missing)");
  k.given = k.path;
  identify(k);
  // The bzImage header names the release for sure; the vmlinux banner is the fallback.
  if (std::string r = bzimage_release(vmlinuz.string()); !r.empty()) k.release = r;
  k.config = find_config(k.path, k.release);
  return k;
}

std::string describe(const KernelImage& k) {
  std::string s = std::string(format_name(k.format)) + " " + k.path + ", release " +
                  (k.release.empty() ? "unknown" : k.release) + ", config " +
                  (k.config.empty() ? "none" : k.config);
  if (k.setting == "cache") return s + " (the set-up cache)";
  return s + " (from " + named(k.setting, k.given) + ")";
}

nlohmann::json kernel_json(const KernelImage& k) {
  return {{"path", k.path},
          {"format", k.format == KernelFormat::pvh_vmlinux ? "vmlinux-pvh" : "bzImage"},
          {"release", k.release},
          {"config", k.config.empty() ? nlohmann::json(nullptr) : nlohmann::json(k.config)},
          {"setting", k.setting},
          {"given", k.given}};
}

}  // namespace ktstr::host
