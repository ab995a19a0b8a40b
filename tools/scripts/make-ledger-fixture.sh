#!/usr/bin/env bash
# Writes an old-ledger fixture: a small ledger holding every kind of journal
# entry and stored record, made by the loyaltyd and loyaltyctl of one commit,
# together with what that commit answered. tests/tools/old_ledger_test.cc opens
# the ledger with today's loyaltyd and checks that it answers the same, so a
# change of a stored record's shape cannot misread or refuse an older ledger.
#
# Usage: tools/scripts/make-ledger-fixture.sh [--commit REV] [--out DIR]
#   --commit REV  build commit REV in a temporary worktree and use its
#                 binaries (default: this checkout's build/release, built now)
#   --out DIR     where the fixture goes (default: tests/fixtures/ledger-1)
#
# The fixture holds:
#   data.tar.gz   the data directory after a clean stop (RocksDB files, the
#                 ADMIN_KEY file)
#   checks.jsonl  one loyaltyctl call per line: {"args": [...], "exit": N,
#                 "out": "..."} with its --json output; the writes are sent
#                 again by the test (idempotent replays), the reads read again
#   made_at       the server's time when the reads were made (RFC 3339); the
#                 test's clock stands there
#   rules-1.yaml, rules-2.yaml, rules-3.yaml  the rule files the history loads
#                 (rules-1.yaml is the start file; 2 and 3 are made from it)
# Needs: git, python3 (to write JSON), tar.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
commit=""
out=tests/fixtures/ledger-1
while (($#)); do
  case "$1" in
    --commit) commit=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "make-ledger-fixture: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
# Inside build/ (ignored by git), so that a shared compiler cache finds the
# objects of this checkout's own build.
src=$root/build/fixture-src-$$
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" || true
  [[ -n $commit ]] && git -C "$root" worktree remove --force "$src" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -n $commit ]]; then
  echo "== building $commit in a temporary worktree"
  git worktree add --detach "$src" "$commit" >/dev/null
  (cd "$src" && tools/scripts/build.sh release --target loyaltyd loyaltyctl)
  bin=$src/build/release
else
  tools/scripts/build.sh release --target loyaltyd loyaltyctl
  bin=$root/build/release
fi
mkdir -p "$out"
rules1=$out/rules-1.yaml
[[ -f $rules1 ]] || cp tests/fixtures/ledger-1/rules-1.yaml "$rules1"
sed -e 's/points: 10}/points: 15}/' -e '1s/.*/# Second version: a larger welcome bonus./' \
  "$rules1" >"$out/rules-2.yaml"
sed -e 's/points: 10}/points: 12}/' -e '1s/.*/# Third version, active a month after it was loaded./' \
  "$rules1" >"$out/rules-3.yaml"

data=$work/data
mkdir -m 700 "$data"
: >"$work/loyaltyd.out"
"$bin/engine/server/loyaltyd" --data-dir "$data" --listen 127.0.0.1:0 --plaintext \
  --rules "$rules1" --max-backdate 8784h --upkeep-every 0 >"$work/loyaltyd.out" 2>"$work/loyaltyd.err" &
server_pid=$!
port=""
for _ in $(seq 300); do
  port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$work/loyaltyd.out" | head -1)
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/loyaltyd.err" >&2; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { echo "loyaltyd did not start" >&2; exit 1; }

checks=$work/checks.jsonl
: >"$checks"
ctl() {
  "$bin/tools/loyaltyctl/loyaltyctl" --server "127.0.0.1:$port" \
    --api-key-file "$data/ADMIN_KEY" --json "$@"
}
# Runs loyaltyctl and records the call with its exit status and output.
rec() {
  local status=0
  ctl "$@" >"$work/out" 2>"$work/err" || status=$?
  python3 - "$status" "$work/out" "$@" >>"$checks" <<'EOF'
import json, sys
print(json.dumps({"args": sys.argv[3:], "exit": int(sys.argv[1]),
                  "out": open(sys.argv[2]).read()}))
EOF
  cat "$work/out"
}
ago() { date -u -d "-$1 days" +%Y-%m-%dT12:00:00Z; }

