#include "suite_manifest.hpp"

#include <toml++/toml.h>

#include "kernel_image.hpp"
#include "ktstr/topology.hpp"
#include "output_paths.hpp"
#include "paths.hpp"
#include "qemu.hpp"
#include "splat.hpp"
#include "verifier_baseline.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

// Reads one manifest; every error names file:line and the key.
class ManifestReader {
 public:
  // dir_ is absolute: for `suite m.toml` the folder is "" (or "." for ./m.toml), and "./prog"
  // joined to it and normalised became the bare name "prog", a guest PATH lookup (127).
  explicit ManifestReader(std::string path) : path_(std::move(path)), dir_(folder_of(path_)) {}
  static fs::path folder_of(const std::string& path) {
    fs::path parent = fs::path(path).parent_path();
    return parent.empty() ? fs::current_path() : fs::absolute(parent);
  }

  SuiteManifest read();

 private:
  [[noreturn]] void fail(const toml::source_region& where, const std::string& key, const std::string& what) const {
    throw ManifestError(path_ + ":" + std::to_string(where.begin.line) + ": " +
                        (key.empty() ? "" : "'" + key + "': ") + what);
  }
  std::string text(const toml::node& n, const std::string& key) const;
  long long integer(const toml::node& n, const std::string& key, long long lo, long long hi) const;
  double number(const toml::node& n, const std::string& key, double lo, double hi) const;
  std::vector<std::string> strings(const toml::node& n, const std::string& key) const;
  Topology topology(const toml::node& n, const std::string& key, const std::string& text) const;
  std::string host_path(const std::string& p) const;
  // The value as a host path that must exist now (a file, or a folder when `folder_ok`).
  std::string existing_path(const toml::node& n, const std::string& key, bool folder_ok) const;
  // Runs a check that throws std::exception; its message becomes this key's manifest error.
  template <typename Check>
  void checked(const toml::node& n, const std::string& key, Check&& check) const {
    try {
      check();
    } catch (const std::exception& e) {
      fail(n.source(), key, e.what());
    }
  }
  // A value that names a host file when it holds a '/': "./my_sched", "../bin/x", "/abs".
  std::string maybe_path(const std::string& p) const {
    return p.find('/') == std::string::npos ? p : host_path(p);
  }
  // Applies one option key common to [defaults] and [[test]]; false if the key is not one.
  bool apply(SuiteTest& t, const std::string& key, const toml::node& v) const;
  void read_test(const toml::table& tt, const SuiteTest& defaults, std::vector<SuiteTest>& out) const;
  void check_name(const toml::node& n, const std::string& name) const;
  void check_one_shape(const toml::table& t) const;
  void check_verifier(const toml::table& tt, const SuiteTest& t) const;
  void expand(const SuiteTest& base, const toml::table& matrix, std::vector<SuiteTest>& out) const;

  std::string path_;
  fs::path dir_;
};

std::string ManifestReader::text(const toml::node& n, const std::string& key) const {
  auto s = n.value<std::string>();
  if (!s || !n.is_string()) fail(n.source(), key, "expected a string");
  return *s;
}

long long ManifestReader::integer(const toml::node& n, const std::string& key, long long lo, long long hi) const {
  if (!n.is_integer()) fail(n.source(), key, "expected an integer");
  long long v = *n.value<int64_t>();
  if (v < lo || v > hi)
    fail(n.source(), key, std::to_string(v) + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
  return v;
}

// Every comparison with NaN is false: a range check alone let `nan` through, and a NaN slack
// turned the verifier guard off. Infinities are refused with it.
double ManifestReader::number(const toml::node& n, const std::string& key, double lo, double hi) const {
  auto shown = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf);
  };
  std::string range = shown(lo) + ".." + shown(hi);
  if (!n.is_integer() && !n.is_floating_point()) fail(n.source(), key, "expected a number " + range);
  double v = n.is_integer() ? double(*n.value<int64_t>()) : *n.value<double>();
  if (!std::isfinite(v)) fail(n.source(), key, "expected a finite number " + range + ", not " + shown(v));
  if (v < lo || v > hi) fail(n.source(), key, shown(v) + " is out of range " + range);
  return v;
}

std::vector<std::string> ManifestReader::strings(const toml::node& n, const std::string& key) const {
  const toml::array* a = n.as_array();
  if (!a) fail(n.source(), key, "expected an array of strings");
  std::vector<std::string> out;
  for (const auto& el : *a) out.push_back(text(el, key));
  return out;
}

// A topology as `run --topology` takes it; a bad one is a manifest error at its line.
Topology ManifestReader::topology(const toml::node& n, const std::string& key, const std::string& text) const {
  std::string err;
  auto t = parse_topology(text, err);
  if (!t) fail(n.source(), key, err);
  return *t;
}

