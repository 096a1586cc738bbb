#!/usr/bin/env python3
"""size.py --images DIR --md FILE --json FILE --svg FILE: the size table and its chart.

Sizes of bzImage, rootfs.cpio.xz and rootfs.iso9660 as files (stat); the agent binary as it
is in the initramfs, stripped (binutils strip on a copy) and compressed (xz -9: Python's
lzma, preset 9, .xz container); the ten largest regular files of the uncompressed initramfs
(the cpio.xz unpacked in memory, newc headers read here). Exit 0 when the section is written,
1 when the images cannot be read.
"""
import argparse
import lzma
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import svg  # noqa: E402

PROG = "bench-size"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--svg", required=True)
    ap.add_argument("--svg-ref", default=None, help="the chart's path as the Markdown names it")
    a = ap.parse_args()

    files = []
    for name in ("bzImage", "rootfs.cpio.xz", "rootfs.iso9660"):
        path = os.path.join(a.images, name)
        files.append((name, os.path.getsize(path) if os.path.exists(path) else None))
    try:
        entries = B.cpio_entries(os.path.join(a.images, "rootfs.cpio.xz"))
    except (OSError, B.BenchError) as e:
        B.log(PROG, "cannot read the initramfs: %s" % e)
        return 1
    regular = [(n, s, d) for n, m, s, d in entries if (m & 0o170000) == 0o100000]
    total = sum(s for _, s, _ in regular)
    largest = sorted(regular, key=lambda e: (-e[1], e[0]))[:10]

    agent = None
    for n, s, d in regular:
        if n == B.AGENT_PATH:
            agent = {"in_image": s}
            with tempfile.TemporaryDirectory(prefix="bench-size.") as tmp:
                src = os.path.join(tmp, "ingot-agent")
                with open(src, "wb") as f:
                    f.write(d)
                if shutil.which("strip"):
                    subprocess.run(["strip", "-o", src + ".stripped", src], check=True)
                    with open(src + ".stripped", "rb") as f:
                        stripped = f.read()
                    agent["stripped"] = len(stripped)
                else:
                    stripped = d
                    agent["stripped"] = None
                agent["xz9"] = len(lzma.compress(stripped, preset=9))
    result = {"files": dict(files), "initramfs_uncompressed": total,
              "initramfs_entries": len(entries), "largest": [(n, s) for n, s, _ in largest],
              "agent": agent}
    B.write_json(a.json, result)

    md = ["## Size\n",
          "How: file sizes with `stat` of the files in the images directory; the initramfs "
          "unpacked in memory (xz, then the newc cpio headers) to list its regular files; the "
          "agent binary taken from it, stripped with binutils `strip` on a copy and "
          "compressed with xz preset 9 (Python's `lzma`). 1 MiB = 1048576 bytes.\n"]
    rows = []
    for name, size in files:
        rows.append([name, "%d" % size if size is not None else "not measured: no such file",
                     B.human(size) if size is not None else ""])
    rows.append(["initramfs, uncompressed: its %d regular files (%d entries in all)"
                 % (len(regular), len(entries)), "%d" % total, B.human(total)])
    if agent:
        rows.append(["ingot-agent as in the image", "%d" % agent["in_image"],
                     B.human(agent["in_image"])])
        if agent["stripped"] is not None:
            rows.append(["ingot-agent stripped", "%d" % agent["stripped"],
                         B.human(agent["stripped"])])
        else:
            rows.append(["ingot-agent stripped", "not measured: no strip here", ""])
        rows.append(["ingot-agent stripped, xz -9", "%d" % agent["xz9"], B.human(agent["xz9"])])
    else:
        rows.append(["ingot-agent", "not measured: the image has no /%s" % B.AGENT_PATH, ""])
    md.append(B.md_table(["what", "bytes", "size"], rows))
    md.append("\n%s of the uncompressed initramfs:\n" % (
        "The ten largest files" if len(regular) > 10 else "All %d regular files" % len(regular)))
    md.append(B.md_table(["file", "bytes", "share of the uncompressed initramfs"],
                         [["/" + n, "%d" % s, "%.1f %%" % (100.0 * s / total if total else 0)]
                          for n, s, _ in largest]))
    groups = [("image files", [(n, s) for n, s in files if s is not None])]
    rest = total - sum(s for _, s, _ in largest)
    groups.append(("uncompressed initramfs: its ten largest files and the rest",
                   [("/" + n, s) for n, s, _ in largest] + [("(all other files)", rest)]))
    if agent:
        grp = [("as in the image", agent["in_image"])]
        if agent["stripped"] is not None:
            grp.append(("stripped", agent["stripped"]))
        grp.append(("stripped, xz -9", agent["xz9"]))
        groups.append(("ingot-agent", grp))
    with open(a.svg, "w") as f:
        f.write(svg.bars("ingot image sizes", groups, "bytes (MiB = 1048576 bytes)",
                         B.human))
    md.append("\n![size breakdown](%s)\n" % (a.svg_ref or os.path.basename(a.svg)))
    B.write_md(a.md, md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
