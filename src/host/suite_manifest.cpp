#include "suite_manifest.hpp"

#include <toml++/toml.h>

#include "ktstr/topology.hpp"
#include "qemu.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>

namespace fs = std::filesystem;

namespace ktstr::host {
namespace {

// Reads one manifest; every error names file:line and the key.
class ManifestReader {
 public:
  explicit ManifestReader(std::string path) : path_(std::move(path)), dir_(fs::path(path_).parent_path()) {}

  SuiteManifest read();

 private:
  [[noreturn]] void fail(const toml::source_region& where, const std::string& key, const std::string& what) const {
    throw ManifestError(path_ + ":" + std::to_string(where.begin.line) + ": " +
                        (key.empty() ? "" : "'" + key + "': ") + what);
  }
  std::string text(const toml::node& n, const std::string& key) const;
  long long integer(const toml::node& n, const std::string& key, long long lo, long long hi) const;
  std::vector<std::string> strings(const toml::node& n, const std::string& key) const;
  Topology topology(const toml::node& n, const std::string& key, const std::string& text) const;
  std::string host_path(const std::string& p) const;
  // A value that names a host file when it holds a '/': "./my_sched", "../bin/x", "/abs".
  std::string maybe_path(const std::string& p) const {
    return p.find('/') == std::string::npos ? p : host_path(p);
  }
  // Applies one option key common to [defaults] and [[test]]; false if the key is not one.
  bool apply(SuiteTest& t, const std::string& key, const toml::node& v) const;
  void read_test(const toml::table& tt, const SuiteTest& defaults, std::vector<SuiteTest>& out) const;
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

bool ManifestReader::apply(SuiteTest& t, const std::string& key, const toml::node& v) const {
  RunOptions& r = t.run;
  if (key == "scheduler") r.scheduler = maybe_path(text(v, key));
  else if (key == "sched_args") r.pack.sched_args = strings(v, key);
  else if (key == "include") {
    r.pack.includes.clear();
    for (const auto& p : strings(v, key)) r.pack.includes.push_back(host_path(p));
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
  else if (key == "kernel") r.vm.kernel = host_path(text(v, key));
  else if (key == "append") r.vm.append = strings(v, key);
  else if (key == "accel") {
    r.vm.accel = text(v, key);
    if (r.vm.accel != "auto" && r.vm.accel != "tcg" && r.vm.accel != "kvm")
      fail(v.source(), key, "expected auto, tcg or kvm");
  } else if (key == "deny") r.deny = strings(v, key);
  else if (key == "allow") r.allow = strings(v, key);
  else if (key == "splat_rules") r.splat_rules = host_path(text(v, key));
  else if (key == "splats") {
    std::string m = text(v, key);
    if (m != "fail" && m != "warn") fail(v.source(), key, "expected \"fail\" or \"warn\"");
    r.splats_warn = m == "warn";
  } else if (key == "attach_timeout_ms") r.attach_timeout_ms = unsigned(integer(v, key, 1, 3600000));
  else if (key == "guest_log") r.guest_log_level = text(v, key);
  else if (key == "sched_enable") r.pack.sched_enable = host_path(text(v, key));
  else if (key == "sched_disable") r.pack.sched_disable = host_path(text(v, key));
  else if (key == "expect_exit") t.expect_exit = int(integer(v, key, 0, 255));
  else if (key == "telemetry") {
    if (!v.is_boolean()) fail(v.source(), key, "expected true or false");
    r.no_telemetry = !*v.value<bool>();
  } else if (key == "stats_ms") r.stats_ms = int(integer(v, key, 0, 3600000));
  else if (key == "verifier_baseline") r.verifier_baseline = host_path(text(v, key));
  else if (key == "write_verifier_baseline") r.write_verifier_baseline = host_path(text(v, key));
  else if (key == "verifier_slack") {
    auto pct = v.is_integer() ? std::optional<double>(double(*v.value<int64_t>())) : v.value<double>();
    if (!pct || *pct < 0 || *pct > 10000) fail(v.source(), key, "expected a percentage, 0 to 10000");
    r.verifier_slack_pct = *pct;
  }
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
      if (t.name.empty()) fail(v.source(), key, "must not be empty");
      for (char c : t.name)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
          fail(v.source(), key, "'" + t.name + "': use letters, digits, '_', '-' and '.' only");
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
  t.base_name = t.name;
  size_t first = out.size();
  if (matrix) expand(t, *matrix, out);
  else out.push_back(std::move(t));
  // A shape the machine cannot hold with this memory is refused here, as `run` refuses it.
  for (size_t i = first; i < out.size(); ++i)
    if (std::string e = vm_options_error(out[i].run.vm); !e.empty()) fail(tt.source(), out[i].name, e);
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
  std::map<std::string, std::string> baselines;  // written baseline file -> the test writing it
  for (const auto& t : m.tests) {
    auto [it, fresh] = seen.emplace(t.name, t.line);
    if (!fresh)
      throw ManifestError(path_ + ":" + std::to_string(t.line) + ": 'name': '" + t.name +
                          "' is already used by the test at line " + std::to_string(it->second));
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

SuiteManifest load_manifest(const std::string& path) { return ManifestReader(path).read(); }

}  // namespace ktstr::host
