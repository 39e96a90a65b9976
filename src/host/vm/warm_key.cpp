#include "warm_key.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

namespace ktstr::host {

std::string file_identity(const std::string& path) {
  std::error_code ec;
  std::string real = std::filesystem::canonical(path, ec).string();
  struct stat st;
  if (ec || ::stat(real.c_str(), &st) != 0) return "missing " + path;
  return real + " size=" + std::to_string(st.st_size) + " mtime=" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + " inode=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

std::string warm_key_text(const WarmKeyInputs& in) {
  std::string t = "ktstr-vm warm snapshot, key format 1\n";
  auto file = [&](const char* name, const std::string& path) {
    t += std::string(name) + ": " + (path.empty() ? "none" : file_identity(path)) + "\n";
  };
  file("qemu", in.qemu_binary);
  file("kernel", in.kernel);
  file("init", in.init);
  file("busybox", in.busybox);
  file("kernel-config", in.kernel_config);
  file("ktstr-vm", in.self_exe);
  t += "argv:\n";
  for (const auto& a : in.argv) t += "  " + a + "\n";
  return t;
}

}  // namespace ktstr::host
