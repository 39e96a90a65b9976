// `ktstr-vm decode`: turn a COM2 capture into text or JSON lines, or extract one stream.
#pragma once

#include <string>

namespace ktstr::host {

struct DecodeOptions {
  std::string input = "-";  // file path, or "-" for stdin
  bool json = false;        // one JSON object per frame instead of text
  std::string stream;       // SOUT|SERR|SLOG|ILOG: write only that stream's raw bytes to stdout
};

// Runs the decode subcommand. Output on stdout, summary and reasons on stderr.
// Returns 0 only for a complete, clean capture (DONE seen, no corrupt/lost/truncated); 1 otherwise;
// 2 if the input cannot be read.
int run_decode(const DecodeOptions& opts);

}  // namespace ktstr::host