std::string ManifestReader::host_path(const std::string& p) const {
  fs::path fp(p);
  return (fp.is_absolute() ? fp : (dir_ / fp)).lexically_normal().string();
}

std::string ManifestReader::existing_path(const toml::node& n, const std::string& key, bool folder_ok) const {
  std::string p = host_path(text(n, key));
  std::error_code ec;
  auto st = fs::status(p, ec);
  if (!fs::exists(st)) fail(n.source(), key, p + ": no such file or directory");
  if (!folder_ok && !fs::is_regular_file(st)) fail(n.source(), key, p + ": not a regular file");
  return p;
}

bool ManifestReader::apply(SuiteTest& t, const std::string& key, const toml::node& v) const {
  RunOptions& r = t.run;
  if (key == "scheduler") {
    r.scheduler = maybe_path(text(v, key));
    if (!r.scheduler.empty()) checked(v, key, [&] { resolve_scheduler(r.scheduler); });
  }
  else if (key == "sched_args") r.pack.sched_args = strings(v, key);
  else if (key == "include") {
    r.pack.includes.clear();
    const toml::array* a = v.as_array();
    if (!a) fail(v.source(), key, "expected an array of strings");
    for (const auto& el : *a) r.pack.includes.push_back(existing_path(el, key, true));
  } else if (key == "timeout") r.vm.timeout_s = unsigned(integer(v, key, 0, 604800));
  else if (key == "watchdog") r.watchdog_s = unsigned(integer(v, key, 0, 604800));
  else if (key == "boot_timeout") r.boot_timeout_s = unsigned(integer(v, key, 1, 604800));
  else if (key == "memory") r.vm.memory_mb = unsigned(integer(v, key, 128, 65536));
  else if (key == "smp") {
    r.vm.smp = unsigned(integer(v, key, 1, 64));
    r.vm.topology = {};
    t.topology.clear();
  } else if (key == "topology") {
    t.topology = text(v, key);
    r.vm.topology = topology(v, key, t.topology);
  }
  else if (key == "kernel") {
    r.vm.kernel = existing_path(v, key, true);
    checked(v, key, [&] { kernel_from_setting("kernel", r.vm.kernel); });
  }
  else if (key == "append") r.vm.append = strings(v, key);
  else if (key == "accel") {
    r.vm.accel = text(v, key);
    if (r.vm.accel != "auto" && r.vm.accel != "tcg" && r.vm.accel != "kvm")
      fail(v.source(), key, "expected auto, tcg or kvm");
  } else if (key == "deny" || key == "allow") {
    // A bad regex would fail every run of the test the same way: refused here instead.
    (key == "deny" ? r.deny : r.allow) = strings(v, key);
    SplatClassifier probe;
    for (const auto& re : key == "deny" ? r.deny : r.allow)
      checked(v, key, [&] { key == "deny" ? probe.add_deny(re) : probe.add_allow(re); });
  } else if (key == "splat_rules") {
    r.splat_rules = existing_path(v, key, false);
    checked(v, key, [&] { SplatClassifier().load_file(r.splat_rules); });
  }
  else if (key == "splats") {
    std::string m = text(v, key);
    if (m != "fail" && m != "warn") fail(v.source(), key, "expected \"fail\" or \"warn\"");
    r.splats_warn = m == "warn";
  } else if (key == "attach_timeout_ms") r.attach_timeout_ms = unsigned(integer(v, key, 1, 3600000));
  else if (key == "guest_log") r.guest_log_level = text(v, key);
  else if (key == "sched_enable") r.pack.sched_enable = existing_path(v, key, false);
  else if (key == "sched_disable") r.pack.sched_disable = existing_path(v, key, false);
  else if (key == "expect_exit") t.expect_exit = r.expect_exit = int(integer(v, key, 0, 255));  // the hook's too
  else if (key == "on_failure") r.pack.on_failure = text(v, key);
  else if (key == "on_failure_timeout") r.on_failure_timeout_s = unsigned(integer(v, key, 1, 3600));
  else if (key == "cold") {
    if (!v.is_boolean()) fail(v.source(), key, "expected true or false");
    r.cold = *v.value<bool>();
  } else if (key == "telemetry") {
    if (!v.is_boolean()) fail(v.source(), key, "expected true or false");
    r.no_telemetry = !*v.value<bool>();
  } else if (key == "stats_ms") r.stats_ms = int(integer(v, key, 0, 3600000));
  else if (key == "verifier_baseline") {
    r.verifier_baseline = existing_path(v, key, false);
    checked(v, key, [&] { load_verifier_baseline(r.verifier_baseline); });
  } else if (key == "write_verifier_baseline") {
    r.write_verifier_baseline = host_path(text(v, key));
    if (std::string why = unwritable_reason(r.write_verifier_baseline); !why.empty())
      fail(v.source(), key, r.write_verifier_baseline + ": " + why);
  } else if (key == "verifier_slack") r.verifier_slack_pct = number(v, key, 0, 10000);
  else return false;
  return true;
}

