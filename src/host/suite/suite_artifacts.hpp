// The suite's artifact folders, DIR/NAME: ktstr-vm marks each folder it makes, and only ever
// replaces or removes a folder that carries its mark. A DIR/NAME of the user's (a `tests/` beside
// `--artifacts .`, a leftover without the mark) is refused before any VM boots, never touched.
#pragma once

#include <string>
#include <vector>

namespace ktstr::host {

// The marker file in every artifact folder ktstr-vm makes.
inline constexpr const char* kArtifactMarker = ".ktstr-vm-artifacts";

// True when `folder` is a real directory (not a symlink) holding the marker as a regular file.
bool is_artifact_folder(const std::string& folder);

// Before any VM: makes DIR if it is missing and checks that it is a writable folder, and that each
// DIR/NAME (NAME from `names`) is absent or one of ours. Returns "" or the reason to refuse, naming
// every folder that is in the way and what to do about it.
std::string prepare_artifacts_dir(const std::string& dir, const std::vector<std::string>& names);

// A fresh, marked DIR/NAME: an old one of ours is removed first. Throws std::runtime_error (and
// touches nothing) if something that is not ours is in the way, or naming the failed call.
void make_artifact_folder(const std::string& folder);

// Removes `folder` if it is one of ours; anything else stays. False if it was not removed.
bool remove_artifact_folder(const std::string& folder);

}  // namespace ktstr::host
