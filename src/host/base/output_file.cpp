#include "output_file.hpp"

#include <fcntl.h>

#include <cstring>
#include <stdexcept>
#include <utility>

namespace ktstr::host {

OutputFile::OutputFile(std::string flag, std::string path) : flag_(std::move(flag)), path_(std::move(path)) {
  if (path_.empty()) return;
  fd_ = UniqueFd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd_.valid()) throw std::runtime_error(flag_ + " " + path_ + ": " + strerror(errno));
}

void OutputFile::write(std::string_view data) {
  if (fd_.valid() && error_.empty() && !write_all(fd_.get(), data)) fail(errno);
}

void OutputFile::fail(int err) {
  if (error_.empty()) error_ = flag_ + " " + path_ + ": write failed: " + strerror(err);
}

}  // namespace ktstr::host
