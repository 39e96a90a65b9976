// The initramfs contract (DESIGN.md §4): where the packer puts things and init finds them.
#pragma once

namespace ktstr::initramfs {

inline constexpr const char* kInit = "/init";
inline constexpr const char* kScheduler = "/scheduler";     // scheduler binary (optional)
inline constexpr const char* kSchedArgs = "/sched_args";    // its arguments, one per line
inline constexpr const char* kArgs = "/args";               // payload argv, one per line
inline constexpr const char* kExecCmd = "/exec_cmd";        // shell mode: run with sh -c
inline constexpr const char* kIncludeDir = "/include-files";
inline constexpr const char* kSchedEnable = "/sched_enable";   // `echo VALUE > /path` lines
inline constexpr const char* kSchedDisable = "/sched_disable";
inline constexpr const char* kOkSentinel = "/.ktstr_init_ok";  // written last by the packer
inline constexpr const char* kBusybox = "/bin/busybox";

}  // namespace ktstr::initramfs
