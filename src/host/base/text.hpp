// Small text helpers for messages and bounded logs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ktstr::host {

// Quotes an argument for display in a copy-pasteable shell command.
std::string shell_quote(const std::string& s);
// One word for /bin/sh, whatever it holds: always single-quoted (for commands QEMU runs).
std::string sh_word(const std::string& s);

// Appends data to tail, keeping only the last `max` bytes.
void keep_tail(std::string& tail, std::string_view data, size_t max = 64 * 1024);

// A whole file's bytes; throws std::runtime_error naming it if it cannot be opened.
std::string read_whole_file(const std::string& path);

// The last line of a text that is not empty, without its line end (QEMU's last words).
std::string last_line(const std::string& text);

}  // namespace ktstr::host
