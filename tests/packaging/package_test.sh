#!/usr/bin/env bash
# The Debian package, end to end: builds it with CPack from a release build,
# checks its name (loyalty-engine_<version>_amd64.deb), control fields and
# files, unpacks it into a throw-away root (dpkg -x), verifies the systemd
# unit (systemd-analyze verify, where installed: any complaint fails), then
# starts the unit's command line once, as systemd would expand it (ExecStart
# with ${STATE_DIRECTORY} and $LOYALTYD_OPTS from /etc/default/loyalty-engine),
# as a plain process against a temporary state directory, and checks that
# it answers gRPC (loyaltyctl with the admin key it wrote) and /readyz, keeps
# its ledger private (0700), and stops cleanly on SIGTERM.
# Paths under /usr and /etc point into the unpacked root, and the two ports
# become 0 (the kernel picks free ones), so that the test never meets a
# loyaltyd already running.
# Usage: package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/loyalty-package-XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "package_test: FAILED: $*" >&2; exit 1; }

# 1. Build the package.
version=$(sed -n 's/^project(loyalty VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
[ -n "$version" ] || fail "no version in CMakeLists.txt"
cpack --config "$build_dir/CPackConfig.cmake" -B "$work/out" > "$work/cpack.log" 2>&1 \
  || { cat "$work/cpack.log"; fail "cpack"; }
deb="$work/out/loyalty-engine_${version}_amd64.deb"
[ -f "$deb" ] || fail "no $deb; made: $(ls "$work/out")"

# 2. Control fields and files.
info=$(dpkg-deb --info "$deb")
for field in "Package: loyalty-engine" "Version: $version" "Architecture: amd64"; do
  grep -q "^ $field\$" <<< "$info" || fail "control lacks '$field'"
done
grep -q "^ Depends: .*adduser" <<< "$info" || fail "Depends lacks adduser"
grep -q "librocksdb" <<< "$info" || fail "Depends lacks librocksdb (dpkg-shlibdeps)"
dpkg-deb --ctrl-tarfile "$deb" | tar -x -O ./conffiles > "$work/conffiles"
grep -qx /etc/default/loyalty-engine "$work/conffiles" || fail "conffiles"
root="$work/root"
dpkg -x "$deb" "$root"
for file in usr/bin/loyaltyd usr/bin/loyaltyctl lib/systemd/system/loyalty-engine.service \
            etc/default/loyalty-engine etc/loyalty-engine/rules.yaml \
            usr/share/loyalty-engine/rules/README.md \
            usr/share/loyalty-engine/rules/examples/coffee-chain.yaml \
            usr/share/doc/loyalty-engine/prometheus/loyalty-alerts.yml; do
  [ -f "$root/$file" ] || fail "the package lacks /$file"
done
unit="$root/lib/systemd/system/loyalty-engine.service"
for setting in User=loyalty StateDirectory=loyalty-engine ProtectSystem=strict \
               NoNewPrivileges=yes PrivateTmp=yes \
               EnvironmentFile=/etc/default/loyalty-engine; do
  grep -qx "$setting" "$unit" || fail "the unit lacks $setting"
done

# 3. systemd-analyze verify, on a copy whose ExecStart names the unpacked
# binary (verify checks that it exists); it exits 0 on unknown keys and bad
# values, so anything it prints fails.
if command -v systemd-analyze > /dev/null; then
  mkdir "$work/verify"
  sed "s|^ExecStart=/usr/bin/|ExecStart=$root/usr/bin/|" "$unit" \
    > "$work/verify/loyalty-engine.service"
  said=$(systemd-analyze verify "$work/verify/loyalty-engine.service" 2>&1) \
    || fail "systemd-analyze verify: $said"
  [ -z "$said" ] || fail "systemd-analyze verify: $said"
else
  echo "package_test: systemd-analyze not installed, the unit is not verified"
fi

# 4. The unit's command line, once.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
opts=$(set -a; . "$root/etc/default/loyalty-engine"; echo "$LOYALTYD_OPTS")
state="$work/state"
mkdir -m 0700 "$state"   # what StateDirectory= and StateDirectoryMode= make
command_line=${exec_start//'${STATE_DIRECTORY}'/$state}
command_line=${command_line//'$LOYALTYD_OPTS'/$opts}
command_line=$(sed -e "s#\(^\| \|=\)/\(usr\|etc\)/#\1$root/\2/#g" \
                   -e "s#:50051\b#:0#g; s#:9464\b#:0#g" <<< "$command_line")
echo "package_test: $command_line"
read -r -a argv <<< "$command_line"
(umask 0077; exec "${argv[@]}") > "$work/loyaltyd.out" 2> "$work/loyaltyd.err" &
pid=$!
until grep -q "listening on .*(port [0-9]*)" "$work/loyaltyd.out"; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/loyaltyd.err"; fail "loyaltyd ended at start"; }
  sleep 0.1
done
grpc_port=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' "$work/loyaltyd.out")
metrics_port=$(sed -n 's/.*(metrics port \([0-9]*\)).*/\1/p' "$work/loyaltyd.out")
[ -n "$metrics_port" ] || fail "the default flags start no metrics listener"
[ "$(stat -c %a "$state/ledger")" = 700 ] || fail "the ledger is not 0700"
"$root/usr/bin/loyaltyctl" --server "127.0.0.1:$grpc_port" --timeout 60 \
  --api-key-file "$state/ledger/ADMIN_KEY" \
  member enroll --id pkg-1 --name "Package Test" --request-id pkg-enroll-1 \
  > "$work/ctl.out" 2>&1 || { cat "$work/ctl.out"; fail "loyaltyctl member enroll"; }
exec 3<> "/dev/tcp/127.0.0.1/$metrics_port"
printf 'GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
answer=$(cat <&3)
exec 3>&-
grep -q "^HTTP/1.[01] 200" <<< "$answer" || fail "/readyz: $answer"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" = 0 ] || { cat "$work/loyaltyd.err"; fail "loyaltyd exited $status on SIGTERM"; }
echo "package_test: $(basename "$deb") built, unpacked, started and stopped"
