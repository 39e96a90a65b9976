#include "verifier_baseline.hpp"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

namespace ktstr::host {

namespace {
constexpr const char* kFormat = "ktstr-verifier-baseline-1";
}

VerifierBaseline load_verifier_baseline(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("verifier baseline " + path + ": cannot read");
  std::stringstream text;
  text << f.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::runtime_error("verifier baseline " + path + ": not a JSON object");
  auto progs = j.find("programs");
  if (progs == j.end() || !progs->is_object() || progs->empty())
    throw std::runtime_error("verifier baseline " + path + ": no \"programs\" object of NAME: verified_insns");
  VerifierBaseline b{path, {}};
  for (const auto& [name, n] : progs->items()) {
    if (!n.is_number_unsigned())
      throw std::runtime_error("verifier baseline " + path + ": programs." + name + " is not a count");
    b.programs[name] = n.get<uint64_t>();
  }
  return b;
}

void write_verifier_baseline(const std::string& path, const std::vector<BpfProgram>& programs,
                             const std::string& kernel, const std::string& scheduler) {
  if (programs.empty())
    throw std::runtime_error("no BPF programs were reported by the guest: verifier baseline " + path + " not written");
  nlohmann::json j;
  j["format"] = kFormat;
  j["kernel"] = kernel;
  j["scheduler"] = scheduler;
  nlohmann::json p = nlohmann::json::object();
  for (const auto& b : programs) p[b.key] = b.verified_insns;
  j["programs"] = p;
  std::ofstream f(path);
  f << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  f.close();  // a full disk shows at the last flush
  if (!f) throw std::runtime_error("cannot write verifier baseline " + path);
}

BaselineCheck check_verifier_baseline(const VerifierBaseline& base, const std::vector<BpfProgram>& programs,
                                      double slack_pct) {
  BaselineCheck c;
  // The options refuse it; should a NaN get here anyway, every comparison with it is false and
  // the guard would pass anything: fail closed instead.
  if (!std::isfinite(slack_pct) || slack_pct < 0) {
    c.failure = "verifier slack " + std::to_string(slack_pct) + " is not a finite percentage: nothing compared";
    return c;
  }
  if (programs.empty()) {
    c.failure = "verifier baseline " + base.path + ": the guest reported no BPF programs to compare";
    return c;
  }
  std::set<std::string> in_run;
  for (const auto& p : programs) {
    in_run.insert(p.key);
    auto it = base.programs.find(p.key);
    if (it == base.programs.end()) {
      c.notes.push_back(p.key + ": not in the baseline (" + std::to_string(p.verified_insns) + " verified insns)");
      continue;
    }
    // Integer comparison against the rounded-down limit: base * (1 + slack/100).
    uint64_t limit = uint64_t(std::floor(double(it->second) * (1.0 + slack_pct / 100.0)));
    if (p.verified_insns > limit) {
      if (!c.failure.empty()) c.failure += "; ";
      c.failure += p.key + " verified " + std::to_string(p.verified_insns) + " insns, baseline " +
                   std::to_string(it->second);
    } else if (p.verified_insns < it->second) {
      c.notes.push_back(p.key + ": " + std::to_string(p.verified_insns) + " verified insns, fewer than the baseline's " +
                        std::to_string(it->second));
    }
  }
  for (const auto& [name, n] : base.programs)
    if (!in_run.count(name)) c.notes.push_back(name + ": in the baseline (" + std::to_string(n) + "), not in this run");
  if (!c.failure.empty()) {
    char slack[32];
    std::snprintf(slack, sizeof slack, "%g", slack_pct);
    c.failure = "verifier budget past the baseline + " + std::string(slack) + "%: " + c.failure;
  }
  return c;
}

}  // namespace ktstr::host
