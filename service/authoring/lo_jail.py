"""The jail LibreOffice runs in: no network, no file but its own folder, no privilege.

Run by Debian's /usr/bin/python3 inside fresh network, mount and PID namespaces
(`unshare --net --mount --pid --fork --mount-proc`, started by `libreoffice.py`), as root of
those namespaces. It then:

1. makes every mount private, so nothing done here is seen outside;
2. covers with an empty tmpfs every folder but the system's own (only /usr, /etc, /bin,
   /lib…, /dev, /proc, /sys and /var/cache stay visible): the data dir, the project, /tmp,
   /home, /root, /run, /srv, /mnt, /opt, /var/lib and whatever else the machine holds; top-level
   files are covered with /dev/null; the worker's own folder is then moved back in place;
3. checks that each hidden folder now reads empty (else it refuses to go on);
4. sets memory and file-size limits, drops to the unprivileged user (no capabilities: it
   cannot undo the mounts) and runs the UNO worker. A service that is not root runs all this
   in a user namespace, where there is no other user to become: one more user and mount
   namespace then locks the hiding mounts (they can no longer be unmounted one by one).

Linked images, INCLUDEPICTURE fields or anything else the upload checks missed then fail:
there is no route to any address (the namespace's only interface, loopback, is down) and no
file of the service to read. Any failure prints {"ready": false, "error": …} and exits, so the
service reports it instead of converting unconfined.

    lo_jail.py KEEP UID GID MEMORY_BYTES HIDE[:HIDE…] -- COMMAND…

Kept dependency-free and compatible with the system Python.
"""

import ctypes
import json
import os
import resource
import subprocess
import sys

STAGING = "/mnt"
UNSHARE = "/usr/bin/unshare"
PR_SET_NO_NEW_PRIVS = 38
# What LibreOffice may see: the system, read as an unprivileged user. All else is hidden.
VISIBLE_TOP = {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev", "proc",
               "sys", "var"}
VISIBLE_VAR = {"cache"}
ALWAYS_HIDDEN = ("/tmp", "/var/tmp", "/dev/shm", "/etc/ssl/private")


def everything_else():
    """Top-level folders and /var folders outside the allowlists (symlinks are skipped:
    their targets are listed on their own)."""
    found = []
    for parent, visible in (("/", VISIBLE_TOP), ("/var", VISIBLE_VAR)):
        for name in os.listdir(parent):
            path = os.path.join(parent, name)
            if name not in visible and not os.path.islink(path):
                found.append(path)
    return found
MAX_FILE_BYTES = 256 * 1024 * 1024  # a PDF LibreOffice writes; far above any real letter


def fail(message):
    sys.stdout.write(json.dumps({"ready": False, "error": message}) + "\n")
    sys.stdout.flush()
    sys.exit(2)


def mount(*args):
    done = subprocess.run(["mount", "-n", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        fail(f"mount {' '.join(args)}: {done.stderr.strip()}")


def inside(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def hide_all(keep, hidden):
    mount("--make-rprivate", "/")
    # The kept folder is bind-mounted aside first, since a folder above it may be hidden.
    mount("-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", STAGING)
    staged = os.path.join(STAGING, "keep")
    os.mkdir(staged)
    mount("--bind", keep, staged)
    covered = []
    for folder in sorted(set(hidden), key=len):
        if inside(folder, STAGING) or any(inside(folder, done) for done in covered):
            continue
        if os.path.isfile(folder) and not os.path.islink(folder):
            mount("--bind", "/dev/null", folder)
            continue
        if not os.path.isdir(folder) or os.path.islink(folder):
            continue
        mode = "1777" if folder in ("/tmp", "/var/tmp", "/dev/shm") else "0755"
        mount("-t", "tmpfs", "-o", f"size=64m,mode={mode},nosuid,nodev", "tmpfs", folder)
        covered.append(folder)
    os.makedirs(keep, exist_ok=True)
    mount("--move", staged, keep)
    for folder in covered:
        if inside(keep, folder):
            continue
        if os.listdir(folder):
            fail(f"{folder} is still visible inside the jail")


def no_new_privileges():
    # PR_SET_NO_NEW_PRIVS: set-user-id programs (mount, su…) no longer grant anything.
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        fail("could not set no_new_privs")


def drop_privileges(uid, gid, memory):
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.getuid() == 0 and uid != 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() != uid:
            fail("could not drop privileges")
    no_new_privileges()


def main():
    if "--" not in sys.argv:
        fail("usage: lo_jail.py KEEP UID GID MEMORY HIDE[:HIDE…] -- COMMAND…")
    split = sys.argv.index("--")
    keep, uid, gid, memory, hidden = sys.argv[1:split]
    command = sys.argv[split + 1:]
    keep = os.path.realpath(keep)
    try:
        wanted = [p for p in hidden.split(":") if p] + list(ALWAYS_HIDDEN) + everything_else()
        hide_all(keep, [os.path.realpath(p) for p in wanted])
        os.chown(keep, int(uid), int(gid))
        drop_privileges(int(uid), int(gid), int(memory))
        os.chdir(keep)
    except OSError as exc:
        fail(f"jail: {exc}")
    if int(uid) == 0:
        # Started by a non-root service inside a user namespace: there is no other user to
        # become. One more user and mount namespace locks the hiding mounts instead (mounts
        # inherited from a more privileged namespace cannot be unmounted one by one).
        command = [UNSHARE, "--user", "--map-root-user", "--mount", "--", *command]
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
