#!/usr/bin/env python3
"""throughput.py --images DIR --image-mb N --runs R ...: write throughput of a raw image deploy.

One VM (q35, TCG, -m MEM, a sparse virtio disk of at least 5 GiB, virtio-net on QEMU user
networking, the agent's port forwarded to loopback, ingot.shell=1 for a rescue shell on the
serial console) against tests/unit/data/ironic-stub.py, and one HTTP server on the host's
loopback (python3 -m http.server; 10.0.2.2 from the guest) serving a generated GPT image of
N MiB. In each round, in rotating order:
  agent    deploy.execute_deploy_step write_image (stream_raw_images, sha256 checked by the
           agent) through the agent's API with ?wait=true, timed from the request to the answer;
  wget|dd  `wget -q -O - URL | dd of=DEV bs=1M iflag=fullblock conv=fsync` typed into the
           rescue shell, timed from the host's sending of the line to the marker the shell
           prints after it;
  wget|tee|sha256sum|dd  the same with `tee` into a FIFO read by `sha256sum` (ash has no
           process substitution), its sum checked against the image's.
Every figure is bytes of the image / seconds (MB = 10^6 bytes), on the host's clock.
Exit 0 when the section is written, 1 when the measurement broke.
"""
import argparse
import os
import re
import shutil
import ssl
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import svg  # noqa: E402

PROG = "bench-throughput"
AGENT, PLAIN, TEE = "agent", "wget|dd", "wget|tee|sha256sum|dd"
LABELS = {
    AGENT: "ingot-agent: write_image, raw streaming (sha256 checked)",
    PLAIN: "`wget -O - URL | dd of=DEV bs=1M iflag=fullblock conv=fsync`",
    TEE: "`wget -O - URL | tee FIFO | dd ...`, `sha256sum <FIFO`",
}
NEEDS = {PLAIN: ("sh", "wget", "dd"), TEE: ("sh", "wget", "dd", "tee", "sha256sum", "mkfifo")}


