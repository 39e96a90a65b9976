#include "elf_closure.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "host_query.hpp"

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

#if defined(__x86_64__)
constexpr int kMachine = EM_X86_64;
constexpr const char* kMachineName = "x86-64";
constexpr const char* kCacheAbi = "libc6,x86-64";
#elif defined(__aarch64__)
constexpr int kMachine = EM_AARCH64;
constexpr const char* kMachineName = "aarch64";
constexpr const char* kCacheAbi = "libc6,AArch64";
#else
#error "ktstr-vm knows the loader conventions of x86-64 and aarch64 hosts only"
#endif

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string what_machine(const ElfFacts& f) {
  if (f.elf_class != ELFCLASS64) return "a 32-bit ELF";
  if (f.machine != kMachine) return "an ELF for another architecture (e_machine " + std::to_string(f.machine) + ")";
  return "";
}

bool loadable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  try {
    auto f = read_elf(path);
    return f && what_machine(*f).empty();
  } catch (const std::runtime_error&) {
    return false;  // the loader skips a damaged candidate too
  }
}

// $ORIGIN / ${ORIGIN} expanded; other tokens ($LIB, $PLATFORM) make the dir unusable, as they
// would need the loader's own idea of them.
std::optional<std::string> expand_origin(const std::string& dir, const std::string& origin, bool& used) {
  std::string out;
  for (size_t i = 0; i < dir.size();) {
    if (dir[i] != '$') {
      out += dir[i++];
      continue;
    }
    if (dir.compare(i, 7, "$ORIGIN") == 0) i += 7;
    else if (dir.compare(i, 9, "${ORIGIN}") == 0) i += 9;
    else return std::nullopt;
    out += origin;
    used = true;
  }
  return out;
}

struct Object {
  std::string path;
  ElfFacts facts;
  int loader = -1;  // index of the object that loaded it
};

std::string origin_of(const std::string& path, bool is_exe) {
  // The loader takes the executable's origin from its real path, a library's from the path it
  // opened.
  std::error_code ec;
  fs::path p = is_exe ? fs::canonical(path, ec) : fs::path(path);
  if (ec) p = fs::absolute(path);
  return p.parent_path().string();
}

}  // namespace

std::optional<ElfFacts> read_elf(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open for reading");
  std::unique_ptr<int, void (*)(int*)> close_fd(&fd, [](int* f) { ::close(*f); });
  char magic[SELFMAG];
  if (::pread(fd, magic, SELFMAG, 0) != SELFMAG || std::string_view(magic, SELFMAG) != ELFMAG) return std::nullopt;

  elf_version(EV_CURRENT);
  std::unique_ptr<Elf, int (*)(Elf*)> e(elf_begin(fd, ELF_C_READ, nullptr), elf_end);
  GElf_Ehdr eh;
  if (!e || elf_kind(e.get()) != ELF_K_ELF || !gelf_getehdr(e.get(), &eh))
    throw std::runtime_error(path + ": damaged ELF file (" + elf_errmsg(-1) + ")");
  ElfFacts f;
  f.elf_class = gelf_getclass(e.get());
  f.machine = eh.e_machine;
  f.type = eh.e_type;

  size_t nph = 0;
  if (elf_getphdrnum(e.get(), &nph) != 0) throw std::runtime_error(path + ": damaged ELF program headers");
  for (size_t i = 0; i < nph; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(e.get(), int(i), &ph) || ph.p_type != PT_INTERP || ph.p_filesz == 0) continue;
    std::string s(ph.p_filesz, '\0');
    if (::pread(fd, s.data(), s.size(), off_t(ph.p_offset)) != ssize_t(s.size()))
      throw std::runtime_error(path + ": cannot read PT_INTERP");
    f.interp = s.c_str();  // NUL-terminated inside the segment
  }

  for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(e.get(), scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || sh.sh_entsize == 0) continue;
    for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; ++i) {
      GElf_Dyn d;
      if (!gelf_getdyn(data, int(i), &d)) break;
      if (d.d_tag == DT_NULL) break;
      if (d.d_tag != DT_NEEDED && d.d_tag != DT_SONAME && d.d_tag != DT_RPATH && d.d_tag != DT_RUNPATH) continue;
      const char* s = elf_strptr(e.get(), sh.sh_link, d.d_un.d_val);
      if (!s) throw std::runtime_error(path + ": damaged dynamic string table");
      if (d.d_tag == DT_NEEDED) f.needed.emplace_back(s);
      else if (d.d_tag == DT_SONAME) f.soname = s;
      else if (d.d_tag == DT_RPATH) f.rpath = split(s, ':');
      else f.runpath = split(s, ':');
    }
  }
  return f;
}

