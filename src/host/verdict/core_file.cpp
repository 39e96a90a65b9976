#include "core_file.hpp"

#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <string.h>
#include <sys/procfs.h>

#include <cstddef>
#include <cstring>
#include <memory>

namespace ktstr::host {
namespace {

// A field of type T at `off` in a note's descriptor of `size` bytes, if it lies inside it.
template <class T>
bool field_at(const char* desc, size_t size, size_t off, T& out) {
  if (off > size || sizeof(T) > size - off) return false;
  std::memcpy(&out, desc + off, sizeof(T));
  return true;
}

}  // namespace

std::string signal_name(int signo) {
  if (const char* abbrev = sigabbrev_np(signo)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(signo);
}

CoreInfo read_core_info(int fd) {
  CoreInfo info;
  if (elf_version(EV_CURRENT) == EV_NONE) {
    info.error = "libelf unusable";
    return info;
  }
  std::unique_ptr<Elf, int (*)(Elf*)> e(elf_begin(fd, ELF_C_READ, nullptr), elf_end);
  GElf_Ehdr eh;
  if (!e || elf_kind(e.get()) != ELF_K_ELF || !gelf_getehdr(e.get(), &eh)) {
    info.error = "not an ELF file";
    return info;
  }
  if (eh.e_type != ET_CORE || gelf_getclass(e.get()) != ELFCLASS64 || eh.e_machine != EM_X86_64) {
    info.error = "not an x86-64 ELF core";
    return info;
  }
  size_t phnum = 0;
  if (elf_getphdrnum(e.get(), &phnum) != 0) {
    info.error = "unreadable program headers";
    return info;
  }
  bool status = false, psinfo = false;
  for (size_t i = 0; i < phnum && !(status && psinfo); ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(e.get(), int(i), &ph) || ph.p_type != PT_NOTE || ph.p_filesz == 0) continue;
    Elf_Data* d = elf_getdata_rawchunk(e.get(), int64_t(ph.p_offset), size_t(ph.p_filesz), ELF_T_NHDR);
    if (!d || !d->d_buf) continue;
    GElf_Nhdr nh;
    size_t name_off = 0, desc_off = 0;
    for (size_t off = 0; off < d->d_size;) {
      size_t next = gelf_getnote(d, off, &nh, &name_off, &desc_off);
      if (next == 0 || next <= off) break;  // a broken note ends the walk
      off = next;
      const char* name = static_cast<const char*>(d->d_buf) + name_off;
      const char* desc = static_cast<const char*>(d->d_buf) + desc_off;
      // The kernel's process notes are named "CORE" (with its NUL: namesz 5).
      if (nh.n_namesz != 5 || std::memcmp(name, "CORE", 5) != 0) continue;
      if (nh.n_type == NT_PRSTATUS && !status) {
        // The first NT_PRSTATUS is the thread that took the signal.
        short cursig = 0;
        int32_t pid = 0;
        if (field_at(desc, nh.n_descsz, offsetof(struct elf_prstatus, pr_cursig), cursig) &&
            field_at(desc, nh.n_descsz, offsetof(struct elf_prstatus, pr_pid), pid)) {
          info.signal = cursig;
          if (info.pid < 0) info.pid = pid;
          status = true;
        }
      } else if (nh.n_type == NT_PRPSINFO && !psinfo) {
        char fname[sizeof(elf_prpsinfo::pr_fname) + 1] = {};
        int32_t pid = 0;
        if (field_at(desc, nh.n_descsz, offsetof(struct elf_prpsinfo, pr_pid), pid) &&
            nh.n_descsz >= offsetof(struct elf_prpsinfo, pr_fname) + sizeof(elf_prpsinfo::pr_fname)) {
          std::memcpy(fname, desc + offsetof(struct elf_prpsinfo, pr_fname), sizeof(elf_prpsinfo::pr_fname));
          info.program = fname;  // NUL-terminated by the extra byte
          info.pid = pid;
          psinfo = true;
        }
      }
    }
  }
  if (!status && !psinfo) info.error = "no NT_PRSTATUS or NT_PRPSINFO note";
  else if (!status) info.error = "no NT_PRSTATUS note";
  else if (!psinfo) info.error = "no NT_PRPSINFO note";
  return info;
}

}  // namespace ktstr::host