void ManifestReader::read_test(const toml::table& tt, const SuiteTest& defaults, std::vector<SuiteTest>& out) const {
  SuiteTest t = defaults;
  t.line = int(tt.source().begin.line);
  const toml::table* matrix = nullptr;
  bool has_args = false;
  for (const auto& [k, v] : tt) {
    std::string key(k.str());
    if (key == "name") {
      t.name = text(v, key);
      check_name(v, t.name);
    } else if (key == "args") {
      t.run.pack.payload = strings(v, key);
      if (t.run.pack.payload.empty()) fail(v.source(), key, "needs at least the program");
      t.run.pack.payload[0] = maybe_path(t.run.pack.payload[0]);
      has_args = true;
    } else if (key == "matrix") {
      matrix = v.as_table();
      if (!matrix) fail(v.source(), key, "expected a table");
    } else if (!apply(t, key, v)) {
      fail(k.source(), key, "unknown key");
    }
  }
  if (t.name.empty()) fail(tt.source(), "name", "every [[test]] needs a name");
  if (!has_args) fail(tt.source(), "args", "test '" + t.name + "' needs args = [PROGRAM, ARG...]");
  check_one_shape(tt);
  check_verifier(tt, t);
  t.base_name = t.name;
  size_t first = out.size();
  if (matrix) expand(t, *matrix, out);
  else out.push_back(std::move(t));
  // A shape the machine cannot hold with this memory is refused here, as `run` refuses it.
  for (size_t i = first; i < out.size(); ++i)
    if (std::string e = vm_options_error(out[i].run.vm); !e.empty()) fail(tt.source(), out[i].name, e);
}

// A name is one folder below --artifacts (DIR/NAME is replaced when the test starts): `..` was
// the artifacts folder's parent, the working directory by default, and `.` the folder itself.
void ManifestReader::check_name(const toml::node& n, const std::string& name) const {
  if (name.empty()) fail(n.source(), "name", "must not be empty");
  for (char c : name)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      fail(n.source(), "name", "'" + name + "': use letters, digits, '_', '-' and '.' only");
  if (name == "." || name == "..")
    fail(n.source(), "name", "'" + name + "': a test name is a folder name under --artifacts; '.' and '..' are not");
}

// `run` refuses --smp beside --topology; in one table they would silently replace each other.
void ManifestReader::check_one_shape(const toml::table& t) const {
  if (t.contains("smp") && t.contains("topology"))
    fail(t["smp"].node()->source(), "smp", "beside 'topology' in one table; give one (smp = N is topology 1,1,N,1)");
}

// As `run` refuses them: a baseline without a scheduler has no BPF programs to compare, and a
// test's own verifier_slack without a baseline would be ignored. (A slack in [defaults] may serve
// tests that have a baseline.)
void ManifestReader::check_verifier(const toml::table& tt, const SuiteTest& t) const {
  const RunOptions& r = t.run;
  for (const auto& [key, path] : {std::pair{"verifier_baseline", &r.verifier_baseline},
                                   std::pair{"write_verifier_baseline", &r.write_verifier_baseline}}) {
    if (!path->empty() && r.scheduler.empty()) {
      const toml::node* at = tt.get(key);
      fail(at ? at->source() : tt.source(), key,
           "test '" + t.name + "' has no scheduler: without one no BPF programs are loaded to compare");
    }
  }
  if (const toml::node* slack = tt.get("verifier_slack"); slack && r.verifier_baseline.empty())
    fail(slack->source(), "verifier_slack", "test '" + t.name + "' has no verifier_baseline to allow slack against");
}