std::optional<Shebang> read_shebang(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[256];  // the kernel reads this much (BINPRM_BUF_SIZE)
  ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  ::close(fd);
  if (n < 2 || buf[0] != '#' || buf[1] != '!') return std::nullopt;
  std::string line(buf + 2, size_t(n) - 2);
  line = line.substr(0, line.find('\n'));
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  size_t i = 0;
  while (i < line.size() && blank(line[i])) ++i;
  size_t end = i;
  while (end < line.size() && !blank(line[end]) && line[end] != '\0') ++end;
  Shebang sb{line.substr(i, end - i), ""};
  size_t a = end, b = line.find('\0', end) == std::string::npos ? line.size() : line.find('\0', end);
  while (a < b && blank(line[a])) ++a;
  while (b > a && blank(line[b - 1])) --b;
  sb.arg = line.substr(a, b - a);
  return sb;
}

LoaderEnv LoaderEnv::from_host() {
  LoaderEnv env;
  if (const char* p = std::getenv("LD_LIBRARY_PATH")) env.ld_library_path = split(p, ':');
  // `ldconfig -p` lists the cache in lookup order: keep the first entry per soname for our ABI,
  // and skip glibc-hwcaps variants (the guest CPU may lack what the host has).
  for (const char* ldconfig : {"/sbin/ldconfig", "/usr/sbin/ldconfig"}) {
    if (::access(ldconfig, X_OK) != 0) continue;
    for (const std::string& line : command_lines(std::string(ldconfig) + " -p 2>/dev/null")) {
      size_t open = line.find(" ("), close = line.find(") => ");
      if (open == std::string::npos || close == std::string::npos || close < open) continue;
      std::string name = line.substr(line.find_first_not_of(" \t"), open - line.find_first_not_of(" \t"));
      std::string flags = line.substr(open + 2, close - open - 2);
      if (flags.find("hwcap") != std::string::npos) continue;
      if (flags != kCacheAbi && !flags.starts_with(std::string(kCacheAbi) + ",")) continue;
      env.cache.try_emplace(name, line.substr(close + 5));
    }
    break;
  }
  // The loader's own list (glibc >= 2.33 prints it), else the usual ones.
  std::string self_interp;
  try {
    if (auto f = read_elf("/proc/self/exe")) self_interp = f->interp;
  } catch (const std::runtime_error&) {
  }
  if (!self_interp.empty() && ::access(self_interp.c_str(), X_OK) == 0)
    for (const std::string& line : command_lines("'" + self_interp + "' --help 2>/dev/null"))
      if (line.ends_with(" (system search path)"))
        env.system_dirs.push_back(line.substr(line.find_first_not_of(" \t"),
                                              line.size() - 21 - line.find_first_not_of(" \t")));
  if (env.system_dirs.empty())
    for (const char* d : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"})
      if (fs::is_directory(d)) env.system_dirs.emplace_back(d);
  return env;
}

std::vector<Resolved> resolve_libraries(const std::string& exe, const LoaderEnv& env) {
  auto top = read_elf(exe);
  if (!top || (top->type != ET_EXEC && top->type != ET_DYN)) return {};  // objects, cores: data
  if (std::string bad = what_machine(*top); !bad.empty())
    throw std::runtime_error(exe + ": " + bad + "; the guest runs " + kMachineName + " 64-bit programs only");
  if (!top->dynamic()) return {};

  std::vector<Resolved> out;
  std::map<std::string, std::string> loaded;  // DT_NEEDED name / soname -> host path
  if (!top->interp.empty()) {
    if (!loadable(top->interp))
      throw std::runtime_error(exe + ": its ELF interpreter " + top->interp + " is not on this host (or not " +
                               kMachineName + ")");
    out.push_back({top->interp, top->interp, exe, "", true});
    loaded[fs::path(top->interp).filename().string()] = top->interp;
    if (auto f = read_elf(top->interp); f && !f->soname.empty()) loaded[f->soname] = top->interp;
  }

  std::vector<Object> objects{{exe, *top, -1}};
  for (size_t i = 0; i < objects.size(); ++i) {
    const Object o = objects[i];  // a copy: objects grows below
    const std::string origin = origin_of(o.path, i == 0);
    for (const std::string& name : o.facts.needed) {
      if (loaded.count(name)) continue;
      std::string found, found_origin;
      bool system = false;
      std::vector<std::string> searched;
      auto try_dirs = [&](const std::vector<std::string>& dirs, const std::string& org) {
        for (const std::string& d : dirs) {
          bool used = false;
          auto dir = expand_origin(d, org, used);
          if (!dir) continue;
          searched.push_back(*dir);
          std::string cand = (dir->empty() ? std::string(".") : *dir) + "/" + name;
          if (loadable(cand)) {
            found = cand;
            found_origin = used ? org : "";
            return true;
          }
        }
        return false;
      };
      if (name.find('/') != std::string::npos) {
        if (loadable(name)) found = name;
      } else {
        // DT_RPATH of this object and of its loaders up to the executable, unless one has DT_RUNPATH.
        if (o.facts.runpath.empty())
          for (int c = int(i); c >= 0 && found.empty(); c = objects[size_t(c)].loader) {
            const Object& co = objects[size_t(c)];
            if (co.facts.runpath.empty()) try_dirs(co.facts.rpath, origin_of(co.path, c == 0));
          }
        if (found.empty() && try_dirs(env.ld_library_path, origin_of(exe, true))) system = true;
        if (found.empty()) try_dirs(o.facts.runpath, origin);
        if (found.empty()) {
          auto c = env.cache.find(name);
          if (c != env.cache.end() && loadable(c->second)) found = c->second, system = true;
          else searched.push_back("ld.so.cache");
        }
        if (found.empty() && try_dirs(env.system_dirs, "")) system = true;
      }
      if (found.empty()) {
        std::string where;
        for (const auto& s : searched) where += (where.empty() ? "" : ", ") + s;
        throw std::runtime_error(exe + ": library " + name + " (needed by " + o.path + ") not found on this host " +
                                 "(searched " + where + ")");
      }
      loaded[name] = found;
      auto facts = read_elf(found);
      if (!facts->soname.empty()) loaded.try_emplace(facts->soname, found);
      out.push_back({name, found, o.path, found_origin, system});
      objects.push_back({found, *facts, int(i)});
    }
  }
  return out;
}

const LoaderEnv& ElfClosure::env() {
  if (env_) return *env_;
  if (!own_env_) own_env_ = LoaderEnv::from_host();
  return *own_env_;
}

std::string ElfClosure::place(const std::string& host_in, const std::string& guest_in) {
  std::string host = host_in, guest = fs::path(guest_in).lexically_normal().string();
  for (int hops = 0; hops < 40; ++hops) {
    if (auto it = files_.find(guest); it != files_.end() && it->second.link.empty()) return guest;
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0) throw std::runtime_error(host + ": cannot stat");
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      fs::path target = fs::read_symlink(host, ec);
      if (ec) throw std::runtime_error(host + ": cannot read the link");
      files_[guest] = {"", target.string(), 0777};
      if (target.is_absolute()) {
        host = guest = target.lexically_normal().string();
      } else {
        host = (fs::path(host).parent_path() / target).string();
        guest = (fs::path(guest).parent_path() / target).lexically_normal().string();
      }
      continue;
    }
    if (!S_ISREG(st.st_mode)) throw std::runtime_error(host + ": not a regular file");
    auto [it, fresh] = by_inode_.try_emplace({st.st_dev, st.st_ino}, guest);
    if (!fresh && it->second != guest) {
      files_[guest] = {"", it->second, 0777};
      return it->second;
    }
    files_[guest] = {host, "", unsigned(st.st_mode & 0777)};
    return guest;
  }
  throw std::runtime_error(host_in + ": too many levels of symbolic links");
}

