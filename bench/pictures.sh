#!/usr/bin/env bash
# Times the user pictures tool (release build) and prints Markdown table rows: N accounts
# (`lmsync-bench users`, untimed), a zip of N JPEG pictures of WxH pixels named after them
# (`lmsync-bench pictures`), processed on a fresh store, then the same archive again (every
# picture unchanged: the differential hash).
#
#   bench/pictures.sh                 # 5 000 pictures of 640×480
#   bench/pictures.sh 500 1024 768    # N W H
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p lmsync -p lmsync-bench
lmsync=$PWD/target/release/lmsync
gen=$PWD/target/release/lmsync-bench
n=${1:-5000}
w=${2:-640}
h=${3:-480}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LMSYNC_USERS__PRIMARY_IDENTITY=idnumber
data=$work/data
"$lmsync" --data-dir "$data" runs >/dev/null
"$gen" users "$n" > "$work/users.csv"
"$lmsync" --data-dir "$data" run users --file "$work/users.csv" >/dev/null
"$gen" pictures "$n" "$work/userpictures_bench.zip" --width "$w" --height "$h"
mb=$(( $(stat -c %s "$work/userpictures_bench.zip") / 1024 / 1024 ))

timed() {
  local label=$1 expect=$2 out secs kb
  cp "$work/userpictures_bench.zip" "$work/userpictures_run.zip"
  out=$( { /usr/bin/time -f '%e %M' "$lmsync" --data-dir "$data" run userpictures --file "$work/userpictures_run.zip" > "$work/out.txt"; } 2>&1 ) || true
  grep -q "$expect" "$work/out.txt" || { echo "$label: expected \"$expect\":" >&2; cat "$work/out.txt" >&2; exit 1; }
  read -r secs kb <<<"$(tail -1 <<<"$out")"
  printf '| %s | %s | %s s | %s pictures/s | %s MB |\n' "$label" "$n" "$secs" \
    "$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? n / s : n) }')" "$((kb / 1024))"
}

timed "$n pictures of ${w}×${h} (${mb} MB zip): decoded, cropped, 3 sizes stored" "created $n,"
timed "the same archive again (every picture unchanged)" "unchanged $n,"
