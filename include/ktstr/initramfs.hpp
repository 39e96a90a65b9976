// The initramfs contract (docs/initramfs.md): where the packer puts things and init finds them.
#pragma once

#include <string>
#include <string_view>

namespace ktstr::initramfs {

inline constexpr const char* kInit = "/init";
inline constexpr const char* kScheduler = "/scheduler";     // scheduler binary (optional)
inline constexpr const char* kSchedArgs = "/sched_args";    // its arguments, one per line
inline constexpr const char* kArgs = "/args";               // payload argv, one per line
inline constexpr const char* kExecCmd = "/exec_cmd";        // shell mode: run with sh -c
inline constexpr const char* kOnFailure = "/on_failure";    // test mode: sh -c after a failed payload
inline constexpr const char* kIncludeDir = "/include-files";
inline constexpr const char* kSchedEnable = "/sched_enable";   // `echo VALUE > /path` lines
inline constexpr const char* kSchedDisable = "/sched_disable";
inline constexpr const char* kOkSentinel = "/.ktstr_init_ok";  // written last by the packer
inline constexpr const char* kBusybox = "/bin/busybox";         // its applets link to it
inline constexpr const char* kToolDir = "/usr/local/bin";        // links to packed host programs
inline constexpr const char* kKernelConfigPrefix = "/boot/config-";  // + the kernel's release
// Not packed: made by init at boot (docs/protocol.md, "The output tree"). $KTSTR_OUTPUT names the
// directory whose tree init sends back at teardown; cores land in its cores/.
inline constexpr const char* kOutputEnv = "KTSTR_OUTPUT";
inline constexpr const char* kOutputDir = "/run/ktstr/output";
inline constexpr const char* kCorePattern = "/run/ktstr/output/cores/%e.%p.core";

// /args and /sched_args hold one argument per line. An argument may itself hold newlines (a
// multi-line `sh -c` script), so each line escapes `\` as `\\` and a newline as `\n`.
inline std::string escape_arg(std::string_view arg) {
  std::string out;
  for (char c : arg) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// Inverse of escape_arg. An unknown escape keeps the backslash (lenient: hand-written files).
inline std::string unescape_arg(std::string_view line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '\\' || line[i + 1] == 'n')) {
      out += line[++i] == 'n' ? '\n' : '\\';
    } else {
      out += line[i];
    }
  }
  return out;
}

}  // namespace ktstr::initramfs