def shell_line(method, url, dev, k):
    """One line for ash: times itself with /proc/uptime and prints BENCH-k then the figures.
    (The echo of the typed line shows `$((k+0))`, which the marker pattern does not match.)"""
    tail = ("l=; while read -r y; do l=$y; done </tmp/dd.err; "
            "read -r b x </proc/uptime; ")
    if method == PLAIN:
        return ("read -r a x </proc/uptime; wget -q -O - %s | dd of=%s bs=1M iflag=fullblock "
                "conv=fsync 2>/tmp/dd.err; %secho \"BENCH-$((%d+0)) $a $b $l\""
                % (url, dev, tail, k))
    return ("read -r a x </proc/uptime; rm -f /tmp/f /tmp/sum; mkfifo /tmp/f; "
            "sha256sum </tmp/f >/tmp/sum & wget -q -O - %s | tee /tmp/f | dd of=%s bs=1M "
            "iflag=fullblock conv=fsync 2>/tmp/dd.err; wait; %sread -r s x </tmp/sum; "
            "echo \"BENCH-$((%d+0)) $a $b $l sha256=$s\"" % (url, dev, tail, k))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--image-mb", type=int, default=2048)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mem", type=int, default=256)
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--svg", required=True)
    ap.add_argument("--svg-ref")
    ap.add_argument("--work")
    ap.add_argument("--strict", action="store_true")
    a = ap.parse_args()

    agent = B.image_has_agent(a.images)
    applets = B.busybox_applets(a.images)
    missing = {}
    for m, need in NEEDS.items():
        lack = [x for x in need if x not in applets]
        if not applets:
            missing[m] = "the image has no busybox"
        elif lack:
            missing[m] = "the image's busybox has no %s" % ", ".join(lack)
    if not agent:
        missing[AGENT] = "the image has no /%s" % B.AGENT_PATH
    methods = [m for m in (AGENT, PLAIN, TEE) if m not in missing]
    ad = B.load_agent_deploy()
    ad.tls["context"] = ssl._create_unverified_context()  # the agent's own self-signed cert
    size = a.image_mb << 20
    limit = 120 + 2 * a.image_mb  # seconds per transfer: 0.5 MiB/s at the very least
    work = tempfile.mkdtemp(prefix="bench-throughput.", dir=a.work)
    results = {m: [] for m in (AGENT, PLAIN, TEE)}
    extra = {"agent_reported": []}
    errors = []
    failed = {}  # method: why it stopped
    procs = []
    g = None
    current = None
    try:
        if methods:
            www = os.path.join(work, "www")
            os.makedirs(www)
            B.log(PROG, "generating a %d MiB raw image" % a.image_mb)
            sha = B.make_raw_image(os.path.join(www, "disk.raw"), a.image_mb)
            server = B.FileServer(www)
            procs.append(server)
            stub = B.Stub()
            procs.append(stub)
            api_port = B.free_port()
            disk = B.make_disk(os.path.join(work, "disk.raw"), size + (1 << 30))
            g = B.Guest(a.images, a.mem, "ipa-api-url=http://10.0.2.2:%d ingot.shell=1"
                        % stub.port, disk=disk, api_port=api_port,
                        log_path=os.path.join(work, "serial.log"))
            g.start()
            ready = r"heartbeat sent to Ironic" if agent else r"ingot-init: network up:"
            if not g.wait_for(re.compile(ready), 180, B.FATAL):
                raise B.BenchError("the guest did not reach '%s' (%s)" % (ready, g.exit_text()))
            if not g.wait_for(re.compile(r"ingot-init: rescue shell on"), 30):
                raise B.BenchError("no rescue shell on the serial console")
            url = "http://10.0.2.2:%d/disk.raw" % server.port
            dev = "/dev/vda"
            k = 0
            for r in range(a.runs):
                order = methods[r % len(methods):] + methods[:r % len(methods)]
                for m in order:
                    k += 1
                    current = m
                    B.log(PROG, "round %d: %s, %d MiB" % (r + 1, m, a.image_mb))
                    mark = g.mark()
                    if m == AGENT:
                        t0 = time.monotonic()
                        status, body = ad.call(api_port, "POST", "/v1/commands/?wait=true",
                                               body=ad.deploy_step(server.port, sha, None),
                                               timeout=limit)
                        secs = time.monotonic() - t0
                        if status != 200 or body.get("command_status") != "SUCCEEDED":
                            raise B.BenchError("write_image: HTTP %d, %s" % (
                                status, (body or {}).get("command_status")
                                or (body or {}).get("faultstring")))
                        hit = g.wait_for(re.compile(r"writing image \S+ to (/dev/\S+)"), 5,
                                         since=mark)
                        if hit:
                            dev = re.search(r"to (/dev/\S+)", hit[1]).group(1)
                        hit = g.wait_for(re.compile(r"Image streamed onto device \S+ in "
                                                    r"([\d.]+) seconds"), 5, since=mark)
                        if hit:
                            extra["agent_reported"].append(float(re.search(
                                r"in ([\d.]+) seconds", hit[1]).group(1)))
                    else:
                        t0 = time.monotonic()
                        g.send(shell_line(m, url, dev, k))
                        hit = g.wait_for(re.compile(r"BENCH-%d ([\d.]+) ([\d.]+) (.*)" % k),
                                         limit, B.FATAL, since=mark)
                        secs = time.monotonic() - t0
                        if not hit:
                            raise B.BenchError("%s: no result within %d s (%s)"
                                               % (m, limit, g.exit_text()))
                        f = re.search(r"BENCH-%d ([\d.]+) ([\d.]+) (.*)" % k, hit[1])
                        # busybox dd's last line: "N+P records out" (no byte count here)
                        written = re.match(r"\s*(\d+)\+(\d+) records out", f.group(3))
                        if not written or written.groups() != (str(a.image_mb), "0"):
                            raise B.BenchError("%s: dd did not write the whole image: %s"
                                               % (m, f.group(3).strip()))
                        if m == TEE and ("sha256=" + sha) not in f.group(3):
                            raise B.BenchError("%s: sha256sum in the guest disagrees: %s"
                                               % (m, f.group(3).strip()))
                        extra.setdefault("guest_seconds_" + m, []).append(
                            float(f.group(2)) - float(f.group(1)))
                    results[m].append(secs)
                    B.log(PROG, "%s: %.2f s, %.1f MB/s" % (m, secs, size / secs / 1e6))
    except (B.BenchError, OSError) as e:
        errors.append(str(e))
        for m in methods:
            if not results[m]:
                failed[m] = (str(e) if m == current else
                             "the measurement stopped before it (see below)")
        B.log(PROG, str(e))
    finally:
        if g:
            g.stop()
        for p in procs:
            p.stop()
        shutil.rmtree(work, ignore_errors=True)

    def mbs(m):
        return [size / s / 1e6 for s in results[m]]

    rows, bars = [], []
    for m in (AGENT, PLAIN, TEE):
        if m in missing:
            rows.append([LABELS[m], "not measured: %s" % missing[m], "", "", ""])
            continue
        v = mbs(m)
        if not v:
            rows.append([LABELS[m], "not measured: %s" % failed.get(m, "no run"), "", "", ""])
            continue
        rows.append([LABELS[m], "%.1f" % B.median(v), "%.1f–%.1f" % (min(v), max(v)),
                     B.spread(results[m]), "%d" % len(v)])
        bars.append((m, B.median(v)))
    ratios = []
    if results[AGENT]:
        for m in (PLAIN, TEE):
            if results[m]:
                ratios.append([m, "%.2f" % (B.median(mbs(AGENT)) / B.median(mbs(m)))])
            else:
                ratios.append([m, "not measured: %s" % missing.get(m, "no baseline run")])
    result = {"image_mb": a.image_mb, "mem": a.mem, "runs": a.runs, "seconds": results,
              "missing": missing, "errors": errors, **extra}
    B.write_json(a.json, result)
    md = ["## Write throughput\n",
          "How: one VM under TCG (`-machine q35 -m %d`, a sparse virtio disk of at least 5 GiB, "
          "virtio-net on QEMU user networking, the rescue shell on the serial console with "
          "`ingot.shell=1`)%s; a generated GPT image of "
          "%d MiB (pseudo-random contents) served by `python3 -m http.server` on the host's "
          "loopback, `http://10.0.2.2:PORT/disk.raw` from the guest. %d round%s; each round "
          "writes the image to the same disk once per method, in rotating order. The agent: "
          "`deploy.execute_deploy_step` `write_image` with `stream_raw_images` and its sha256, "
          "POSTed with `?wait=true` to its API, timed from the request to the answer. The "
          "baselines: busybox commands typed into the rescue shell, timed from the host "
          "sending the line to the shell's marker line after `dd` (and `sha256sum`) ended; "
          "`dd`'s record count and the guest's sha256 are checked. MB/s = image bytes / seconds "
          "/ 10^6.\n" % (a.mem, ", looked up against the Ironic stand-in" if agent else "",
                          a.image_mb, a.runs, "" if a.runs == 1 else "s")]
    md.append(B.md_table(["method", "MB/s median", "MB/s min–max", "seconds median (min–max)",
                          "runs"], rows))
    if ratios:
        md.append("Ratio of the agent's median MB/s to the baseline's:\n")
        md.append(B.md_table(["baseline", "agent / baseline"], ratios))
    elif AGENT in missing:
        md.append("Ratio: not measured: %s.\n" % missing[AGENT])
    if extra["agent_reported"]:
        md.append("The agent's own log (`Image streamed onto device ... in S seconds`, "
                  "download and write only): median %s s.\n" % B.spread(extra["agent_reported"]))
    if errors:
        md.append("The measurement stopped: %s.\n" % "; ".join(errors))
    if bars:
        with open(a.svg, "w") as f:
            f.write(svg.bars("write throughput of a %d MiB raw image, TCG (median MB/s)"
                             % a.image_mb, [("MB/s (10^6 bytes/s)", bars)],
                             "same VM, same disk, same HTTP server", lambda v: "%.1f" % v))
        md.append("![write throughput](%s)\n" % (a.svg_ref or os.path.basename(a.svg)))
    B.write_md(a.md, md)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