// The product of the matrix's topologies and sched_args profiles, topology outermost; profiles in
// the order the file lists them. A variant is named base[topology/profile].
void ManifestReader::expand(const SuiteTest& base, const toml::table& m, std::vector<SuiteTest>& out) const {
  std::vector<std::pair<std::string, Topology>> topologies;  // as written, and parsed
  std::vector<std::pair<std::string, std::vector<std::string>>> profiles;
  for (const auto& [k, v] : m) {
    std::string key(k.str());
    if (key == "topology") {
      for (const auto& text : strings(v, "matrix.topology"))
        topologies.emplace_back(text, topology(v, "matrix.topology", text));
      if (topologies.empty()) fail(v.source(), "matrix.topology", "must not be empty");
    } else if (key == "sched_args") {
      const toml::table* pt = v.as_table();
      if (!pt || pt->empty()) fail(v.source(), "matrix.sched_args", "expected a table of named profiles");
      std::vector<std::tuple<uint32_t, uint32_t, std::string, std::vector<std::string>>> byPos;
      for (const auto& [pk, pv] : *pt)
        byPos.emplace_back(pk.source().begin.line, pk.source().begin.column, std::string(pk.str()),
                           strings(pv, "matrix.sched_args." + std::string(pk.str())));
      std::sort(byPos.begin(), byPos.end());
      for (auto& [l, c, name, args] : byPos) profiles.emplace_back(name, args);
    } else {
      fail(k.source(), "matrix." + key, "unknown key (the matrix takes topology and sched_args)");
    }
  }
  if (topologies.empty() && profiles.empty()) fail(m.source(), "matrix", "is empty");
  if (topologies.empty()) topologies.emplace_back(base.topology, base.run.vm.topology);
  if (profiles.empty()) profiles.emplace_back("", std::vector<std::string>{});
  bool name_topo = m.contains("topology"), name_prof = m.contains("sched_args");
  for (const auto& [topo, shape] : topologies) {
    for (const auto& [prof, args] : profiles) {
      SuiteTest v = base;
      v.topology = topo;
      v.run.vm.topology = shape;
      v.run.pack.sched_args.insert(v.run.pack.sched_args.end(), args.begin(), args.end());
      std::string tag = name_topo ? topo : "";
      if (name_prof) tag += (tag.empty() ? "" : "/") + prof;
      v.name = base.name + "[" + tag + "]";
      out.push_back(std::move(v));
    }
  }
}

SuiteManifest ManifestReader::read() {
  std::error_code ec;
  if (fs::is_directory(path_, ec))
    throw ManifestError(path_ + ": is a directory; give the manifest's TOML file");
  toml::table root;
  try {
    root = toml::parse_file(path_);
  } catch (const toml::parse_error& e) {
    if (!fs::exists(path_)) throw ManifestError(path_ + ": no such file");
    throw ManifestError(path_ + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  SuiteManifest m{path_, fs::path(path_).stem().string(), {}};
  SuiteTest defaults;
  if (const toml::node* d = root.get("defaults")) {
    const toml::table* dt = d->as_table();
    if (!dt) fail(d->source(), "defaults", "expected a table");
    for (const auto& [k, v] : *dt)
      if (!apply(defaults, std::string(k.str()), v)) fail(k.source(), std::string(k.str()), "unknown key in [defaults]");
    check_one_shape(*dt);
  }
  for (const auto& [k, v] : root) {
    std::string key(k.str());
    if (key == "defaults") continue;
    if (key != "test") fail(k.source(), key, "unknown top-level key (expected [defaults] and [[test]])");
    const toml::array* tests = v.as_array();
    if (!tests) fail(v.source(), key, "expected [[test]] tables");
    for (const auto& tn : *tests) {
      const toml::table* tt = tn.as_table();
      if (!tt) fail(tn.source(), key, "expected a [[test]] table");
      read_test(*tt, defaults, m.tests);
    }
  }
  if (m.tests.empty()) throw ManifestError(path_ + ": no [[test]] in the manifest");
  std::map<std::string, int> seen;
  std::map<std::string, std::string> folders;    // artifacts folder -> the test owning it
  std::map<std::string, std::string> baselines;  // written baseline file -> the test writing it
  for (const auto& t : m.tests) {
    auto [it, fresh] = seen.emplace(t.name, t.line);
    if (!fresh)
      throw ManifestError(path_ + ":" + std::to_string(t.line) + ": 'name': '" + t.name +
                          "' is already used by the test at line " + std::to_string(it->second));
    // Matrix variants map '/' to '+': two names must not share one folder, nor exceed one.
    std::string folder = artifact_folder_name(t.name);
    if (folder.size() > NAME_MAX)
      throw ManifestError(path_ + ":" + std::to_string(t.line) + ": 'name': '" + t.name + "' is longer than a " +
                          "folder name may be (" + std::to_string(NAME_MAX) + " bytes)");
    auto [ft, own] = folders.emplace(folder, t.name);
    if (!own)
      throw ManifestError(path_ + ":" + std::to_string(t.line) + ": 'name': tests '" + ft->second + "' and '" +
                          t.name + "' would share the artifacts folder " + folder);
    // Tests run side by side: two writing one baseline file would race, and one would be lost.
    const std::string& out = t.run.write_verifier_baseline;
    if (out.empty()) continue;
    auto [bt, first] = baselines.emplace(out, t.name);
    if (!first)
      throw ManifestError(path_ + ":" + std::to_string(t.line) + ": 'write_verifier_baseline': tests '" + bt->second +
                          "' and '" + t.name + "' would both write " + out + "; give each test its own file");
  }
  return m;
}

}  // namespace

std::string artifact_folder_name(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '/' ? '+' : (c > ' ' && c < 127 ? c : '_');
  return out;
}

SuiteManifest load_manifest(const std::string& path) { return ManifestReader(path).read(); }

}  // namespace ktstr::host
