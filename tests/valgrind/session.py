#!/usr/bin/env python3
"""API sessions with the host-built agent under valgrind, for tests/valgrind/run.sh only.

Each session starts the stand-in Ironic (tests/unit/data/ironic-stub.py) and the agent under
valgrind (memcheck, leaks definite and indirect are errors), waits for the lookup and the first
heartbeat, drives requests, stops the agent with SIGTERM and requires a clean exit: status 0,
"ERROR SUMMARY: 0 errors". Then the operator's TLS start-up errors, without valgrind.
Logs: OUT/<session>.agent.log (the agent's stderr) and OUT/<session>.valgrind.log.

Usage: session.py --agent BIN --root DIR --pki DIR --out DIR --stub ironic-stub.py
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time

TOKEN = "rEk9S6g2l4O3uZpXwT1cYvQ8aHn0mJbFdK7sL5eG2iU"  # ironic-stub.py's
NODE = {"uuid": "ef9bfa3d-084b-4ed6-9c94-56d383f704dc",
        "properties": {"root_device": {"size": ">= 4"}},
        "instance_info": {}, "driver_internal_info": {}}
VALGRIND = ["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect", "--error-exitcode=99", "--num-callers=40",
            "--track-origins=yes"]
START_TIMEOUT = 180  # valgrind is slow to start, and the lookup waits after the stub's 409
STOP_TIMEOUT = 120

ARGS = None
failures = []


def check(cond, what):
    print(("ok - " if cond else "FAIL - ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stub:
    def __init__(self, mode):
        self.proc = subprocess.Popen([sys.executable, ARGS.stub, mode], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.port = int(self.proc.stdout.readline())

    def requests(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("GET", "/_requests")
        return json.loads(c.getresponse().read())

    def heartbeats(self):
        return [r for r in self.requests()
                if r["method"] == "POST" and r["path"].startswith("/v1/heartbeat/")]

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


class Agent:
    def __init__(self, name, options, valgrind=True):
        self.name = name
        self.port = free_port()
        self.log_path = os.path.join(ARGS.out, name + ".agent.log")
        self.vg_path = os.path.join(ARGS.out, name + ".valgrind.log")
        cmd = [ARGS.agent, "--ingot-root=" + ARGS.root, "--ingot-fake-power",
               "--listen-host=127.0.0.1", "--listen-port=%d" % self.port,
               "--advertise-host=127.0.0.1", "--advertise-port=%d" % self.port] + options
        if valgrind:
            cmd = VALGRIND + ["--log-file=" + self.vg_path] + cmd
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """SIGTERM, then its exit status (None if it hangs: then it is killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.wait(STOP_TIMEOUT)
        if rc is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        return rc

    def tail(self, n=25):
        lines = self.text().splitlines()
        return "\n".join("#   " + line for line in lines[-n:])


def request(agent, method, path, body=None, context=None, raw=None):
    """(status, parsed JSON body or None, raw body)."""
    if context:
        c = http.client.HTTPSConnection("127.0.0.1", agent.port, timeout=120, context=context)
    else:
        c = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=120)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": "application/json"} if data is not None else {}
    c.request(method, path, body=data, headers=headers)
    r = c.getresponse()
    text = r.read()
    c.close()
    try:
        return r.status, json.loads(text), text
    except ValueError:
        return r.status, None, text


