# The Debian package, built by CPack: loyalty-engine_<version>_amd64.deb with
# loyaltyd and loyaltyctl in /usr/bin, the systemd unit, its default flags in
# /etc/default/loyalty-engine, the rule file loyaltyd starts with in
# /etc/loyalty-engine/rules.yaml, the rule examples and their guide in
# /usr/share/loyalty-engine/rules, and the example Prometheus configuration
# in /usr/share/doc/loyalty-engine/prometheus. Build it after a release
# build with `cpack --config build/release/CPackConfig.cmake`
# (tests/packaging/package_test.sh builds, unpacks and starts it).
include(GNUInstallDirs)

install(TARGETS loyaltyd loyaltyctl RUNTIME DESTINATION bin)
install(FILES packaging/loyalty-engine.service DESTINATION /lib/systemd/system)
install(FILES packaging/loyalty-engine.default DESTINATION /etc/default
        RENAME loyalty-engine)
install(FILES rules/default.yaml DESTINATION /etc/loyalty-engine
        RENAME rules.yaml)
install(FILES rules/default.yaml rules/README.md
        DESTINATION share/loyalty-engine/rules)
install(DIRECTORY rules/examples DESTINATION share/loyalty-engine/rules)
install(FILES README.md DESTINATION share/doc/loyalty-engine)
install(DIRECTORY packaging/prometheus DESTINATION share/doc/loyalty-engine)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME loyalty-engine)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Loyalty engine: points and cashback ledger served over gRPC")
set(CPACK_PACKAGE_DESCRIPTION
    "loyaltyd keeps an exact, double-entry ledger of loyalty points and
cashback in an embedded RocksDB and prices purchases with rules written in
YAML; loyaltyctl is its command-line client. Runs as the systemd service
loyalty-engine.service.")
set(CPACK_PACKAGE_CONTACT "Loyalty engine maintainers <loyalty-engine@localhost>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies as dpkg-shlibdeps finds them; adduser for postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS adduser)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
