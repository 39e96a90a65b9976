// Host programs packed at their host paths with their ELF closures: every --tool, a payload
// named by a bare name only the host has, and the #! interpreters these and the program name
// (docs/initramfs.md, "The payload's program"). A queue, as a packed script may name another
// interpreter.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "elf_closure.hpp"
#include "layout.hpp"

namespace ktstr::host {

class HostPrograms {
 public:
  // What the guest has already: the layout so far, busybox's applets, the included files.
  HostPrograms(Layout& l, ElfClosure& closure, const std::set<std::string>& applets,
               const std::vector<IncludedFile>& included)
      : l_(l), closure_(closure), applets_(applets), included_(included) {}

  // spec: NAME (looked up on the host PATH) or PATH; what: names it in errors and notes.
  // option: a --tool, so a problem with it is a usage error (2), not the payload's 126/127.
  // link: linked into /usr/local/bin, to be found by name on the guest's PATH.
  void add(std::string spec, std::string what, bool option, bool link);

  // A script's #! interpreter the guest lacks is queued from the host, as an ELF's interpreter
  // is; so is the program `#!/usr/bin/env NAME` names. Missing on the host too: StatusError 127
  // now, not an ENOENT in the guest that seems to be about the script.
  void need_interpreter(const std::string& host, const std::string& what);

  // Packs the queue in order, each program's own interpreter after it. Returns notes for -v.
  std::vector<std::string> pack_all();

  // Whether the guest will have a path: in the layout or in the closure.
  bool guest_has(const std::string& path) const;

 private:
  struct Program {
    std::string spec, what;
    bool option, link;
  };
  bool guest_finds(const std::string& name) const;
  void link_tool(const Program& h, const std::string& abs);

  Layout& l_;
  ElfClosure& closure_;
  const std::set<std::string>& applets_;
  const std::vector<IncludedFile>& included_;
  std::vector<Program> queue_;
  std::map<std::string, std::string> tool_names_;  // linked name -> host path
  std::set<std::string> packed_;                   // host paths
};

}  // namespace ktstr::host
