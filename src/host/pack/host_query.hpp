// Asking the host: where a program is, as a shell would find it, and what a command prints.
#pragma once

#include <string>
#include <vector>

namespace ktstr::host {

// The first executable regular file NAME in $PATH, then in the sbin dirs a user's PATH often
// lacks (bpftool is /usr/sbin/bpftool). "" if there is none.
std::string find_on_host_path(const std::string& name);

// The lines a shell command prints on stdout (without line ends; empty lines dropped); none if it
// cannot run.
std::vector<std::string> command_lines(const std::string& cmd);

}  // namespace ktstr::host
