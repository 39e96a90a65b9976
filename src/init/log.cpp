#include "log.hpp"

#include <spdlog/sinks/base_sink.h>

#include <mutex>

#include "com2.hpp"
#include "crash.hpp"
#include "fd.hpp"
#include "ktstr/wire.hpp"

namespace ktstr::init {
namespace {

// Single-threaded init: null_mutex. Formats "[level] message\n" and sends it as ILOG.
class IlogSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  explicit IlogSink(Com2& com2) : com2_(com2) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::string_view text(buf.data(), buf.size());
    com2_.send_stream(wire::kIlog, text);
    if (msg.level >= spdlog::level::warn || !com2_.is_open()) console_note(text);
  }
  void flush_() override {}

 private:
  Com2& com2_;
};

}  // namespace

void log_init(Com2& com2, std::string_view level) {
  auto logger = std::make_shared<spdlog::logger>("init", std::make_shared<IlogSink>(com2));
  logger->set_pattern("[%l] %v");
  logger->set_level(spdlog::level::from_str(std::string(level)));
  spdlog::set_default_logger(logger);
}

void console_note(std::string_view line) {
  int fd = crash::com1_fd() >= 0 ? crash::com1_fd() : 2;
  std::string s = "ktstr-init: ";
  s += line;
  if (s.back() != '\n') s += '\n';
  write_all(fd, s.data(), s.size());
}

}  // namespace ktstr::init
