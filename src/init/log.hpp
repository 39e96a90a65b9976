// init's own log: spdlog lines travel as ILOG frames on COM2; warnings and errors are also
// copied to COM1 (the console) so a human reading the console log sees them.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace ktstr::init {

class Com2;

// Sets up the "init" logger: ILOG sink on com2, level from KTSTR_LOG.
void log_init(Com2& com2, std::string_view level);
// Writes one human-readable line to COM1 ("ktstr-init: ..."), for key events: to the fd
// open_consoles gave crash::set_com1_fd, or to stderr if COM1 could not be opened.
void console_note(std::string_view line);

}  // namespace ktstr::init
