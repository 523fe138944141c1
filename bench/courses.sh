#!/usr/bin/env bash
# Times the courses tool (release build) and prints Markdown table rows: a 10 000-course
# creation file with category paths (100 categories created on the way), the same file again
# (unchanged), and 1 000 courses made from one template course with 5 sections and 20
# activities.
#
#   bench/courses.sh            # 10 000 and 1 000
#   bench/courses.sh 50000 5000
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p lmsync -p lmsync-bench
lmsync=$PWD/target/release/lmsync
gen=$PWD/target/release/lmsync-bench
plain=${1:-10000}
templated=${2:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {
  local data=$1 file=$2 label=$3 rows=$4 out secs kb
  out=$( { /usr/bin/time -f "TIME %e %M" "$lmsync" --data-dir "$data" run courses --op create --file "$file" >/dev/null; } 2>&1 ) || true
  secs=$(echo "$out" | awk '/^TIME/ {print $2}')
  kb=$(echo "$out" | awk '/^TIME/ {print $3}')
  awk -v r="$rows" -v s="$secs" -v k="$kb" -v l="$label" 'BEGIN { printf "| %d | %s | %.2f | %d | %.0f MB |\n", r, l, s, (s > 0 ? r / s : 0), k / 1024 }'
}

echo "| courses | phase | seconds | courses/s | peak RSS |"
echo "|---:|---|---:|---:|---:|"
data=$work/plain
"$lmsync" --data-dir "$data" runs >/dev/null
"$gen" courses "$plain" > "$data/files/create.csv"
cp "$data/files/create.csv" "$data/files/again.csv"
run "$data" "$data/files/create.csv" "create with category paths" "$plain"
run "$data" "$data/files/again.csv" "unchanged" "$plain"

data=$work/templated
"$lmsync" --data-dir "$data" runs >/dev/null
{
  echo "shortname;fullname;topic1;topic2;topic3;topic4;topic5"
  echo "TPL;Template;A;B;C;D;E"
} > "$data/files/tpl.csv"
"$lmsync" --data-dir "$data" run courses --op create --file "$data/files/tpl.csv" >/dev/null
python3 - "$data/lms.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
course = c.execute("SELECT id FROM course WHERE shortname = 'TPL'").fetchone()[0]
sections = [r[0] for r in c.execute("SELECT id FROM course_sections WHERE course = ?", (course,))]
for i in range(20):
    c.execute("INSERT INTO course_modules (course, section, modname, name) VALUES (?, ?, ?, ?)", (course, sections[i % len(sections)], ["forum", "quiz", "assign", "page"][i % 4], f"Activity {i}"))
c.commit()
PY
"$gen" courses "$templated" --template TPL > "$data/files/fromtpl.csv"
run "$data" "$data/files/fromtpl.csv" "create from a template (5 sections, 20 activities)" "$templated"
