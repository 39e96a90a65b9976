// What an ELF core file says about the process that dumped it: its program name, pid and the
// signal that killed it, from the NT_PRPSINFO and NT_PRSTATUS notes (docs/output.md, cores).
// A core comes from the guest: it is read defensively (libelf, every size checked), and a file
// that is not a readable x86-64 core gives an error instead of a guess.
#pragma once

#include <cstdint>
#include <string>

namespace ktstr::host {

struct CoreInfo {
  std::string program;  // pr_fname (at most 15 bytes); empty if unknown
  int64_t pid = -1;     // -1 if unknown
  int signal = 0;       // pr_cursig; 0 if unknown
  std::string error;    // why nothing (or not everything) could be read; empty when all was
};

// Reads the core file open at `fd` (not closed).
CoreInfo read_core_info(int fd);

// "SIGSEGV" for 11; "signal N" for a number without a name.
std::string signal_name(int signo);

}  // namespace ktstr::host
