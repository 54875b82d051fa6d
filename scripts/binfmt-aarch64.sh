#!/bin/bash
# Let this machine execute aarch64 programs: register Debian's
# qemu-aarch64-static with the kernel's binfmt_misc, with the registration
# line its package ships (/usr/lib/binfmt.d/qemu-aarch64.conf). A machine that
# boots with systemd does this itself (systemd-binfmt); containers and CI
# machines without it do not. Used by the aarch64 lane (docs/aarch64.md):
# then the aarch64 launcher can exec the aarch64 qemu-x86_64 as on a real
# aarch64 host.
#
#   scripts/binfmt-aarch64.sh           register when needed (root), then check
#   scripts/binfmt-aarch64.sh --check   only check; exit 1 when not registered
# Idempotent.
set -euo pipefail

readonly conf=/usr/lib/binfmt.d/qemu-aarch64.conf
readonly mnt=/proc/sys/fs/binfmt_misc
readonly entry=$mnt/qemu-aarch64

die() {
    printf 'binfmt-aarch64: error: %s\n  why: %s\n  fix: %s\n' "$1" "$2" "$3" >&2
    exit 1
}

registered() { [ -f "$entry" ] && head -n1 "$entry" | grep -qx enabled; }

if registered; then
    exit 0
fi
[ "${1:-}" != "--check" ] || die "aarch64 programs cannot be executed here" \
    "binfmt_misc has no enabled qemu-aarch64 entry" "run scripts/binfmt-aarch64.sh as root"
[ -f "$conf" ] || die "$conf is missing" "the qemu-user-static package is not installed" \
    "scripts/install-deps.sh scripts/deps-arm64.txt"
[ "$(id -u)" = 0 ] || die "registering qemu-aarch64-static needs root" \
    "binfmt_misc is configured machine-wide through $mnt" "run scripts/binfmt-aarch64.sh as root once"
if [ ! -f "$mnt/register" ]; then
    mount -t binfmt_misc binfmt_misc "$mnt" 2>/dev/null || die "cannot mount binfmt_misc on $mnt" \
        "this machine (or container) does not allow it" \
        "register qemu-aarch64-static on the host machine (systemd-binfmt, or mount binfmt_misc there)"
fi
# An entry that exists but is disabled is removed first: writing the same
# name again fails with EEXIST.
[ ! -f "$entry" ] || echo -1 >"$entry"
# The F flag opens the interpreter now, so it works in other mount
# namespaces (a Flatpak or chroot) too.
if ! tr -d '\n' <"$conf" >"$mnt/register"; then
    die "the kernel refused the registration line of $conf" "see the message above" \
        "check that $mnt is writable (a privileged container) and try again"
fi
registered || die "qemu-aarch64 is still not registered" "the kernel ignored the registration" \
    "look at $mnt and dmesg"
echo "binfmt-aarch64: registered $(sed -n 's/^interpreter //p' "$entry") for aarch64 programs" >&2
