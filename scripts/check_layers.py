#!/usr/bin/env python3
"""The layer check: every #include "…" in src/ must name a file of the including file's own
library or of a library it may use. A library is a folder of src/ (the homeserver's domains are
the folders of src/homeserver/). The table below is the architecture's dependency rule
(docs/architecture.md); CMake links them, directly or through a library it links. Only direct
includes are checked (a type that reaches a file through an allowed header is allowed). Exit
status 1 lists each violation."""
import pathlib
import re
import sys

# library -> the libraries it may include (directly; nothing is allowed transitively).
ALLOWED = {
    "core": [],
    "rooms": ["core"],
    "http": ["core"],
    "storage": ["core"],
    "media": ["core"],
    "homeserver/timeline": ["core", "rooms", "http", "storage"],
    "homeserver/accounts": ["core", "http", "storage"],
    "homeserver/push": ["core", "rooms", "http", "storage", "homeserver/timeline"],
    "homeserver/voip": ["core"],
    "homeserver/media": ["core", "http", "storage", "media", "homeserver/accounts"],
    "homeserver/e2ee": ["core", "storage", "homeserver/accounts", "homeserver/timeline"],
    "homeserver/membership": ["core", "rooms", "storage", "homeserver/timeline", "homeserver/push"],
    "homeserver/moderation": ["core", "storage", "homeserver/timeline"],
    "homeserver/search": ["core", "storage", "homeserver/timeline"],
    "homeserver/federation": ["core", "rooms", "http", "storage", "homeserver/timeline", "homeserver/accounts",
                              "homeserver/push", "homeserver/e2ee", "homeserver/membership"],
    "homeserver/sync": ["core", "rooms", "http", "storage", "homeserver/timeline", "homeserver/accounts",
                        "homeserver/push", "homeserver/e2ee"],
    "homeserver": ["core", "http", "storage", "media", "homeserver/timeline", "homeserver/accounts",
                   "homeserver/push", "homeserver/voip", "homeserver/media", "homeserver/e2ee",
                   "homeserver/membership", "homeserver/moderation", "homeserver/search", "homeserver/federation",
                   "homeserver/sync"],
    "api": ["core", "rooms", "http", "homeserver", "homeserver/timeline", "homeserver/accounts", "homeserver/push",
            "homeserver/voip", "homeserver/media", "homeserver/e2ee", "homeserver/membership",
            "homeserver/moderation", "homeserver/search", "homeserver/federation", "homeserver/sync"],
    "app": ["core", "http", "storage", "media", "homeserver", "homeserver/timeline", "homeserver/accounts",
            "homeserver/push", "homeserver/voip", "homeserver/media", "homeserver/e2ee",
            "homeserver/membership", "homeserver/moderation", "homeserver/federation", "homeserver/sync", "api"],
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def library_of(relative: str) -> str | None:
    """The library of a path relative to src/ ("homeserver/sync/sync.h" -> "homeserver/sync")."""
    parts = relative.split("/")
    if len(parts) < 2:
        return None
    if parts[0] == "homeserver" and len(parts) > 2:
        return f"homeserver/{parts[1]}"
    return parts[0]


def violations(src: pathlib.Path):
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".h", ".cc"):
            continue
        relative = path.relative_to(src).as_posix()
        own = library_of(relative)
        if own not in ALLOWED:
            yield f"{relative}: in no library of the layer table (scripts/check_layers.py)"
            continue
        for included in INCLUDE.findall(path.read_text()):
            target = library_of(included)
            if target is None or target == own:
                continue
            if target not in ALLOWED:
                yield f'{relative}: includes "{included}", which is in no library'
            elif target not in ALLOWED[own]:
                yield f'{relative}: includes "{included}": {own} may not use {target}'


def main() -> int:
    src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent / "src")
    found = list(violations(src))
    for line in found:
        print(line)
    if found:
        print(f"layer check: {len(found)} include(s) break the layer rule")
        return 1
    print("layer check: every include follows the layer rule")
    return 0


if __name__ == "__main__":
    sys.exit(main())