def wait_ready(agent, stub, context=None):
    """Until the API answers and Ironic got a heartbeat (the lookup is done: the token is set)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if agent.proc.poll() is not None:
            break
        try:
            if request(agent, "GET", "/", context=context)[0] == 200 and stub.heartbeats():
                return True
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.5)
    print("# the agent's log:\n" + agent.tail())
    return False


def command(agent, name, params, token=TOKEN, context=None, raw=None):
    path = "/v1/commands/?wait=true&agent_token=" + token
    return request(agent, "POST", path, {"name": name, "params": params}, context, raw)


def valgrind_clean(agent, rc):
    """Exit status 0 after SIGTERM, and valgrind's summary without errors or leaks."""
    with open(agent.vg_path, errors="replace") as f:
        vg = f.read()
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", vg)
    leaks = {k: int(v.replace(",", "")) for k, v in
             re.findall(r"(definitely|indirectly) lost: ([\d,]+) bytes", vg)}
    ok = check(rc == 0, "%s: the agent stopped on SIGTERM with status 0 (%s)" % (agent.name, rc))
    ok &= check("stopped" in agent.text(), "%s: the agent logged that it stopped" % agent.name)
    ok &= check(summary is not None and summary.group(1) == "0",
                "%s: valgrind: %s errors" % (agent.name, summary.group(1) if summary else "?"))
    ok &= check(not any(leaks.values()),
                "%s: no definite or indirect leak (%s)" % (agent.name, leaks or "none reported"))
    if not ok:
        blocks = vg.split("\n==")
        print("# valgrind (%s):" % agent.vg_path)
        print("\n".join("#   " + line for line in "\n==".join(blocks[:80]).splitlines()[:150]))
        print("# the agent's log:\n" + agent.tail())


def session_http():
    """An Ironic before agent_verify_ca (1.46): plain HTTP."""
    stub = Stub("old")
    agent = Agent("http", ["--api-url=http://127.0.0.1:%d" % stub.port])
    try:
        if not check(wait_ready(agent, stub), "http: the API answers and the agent heartbeats"):
            return
        hb = stub.heartbeats()[0]["body"]
        check(hb.get("callback_url") == "http://127.0.0.1:%d" % agent.port,
              "http: callback URL http://127.0.0.1:%d (%s)" % (agent.port, hb.get("callback_url")))

        status, body, _ = request(agent, "GET", "/")
        check(status == 200 and body and "versions" in body, "http: GET / 200 with versions")
        status, body, _ = request(agent, "GET", "/v1/commands")
        check(status == 200 and body == {"commands": []}, "http: GET /v1/commands: none yet")

        status, body, _ = command(agent, "clean.get_clean_steps", {"node": NODE, "ports": []})
        check(status == 200 and body and body.get("command_status") == "SUCCEEDED" and
              "clean_steps" in (body.get("command_result") or {}),
              "http: clean.get_clean_steps, synchronous: SUCCEEDED with clean_steps (%d)" %
              status)
        status, body, _ = command(agent, "poll.get_hardware_info", {})
        check(status == 200 and body and body.get("command_status") == "SUCCEEDED" and
              "cpu" in (body.get("command_result") or {}),
              "http: poll.get_hardware_info: SUCCEEDED with an inventory (%d)" % status)

        status, body, _ = command(agent, "clean.get_clean_steps", {"node": NODE, "ports": []},
                                  token="not-the-token-" + "x" * 32)
        check(status == 401, "http: a wrong agent_token: 401 (%d)" % status)
        status, body, _ = command(agent, "clean.get_clean_steps", None,
                                  raw=b'{"name": "clean.get_clean_steps", "params": {')
        check(status == 400, "http: malformed JSON: 400 (%d)" % status)

        status, body, _ = request(agent, "GET", "/v1/commands")
        check(status == 200 and body and len(body.get("commands", [])) == 2,
              "http: GET /v1/commands lists the two commands that ran")
    finally:
        rc = agent.stop()
        stub.stop()
    valgrind_clean(agent, rc)


def pem_to_der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def served_chain(port):
    """The number of certificates the server sends, by openssl s_client -showcerts."""
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-showcerts"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    return p.stdout.count("-----BEGIN CERTIFICATE-----")


