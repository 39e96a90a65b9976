// Where ktstr-vm makes its private temp dirs: $TMPDIR, else /tmp. Checked before anything boots,
// so a bad setting is refused at once with the setting and the path in the message.
#pragma once

#include <string>

namespace ktstr::host {

// The directory to create temp dirs in. Throws std::runtime_error naming TMPDIR and its value if
// it does not exist, is not a directory, is not writable, or is too long for the unix sockets
// QEMU connects to inside the temp dir.
std::string temp_root();

}  // namespace ktstr::host
