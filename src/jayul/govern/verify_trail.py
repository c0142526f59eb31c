"""`python -m jayul.govern.verify_trail TRAIL [HEAD]`: verify an exported audit trail without
the command-line framework (a quick check for third parties and scripts).

Exit 0 intact, 1 broken (or not the published head), 2 unreadable or bad usage.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jayul.govern.audit_file import verify_trail_file


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        print("usage: python -m jayul.govern.verify_trail TRAIL.jsonl [PUBLISHED_HEAD]")
        return 2
    try:
        report = verify_trail_file(Path(args[0]))
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    if report.ok and len(args) == 2 and args[1] != report.head:
        print(f"chain intact but its head {report.head} is not the published head {args[1]}")
        return 1
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