void ElfClosure::add_program(const std::string& host, const std::string& guest, const std::string& what) {
  std::vector<Resolved> libs;
  try {
    libs = resolve_libraries(host, env());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(what + ": " + e.what());
  }
  const LoaderEnv& le = env();
  std::map<std::string, std::string> guest_of{{host, guest}};  // host path -> guest path, this program
  for (const Resolved& r : libs) {
    std::string g;
    if (!r.origin_dir.empty()) {
      // $ORIGIN is where the object that asked sits in the guest.
      fs::path asker = guest_of.count(r.needed_by) ? guest_of[r.needed_by] : r.needed_by;
      fs::path asker_origin = r.needed_by == host ? fs::path(guest).parent_path() : asker.parent_path();
      g = (asker_origin / fs::path(r.host_path).lexically_relative(r.origin_dir)).lexically_normal().string();
      place(r.host_path, g);
    } else {
      g = r.host_path;
      place(r.host_path, g);
      // The guest has no ld.so.cache and no LD_LIBRARY_PATH: a link in a system dir finds it.
      std::string dir = fs::path(r.host_path).parent_path().lexically_normal().string();
      bool in_system = false;
      for (const auto& d : le.system_dirs) in_system |= fs::path(d).lexically_normal().string() == dir;
      if (r.system && !in_system && !le.system_dirs.empty() && r.name.find('/') == std::string::npos)
        files_.try_emplace(le.system_dirs.front() + "/" + r.name, GuestFile{"", g, 0777});
    }
    guest_of[r.host_path] = g;
    ++libraries_;
  }
}

}  // namespace ktstr::host
