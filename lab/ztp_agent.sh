#!/bin/sh
# A lab switch's ZTP agent (as Cumulus Linux's ztp runs at first boot): fetch the
# provisioning script from the URL DHCP gave (option 239), check its marker, run it.
# Bounded: 20 attempts of at most 10 s each, a script of at most 64 KiB.
url="$1"
dir="${FG_SWITCH_ROOT:?}/ztp"
mkdir -p "$dir"
i=0
while [ $i -lt 20 ]; do
  i=$((i + 1))
  if curl -fsS --max-time 10 --max-filesize 65536 -o "$dir/script" "$url"; then
    if grep -q '^# CUMULUS-AUTOPROVISIONING' "$dir/script"; then
      echo "ztp: running $url (attempt $i)"
      FG_ZTP_URL="$url" sh "$dir/script" && { echo "ztp: done"; exit 0; }
      echo "ztp: script failed"
    else
      echo "ztp: $url has no CUMULUS-AUTOPROVISIONING marker; not run"
      exit 1
    fi
  fi
  sleep 2
done
echo "ztp: gave up after $i attempts"
exit 1
