# Install rules and packaging (docs/install.md). The layout is relocatable: ktstr-vm finds what it
# needs at run time relative to its own executable (/proc/self/exe), so PREFIX can be moved:
#   PREFIX/bin/ktstr-vm
#   PREFIX/libexec/ktstr-init/init              the static guest PID 1
#   PREFIX/libexec/ktstr-init/fetch-kernel.sh   `ktstr-vm kernel fetch`
#   PREFIX/share/man/man1/ktstr-vm.1
#   PREFIX/share/doc/ktstr-init/                README.md, LICENSE, docs/
# The libexec path is fixed (not CMAKE_INSTALL_LIBEXECDIR): src/host/paths.cpp looks there.
include(GNUInstallDirs)
# cmake --install and cpack install what is built; they do not build `all` (the tests) first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(KTSTR_LIBEXEC_DIR "libexec/ktstr-init")
install(TARGETS ktstr-vm RUNTIME DESTINATION bin)
install(PROGRAMS "${KTSTR_INIT}" "${KTSTR_BIN_DIR}/fetch-kernel.sh" DESTINATION "${KTSTR_LIBEXEC_DIR}")
install(FILES "${KTSTR_MAN_PAGE}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
install(FILES README.md LICENSE DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(DIRECTORY docs/ DESTINATION "${CMAKE_INSTALL_DOCDIR}/docs")

# The .deb (scripts/package.sh runs cpack). Depends: what ktstr-vm runs (QEMU, busybox for the
# guest, zstd for the kernel's payload), plus the shared libraries it links, which dpkg-shlibdeps
# derives from the binary.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ktstr-init)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "run sched_ext scheduler tests in a throwaway QEMU VM (ktstr-vm)")
set(CPACK_PACKAGE_CONTACT "ktstr-init maintainers <ktstr-init@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "qemu-system-x86, busybox-static, zstd, apt")
include(CPack)
