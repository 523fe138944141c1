#!/usr/bin/env bash
# Times the enrolment tool (release build) and prints Markdown table rows: USERS accounts
# (`lmsync-bench users`, matched by idnumber ID0000000…) and COURSES courses (`lmsync-bench
# courses`, C000000…), then a USERS × COURSES-line file enrolling every account as a manual
# student in every course (`lmsync-bench enrols`), run on that store and run again (every line
# unchanged); then, for the memory comparison, the first SMALL lines of the same file on a fresh
# store with the same accounts and courses.
#
#   bench/enrols.sh                    # 100 000 users × 10 courses = 1 000 000 lines; 100 000 lines
#   bench/enrols.sh 2000 5 1000        # USERS COURSES SMALL
#   ORDER=by-course bench/enrols.sh    # the file course by course (default: user by user)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p lmsync -p lmsync-bench
lmsync=$PWD/target/release/lmsync
gen=$PWD/target/release/lmsync-bench
users=${1:-100000}
courses=${2:-10}
small=${3:-100000}
order=()
[ "${ORDER:-by-user}" = by-course ] && order=(--by-course)
lines=$((users * courses))
[ "$small" -le "$lines" ] || small=$lines
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LMSYNC_USERS__PRIMARY_IDENTITY=idnumber

# store <data dir>: USERS accounts and COURSES courses, untimed.
store() {
  local data=$1
  "$lmsync" --data-dir "$data" runs >/dev/null
  "$gen" users "$users" > "$data/files/users.csv"
  "$gen" courses "$courses" > "$data/files/courses.csv"
  "$lmsync" --data-dir "$data" run users --file "$data/files/users.csv" >/dev/null
  "$lmsync" --data-dir "$data" run courses --op create --file "$data/files/courses.csv" >/dev/null
}

# run <data dir> <file in its area> <label> <lines> <outcome every line must have>
run() {
  local data=$1 file=$2 label=$3 rows=$4 want=$5 out secs kb counts
  out=$( { /usr/bin/time -f "TIME %e %M" "$lmsync" --data-dir "$data" run enrols --file "$file" >"$work/stdout"; } 2>&1 ) || true
  secs=$(echo "$out" | awk '/^TIME/ {print $2}')
  kb=$(echo "$out" | awk '/^TIME/ {print $3}')
  counts=$(grep -m1 '^ *created ' "$work/stdout" || true)
  if ! echo "$counts" | grep -q "$want $rows,"; then
    echo "warning: $label: expected $want $rows, got: ${counts:-$(cat "$work/stdout")}" >&2
  fi
  awk -v r="$rows" -v s="$secs" -v k="$kb" -v l="$label" 'BEGIN { printf "| %d | %s | %.2f | %d | %.0f MB |\n", r, l, s, (s > 0 ? r / s : 0), k / 1024 }'
}

echo "| lines | phase | seconds | lines/s | peak RSS |"
echo "|---:|---|---:|---:|---:|"
"$gen" enrols "$users" "$courses" "${order[@]}" > "$work/enrols.csv"
data=$work/big
store "$data"
cp "$work/enrols.csv" "$data/files/enrols.csv"
cp "$work/enrols.csv" "$data/files/again.csv"
run "$data" "$data/files/enrols.csv" "enrol ($users users × $courses courses)" "$lines" created
run "$data" "$data/files/again.csv" "unchanged" "$lines" unchanged

data=$work/small
store "$data"
head -n $((small + 1)) "$work/enrols.csv" > "$data/files/enrols.csv"
run "$data" "$data/files/enrols.csv" "enrol (first $small lines, same store)" "$small" created
