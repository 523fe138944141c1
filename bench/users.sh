#!/usr/bin/env bash
# Times the users tool on generated files (release build) and prints one Markdown table row per
# run: rows, phase, seconds, rows/s, peak RSS. Phases: create (empty store), unchanged (the same
# file again), update (every 10th account's city changed). Then a password file at the default
# bcrypt cost, whose rate is bound by hashing on all cores.
#
#   bench/users.sh                 # 10 000, 100 000 and 1 000 000 rows
#   bench/users.sh 50000           # chosen sizes
#   PASSWORD_ROWS=2000 bench/users.sh 10000
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p lmsync -p lmsync-bench
lmsync=$PWD/target/release/lmsync
gen=$PWD/target/release/lmsync-bench
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run <data dir> <file in its area> <label> <rows>
run() {
  local data=$1 file=$2 label=$3 rows=$4 out secs kb
  out=$( { /usr/bin/time -f "TIME %e %M" "$lmsync" --data-dir "$data" run users --file "$file" >/dev/null; } 2>&1 ) || true
  secs=$(echo "$out" | awk '/^TIME/ {print $2}')
  kb=$(echo "$out" | awk '/^TIME/ {print $3}')
  awk -v r="$rows" -v s="$secs" -v k="$kb" -v l="$label" 'BEGIN { printf "| %d | %s | %.2f | %d | %.0f MB |\n", r, l, s, (s > 0 ? r / s : 0), k / 1024 }'
}

echo "| rows | phase | seconds | rows/s | peak RSS |"
echo "|---:|---|---:|---:|---:|"
for n in "${sizes[@]}"; do
  data=$work/data-$n
  "$lmsync" --data-dir "$data" runs >/dev/null
  export LMSYNC_USERS__PRIMARY_IDENTITY=idnumber
  "$gen" users "$n" > "$data/files/create.csv"
  cp "$data/files/create.csv" "$data/files/again.csv"
  "$gen" users "$n" --touch-every 10 > "$data/files/update.csv"
  run "$data" "$data/files/create.csv" create "$n"
  run "$data" "$data/files/again.csv" unchanged "$n"
  run "$data" "$data/files/update.csv" "update (10 % changed)" "$n"
done

echo
"$gen" users "${sizes[-1]}" > "$work/read.csv"
echo "CSV engine alone, ${sizes[-1]} rows: $("$gen" read "$work/read.csv")"

p=${PASSWORD_ROWS:-2000}
data=$work/data-passwords
"$lmsync" --data-dir "$data" runs >/dev/null
"$gen" users "$p" --passwords > "$data/files/passwords.csv"
run "$data" "$data/files/passwords.csv" "create with passwords (bcrypt cost 10, $(nproc) cores)" "$p"
