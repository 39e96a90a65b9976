// Small helpers every init concern uses: an owning fd and "call: strerror (errno N)" messages.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "ktstr/posix_io.hpp"

namespace ktstr::init {

// The owning fd, write_all and boottime_ns are shared with the host (ktstr/posix_io.hpp).
using ktstr::UniqueFd;
using ktstr::boottime_ns;
using ktstr::write_all;

// "what: strerror (errno N)" with the errno saved by the caller right after the failing call.
inline std::string errno_message(std::string_view what, int err) {
  return std::string(what) + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")";
}

// Reads a whole small file (sysfs, /proc, initramfs lists). Returns false and sets errno on failure.
bool read_file(const char* path, std::string& out);

// `s` without its trailing whitespace: a sysfs or /proc value without its newline.
std::string trim_trailing_space(std::string s);

}  // namespace ktstr::init
