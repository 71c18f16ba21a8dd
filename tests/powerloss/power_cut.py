"""A power cut for a process run on volatile_cache.c's simulated disk.

shim_env() is the environment that runs a process on it (its files under data_dir, what would
survive under shadow_dir); after the process is killed, cut() leaves data_dir as the disk would
hold it after the power came back: every file the process wrote holds what it held at its last
fsync, a file never fsynced is gone, and SQLite's -shm files (shared memory, rebuilt on open)
are gone. The shim comes from $MYELIN_POWERLOSS_SHIM (ctest sets it) or the build folder.
"""
import glob
import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIM = os.path.abspath(os.environ.get("MYELIN_POWERLOSS_SHIM",
                                      os.path.join(ROOT, "build", "tests", "libmyelin_volatile_cache.so")))


def shim_env(data_dir, shadow_dir):
    os.makedirs(shadow_dir, exist_ok=True)
    return {"LD_PRELOAD": SHIM, "MYELIN_POWERLOSS_DIR": data_dir, "MYELIN_POWERLOSS_SHADOW": shadow_dir}


def durable_copy(shadow_dir, relative):
    """The path of what survives a cut at `relative` (it may not exist)."""
    return os.path.join(shadow_dir, "files", relative)


def cut(data_dir, shadow_dir):
    """Applies the power cut to data_dir (the process must be dead) and removes shadow_dir."""
    listed = set()
    manifest = os.path.join(shadow_dir, "manifest")
    if os.path.exists(manifest):
        with open(manifest) as file:
            listed.update(line for line in file.read().split("\n") if line)
    files = os.path.join(shadow_dir, "files")
    for folder, _, names in os.walk(files):
        listed.update(os.path.relpath(os.path.join(folder, name), files) for name in names)
    for relative in listed:
        target, kept = os.path.join(data_dir, relative), durable_copy(shadow_dir, relative)
        if os.path.exists(kept):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(kept, target)
        elif os.path.exists(target):
            os.remove(target)
    for shm in glob.glob(os.path.join(data_dir, "**", "*-shm"), recursive=True):
        os.remove(shm)
    shutil.rmtree(shadow_dir)