echo "== writing the history"
ctl key create --role pos --name till-1 --request-id key-pos >/dev/null
ctl key create --role pos --partner fuelco --name fuel-till --request-id key-fuel >/dev/null
ctl key create --role marketing --name marketing --request-id key-marketing >/dev/null
ctl key create --role auditor --name auditor --request-id key-auditor >/dev/null
old_key=$(ctl key create --role eshop --name retired --request-id key-retired |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"]["keyId"])')
ctl key revoke "$old_key" --request-id key-revoke >/dev/null
rec partner upsert fuelco --name "Fuel Co" --share-bp 5000 --request-id partner-fuelco >/dev/null
rec partner upsert bakeco --name "Bake Co" --share-bp 2000 --request-id partner-bakeco >/dev/null

birthday=1990-$(date -u +%m)-15
rec member enroll --id anna --name "Anna Example" --email anna@example.org \
  --phone +49301234567 --birth-date "$birthday" --region berlin --segment students \
  --enroll-time "$(ago 250)" --request-id enroll-anna >/dev/null
code=$(ctl member get anna | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["member"]["referralCode"])')
rec member enroll --id ben --name "Ben Example" --email ben@example.org \
  --referral-code "$code" --enroll-time "$(ago 40)" --request-id enroll-ben >/dev/null
rec member enroll --id carla --name "Carla Example" --phone +49301234999 \
  --enroll-time "$(ago 30)" --request-id enroll-carla >/dev/null
rec member enroll --id dora --enroll-time "$(ago 15)" --request-id enroll-dora >/dev/null

sale() { rec checkout commit "$@" >/dev/null; }
sale --member anna --order a-1 --line bread:1:800:bread --line coffee:2:350:drinks \
  --time "$(ago 200)" --request-id sale-a-1
sale --member anna --order a-2 --line tv:1:15000:electronics --time "$(ago 190)" --request-id sale-a-2
sale --member anna --order a-3 --line fuel:1:6000:fuel --partner fuelco --redeem 10 \
  --store pump-7 --terminal t-1 --time "$(ago 20)" --request-id sale-a-3
sale --member ben --order b-1 --line shoes:1:2500:clothing --channel eshop \
  --time "$(ago 10)" --request-id sale-b-1
sale --member carla --order c-1 --line fuel:2:3000:fuel --partner fuelco --promo SPRING10 \
  --time "$(ago 5)" --request-id sale-c-1
sale --member anna --order a-4 --line coffee:3:350:drinks --line cake:1:400:pastry \
  --cashback 100 --time "$(ago 3)" --request-id sale-a-4
sale --member dora --order d-1 --line bread:2:500:bread --request-id sale-d-1
sale --member dora --order d-2 --line tv:1:9000:electronics --redeem 100000 --request-id sale-d-2
rec checkout refund --order a-4 --line 0:1 --request-id refund-a-4 >/dev/null
rec checkout refund --order c-1 --partner fuelco --request-id refund-c-1 >/dev/null
rec reward redeem coffee --member anna --request-id reward-anna >/dev/null
rec feedback record --survey nps --score 9 --member anna --order a-1 --request-id fb-1 >/dev/null
rec feedback record --survey csat --score 4 --member ben --reason SERVICE --request-id fb-2 >/dev/null
rec feedback record --survey ces --score 2 --channel eshop --request-id fb-3 >/dev/null
rec member adjust carla --points 25 --reason GOODWILL --note "late delivery" --request-id adjust-carla >/dev/null
# Rule files by their name in the fixture's folder, where the test runs
# loyaltyctl (the file's name is part of the request a replay must match).
(cd "$out" && rec rules load rules-2.yaml --request-id rules-2 >/dev/null)
(cd "$out" && rec rules load rules-3.yaml \
  --activate-at "$(date -u -d '+30 days' +%Y-%m-%dT00:00:00Z)" --request-id rules-3 >/dev/null)
cat >"$work/import.jsonl" <<EOF
{"request_id": "imp-1", "purchase": {"member_id": "dora", "order_id": "imp-1", "purchase_time": "$(ago 2)", "currency": "EUR", "lines": [{"sku": "coffee", "quantity": 1, "unit_price_minor": 350, "category": "drinks"}]}}
{"request_id": "imp-2", "purchase": {"member_id": "carla", "order_id": "imp-2", "purchase_time": "$(ago 2)", "currency": "EUR", "lines": [{"sku": "bread", "quantity": 1, "unit_price_minor": 900, "category": "bread"}]}}
EOF
ctl checkout import "$work/import.jsonl" >"$work/import.out" || { cat "$work/import.out" >&2; exit 1; }
ctl program expire --request-id upkeep-1 >/dev/null
rec partner upsert bakeco --name "Bake Co" --share-bp 2000 --status suspended \
  --request-id partner-bakeco-2 >/dev/null
sale --member anna --order a-5 --line coffee:1:350:drinks --request-id sale-a-5

date -u +%Y-%m-%dT%H:%M:%SZ >"$work/made_at"
echo "== recording the reads"
for member in anna ben carla dora; do
  rec member get "$member" >/dev/null
  rec member balance "$member" >/dev/null
  rec member history "$member" --all >/dev/null
done
rec rules show >/dev/null
rec partner list >/dev/null
rec reward list >/dev/null
rec metrics --from "$(date -u -d '-7 months' +%Y-%m)" --to "$(date -u +%Y-%m)" >/dev/null
rec partner settle --from "$(ago 365 | cut -c1-10)" --to "$(date -u -d '+1 day' +%Y-%m-%d)" >/dev/null
rec export --format jsonl --out - >/dev/null
rec verify >/dev/null

kill -TERM "$server_pid"
wait "$server_pid"
server_pid=""
rm -f "$data"/LOG.old.*
tar -C "$data" -czf "$out/data.tar.gz" .
cp "$checks" "$out/checks.jsonl"
cp "$work/made_at" "$out/made_at"
echo "== wrote $out: $(wc -l <"$out/checks.jsonl") checks, data $(du -h "$out/data.tar.gz" | cut -f1)"
