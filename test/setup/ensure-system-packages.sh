#!/usr/bin/env bash
# Installs the Debian packages the tests need (test/setup/system-packages.txt) when any is missing.
# As root it uses apt-get; otherwise it stops with the command to run. No test tool ever downloads a browser.
set -euo pipefail
list="$(dirname "$0")/system-packages.txt"
missing=()
while read -r package; do
  package="${package%%#*}"; package="${package// /}"
  [ -n "$package" ] || continue
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done < "$list"
[ ${#missing[@]} -eq 0 ] && exit 0
echo "plaza: tests need these Debian packages: ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
  echo "plaza: run as root, or install them first: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Another installer may hold the dpkg lock for a moment; apt waits for it.
apt-get update -qq -o DPkg::Lock::Timeout=300
apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}"
