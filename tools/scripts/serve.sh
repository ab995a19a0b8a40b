#!/usr/bin/env bash
# The serve command: installs what is missing, builds, starts loyaltyd on an
# embedded RocksDB in var/loyalty with rules/default.yaml, shows it working
# with a short loyaltyctl session, prints the web console's address and a key
# to sign in with, then keeps serving until Ctrl-C.
# Environment: LOYALTY_LISTEN (default 127.0.0.1:50051),
#              LOYALTY_HTTP_LISTEN (the HTTP/JSON API; default 127.0.0.1:8080),
#              LOYALTY_DATA_DIR (default var/loyalty).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/install-deps.sh
tools/scripts/build.sh release --target loyaltyd loyaltyctl

listen="${LOYALTY_LISTEN:-127.0.0.1:50051}"
http_listen="${LOYALTY_HTTP_LISTEN:-127.0.0.1:8080}"
data_dir="${LOYALTY_DATA_DIR:-var/loyalty}"
bin=build/release
mkdir -p -m 700 "$data_dir"   # members' personal data: its owner's only
"$bin/engine/server/loyaltyd" --data-dir "$data_dir" --listen "$listen" \
  --http-listen "$http_listen" --rules rules/default.yaml --plaintext --auth=none &
server_pid=$!
trap 'kill -TERM $server_pid 2>/dev/null; wait $server_pid' INT TERM

ctl() { "$bin/tools/loyaltyctl/loyaltyctl" --server "$listen" "$@"; }
# Ready once it answers a read (NOT_FOUND for a member that does not exist).
for _ in $(seq 100); do
  ctl --timeout 1 member get nobody 2>&1 | grep -q NOT_FOUND && break
  kill -0 $server_pid 2>/dev/null || { echo "loyaltyd did not start" >&2; exit 1; }
  sleep 0.1
done

echo
echo "== loyaltyd is up; a first sale (request ids are fixed, so re-running replays them):"
ctl member enroll --id demo-member --name "Demo Member" --request-id demo-enroll
ctl checkout commit --member demo-member --order demo-order-1 \
  --line coffee:2:350:drinks --line croissant:1:180:bakery --request-id demo-sale-1
ctl member balance demo-member
# An admin key for the console (the same request id gives the same key on
# every run). This development server runs with --auth=none, where every
# caller is admin; the key is a real one, which signs in as admin on a
# server started with --auth=keys (the default) too.
console_key=$(ctl --json key create --role admin --name "web console (serve.sh)" \
  --request-id demo-console-key | sed -n 's/.*"apiKey": *"\([^"]*\)".*/\1/p')
echo
echo "== Web console: http://$http_listen/"
echo "   Sign in with the key $console_key"
echo "   (the dashboard shows the sale above; Rules, Members, Partners, Audit are beside it)"
echo
echo "== Serving on $listen (data in $data_dir). Try, in another shell:"
server_flag=""   # loyaltyctl's default address needs no flag
[ "$listen" = 127.0.0.1:50051 ] || server_flag=" --server $listen"
echo "   $bin/tools/loyaltyctl/loyaltyctl$server_flag member history demo-member"
echo "   curl -s http://$http_listen/v1/members/demo-member/balance"
echo "   HTTP/JSON API: http://$http_listen/v1/ (routes: http://$http_listen/v1/openapi.json)"
echo "   Ctrl-C stops loyaltyd."
wait $server_pid
