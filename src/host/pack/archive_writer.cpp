#include "archive_writer.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <stdexcept>

#include "text.hpp"

namespace ktstr::host {

ArchiveWriter::ArchiveWriter(const std::string& out, Compression c, int level) : a_(archive_write_new()), out_(out) {
  check(archive_write_set_format_cpio_newc(a_), "newc format");
  if (c == Compression::gzip) {
    check(archive_write_add_filter_gzip(a_), "gzip filter");
    check(archive_write_set_options(a_, "gzip:!timestamp"), "gzip without timestamp");
  } else if (c == Compression::zstd) {
    check(archive_write_add_filter_zstd(a_), "zstd filter");
    // Level 1 on 2 workers: a dynamic closure is 30-40 MB, and zstd -3 on one thread took up
    // to seconds per pack on a loaded host. zstd's multi-threaded output does not depend on the
    // worker count, so the bytes stay the same on every host. --compression zstd:LEVEL sets
    // another level.
    std::string opts = "zstd:compression-level=" + std::to_string(level ? level : 1) + ",zstd:threads=2";
    check(archive_write_set_options(a_, opts.c_str()), "zstd level and threads");
  }
  check(archive_write_open_filename(a_, out.c_str()), "open");
}

ArchiveWriter::~ArchiveWriter() { archive_write_free(a_); }

void ArchiveWriter::write(const std::string& path, const Entry& e) {
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> ent(archive_entry_new(), archive_entry_free);
  archive_entry* x = ent.get();
  archive_entry_set_pathname(x, path.c_str());
  archive_entry_set_mtime(x, 0, 0);
  archive_entry_set_uid(x, 0);
  archive_entry_set_gid(x, 0);
  archive_entry_set_ino64(x, ++ino_);  // in order: same inputs, same inode numbers
  archive_entry_set_dev(x, 0);
  std::string data = e.content;
  archive_entry_set_size(x, 0);
  switch (e.kind) {
    case Entry::dir:
      archive_entry_set_filetype(x, AE_IFDIR);
      archive_entry_set_nlink(x, 2);
      break;
    case Entry::chardev:
      archive_entry_set_filetype(x, AE_IFCHR);
      archive_entry_set_rdevmajor(x, e.major);
      archive_entry_set_rdevminor(x, e.minor);
      archive_entry_set_nlink(x, 1);
      break;
    case Entry::symlink:
      archive_entry_set_filetype(x, AE_IFLNK);
      archive_entry_set_symlink(x, e.target.c_str());
      archive_entry_set_nlink(x, 1);
      break;
    case Entry::file:
      archive_entry_set_filetype(x, AE_IFREG);
      archive_entry_set_nlink(x, 1);
      if (!e.host_path.empty()) data = read_whole_file(e.host_path);
      archive_entry_set_size(x, la_int64_t(data.size()));
      break;
  }
  archive_entry_set_perm(x, e.kind == Entry::symlink ? 0777 : e.mode);
  check(archive_write_header(a_, x), "header of " + path);
  if (!data.empty() && archive_write_data(a_, data.data(), data.size()) != la_ssize_t(data.size()))
    fail("data of " + path);
}

void ArchiveWriter::close() { check(archive_write_close(a_), "close"); }

void ArchiveWriter::check(int r, const std::string& what) {
  if (r < ARCHIVE_WARN) fail(what);
}
void ArchiveWriter::fail(const std::string& what) {
  const char* msg = archive_error_string(a_);
  throw std::runtime_error("writing " + out_ + ": " + what + ": " + (msg ? msg : "libarchive error"));
}

}  // namespace ktstr::host