def session_operator_tls():
    """The operator's certificate and key, with an Ironic that takes agent_verify_ca (1.82)."""
    pki = ARGS.pki
    chain = os.path.join(ARGS.out, "chain.pem")
    with open(chain, "w") as f:
        for name in ("server.pem", "ca.pem"):
            with open(os.path.join(pki, name)) as g:
                f.write(g.read())
    stub = Stub("normal")
    agent = Agent("operator", ["--api-url=http://127.0.0.1:%d" % stub.port, "--listen-tls",
                               "--tls-cert-file=" + chain,
                               "--tls-key-file=" + os.path.join(pki, "server.key")])
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.pem"))
    try:
        if not check(wait_ready(agent, stub, ctx),
                     "operator: the API answers over TLS, verified against the test CA"):
            return
        text = agent.text()
        check("Generating TLS" not in text and "serving TLS with the operator's certificate"
              in text, "operator: no automatic certificate, the operator's instead")
        hb = stub.heartbeats()[0]["body"]
        check(hb.get("callback_url") == "https://127.0.0.1:%d" % agent.port,
              "operator: callback URL https (%s)" % hb.get("callback_url"))
        check("agent_verify_ca" not in hb,
              "operator: no agent_verify_ca in the heartbeat (IPA sends only its own)")

        c = http.client.HTTPSConnection("127.0.0.1", agent.port, timeout=120, context=ctx)
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
        peer = c.sock.getpeercert(binary_form=True)
        c.close()
        check(r.status == 200 and peer == pem_to_der(os.path.join(pki, "server.pem")),
              "operator: GET / 200, the peer certificate is tls_cert_file's")
        n = served_chain(agent.port)
        check(n == 2, "operator: the chain is served too (%d certificates)" % n)
        status, _, _ = command(agent, "clean.get_clean_steps", {"node": NODE, "ports": []},
                               token="wrong-" + "y" * 40, context=ctx)
        check(status == 401, "operator: a wrong agent_token: 401 (%d)" % status)
        plain = None
        try:
            plain = request(agent, "GET", "/")[0]
        except (OSError, http.client.HTTPException):
            pass
        check(plain != 200, "operator: plain HTTP is not served (%s)" % plain)
    finally:
        rc = agent.stop()
        stub.stop()
    valgrind_clean(agent, rc)


def startup_errors():
    """The operator's TLS cannot start: status 1 and one line that says why (no valgrind)."""
    pki = ARGS.pki
    cases = [
        ("no-key", ["--listen-tls", "--tls-cert-file=" + os.path.join(pki, "server.pem")],
         "listen_tls needs tls_cert_file and tls_key_file: tls_key_file is not set"),
        ("missing", ["--listen-tls", "--tls-cert-file=" + os.path.join(pki, "nope.pem"),
                     "--tls-key-file=" + os.path.join(pki, "server.key")],
         "cannot read tls_cert_file '%s': No such file or directory" %
         os.path.join(pki, "nope.pem")),
        ("mismatch", ["--tls-cert-file=" + os.path.join(pki, "server.pem"),
                      "--tls-key-file=" + os.path.join(pki, "ca.key")],
         "tls_key_file '%s' is not the key of tls_cert_file '%s'" %
         (os.path.join(pki, "ca.key"), os.path.join(pki, "server.pem"))),
        ("not-a-cert", ["--listen-tls", "--tls-cert-file=" + os.path.join(pki, "server.key"),
                        "--tls-key-file=" + os.path.join(pki, "server.key")],
         "tls_cert_file '%s' holds no certificate" % os.path.join(pki, "server.key")),
    ]
    for name, options, want in cases:
        agent = Agent("startup-" + name, options, valgrind=False)
        rc = agent.wait(60)
        if rc is None:
            agent.stop()
        text = agent.text()
        check(rc == 1 and want in text and "API listening" not in text,
              "start-up error %s: status 1 and '%s' (%s)" % (name, want, rc))
        if rc != 1 or want not in text:
            print(agent.tail(10))


def main():
    global ARGS
    p = argparse.ArgumentParser()
    for a in ("--agent", "--root", "--pki", "--out", "--stub"):
        p.add_argument(a, required=True)
    ARGS = p.parse_args()
    session_http()
    session_operator_tls()
    startup_errors()
    print("%s" % ("all checks passed" if not failures else "%d checks failed" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
