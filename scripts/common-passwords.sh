#!/usr/bin/env bash
# scripts/common-passwords.sh — regenerates data/common-passwords.txt.gz,
# the list of common passwords the password policy refuses (roster.
# PasswordPolicy).
#
# Source: the "passwords" list of zxcvbn 4.4.2 (npm package zxcvbn,
# lib/frequency_lists.js), MIT licence, (c) 2012-2016 Dan Wheeler and
# Dropbox, Inc.: the 30,000 most frequent passwords of Mark Burnett's 10
# million password corpus, most frequent first. Written here one a line,
# lower-cased, duplicates dropped, in the source's order, gzip-compressed
# without a timestamp so that the same input gives the same bytes.
#
# Needs npm and node (Debian: apt-get install npm).
set -euo pipefail

cd "$(dirname "$0")/.."
version=4.4.2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "zxcvbn@$version" >/dev/null && tar xzf "zxcvbn-$version.tgz")
node -e '
const lists = require(process.argv[1]);
const seen = new Set();
const out = [];
for (const p of lists.passwords) {
  const k = p.toLowerCase();
  if (k === "" || seen.has(k)) continue;
  seen.add(k);
  out.push(k);
}
process.stdout.write(out.join("\n") + "\n");
' "$tmp/package/lib/frequency_lists.js" > "$tmp/common-passwords.txt"
gzip -9 -n -c "$tmp/common-passwords.txt" > data/common-passwords.txt.gz
echo "data/common-passwords.txt.gz: $(wc -l < "$tmp/common-passwords.txt") passwords, $(wc -c < data/common-passwords.txt.gz) bytes"
