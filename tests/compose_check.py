"""Checks compose.yaml and the Dockerfiles it builds without a Docker engine.

`docker-compose config` parses and normalises the file (no engine needed).
Then every command, flag, port and health check that the images would run is
run here for real against the binaries of this build: the servers with the
compose command (on a free loopback port instead), the health checks against
them, and nginx -t on the configuration nginx/Dockerfile derives.
Usage: compose_check.py RUNFILES_ROOT TMPDIR
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

import yaml

root, tmp = sys.argv[1], sys.argv[2]
failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message)


def dockerfile(path):
    """Instruction -> list of argument texts (continuation lines joined)."""
    text = open(os.path.join(root, path)).read().replace("\\\n", " ")
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.setdefault(word, []).append(rest.strip())
    return out


def exec_form(text):
    """The JSON array of an exec-form instruction (after any --options)."""
    return json.loads(text[text.index("["):])


def flags_of(binary):
    help_text = subprocess.run([binary, "--help"], capture_output=True,
                               text=True, timeout=30).stdout
    return set(re.findall(r"^  --(\w+) \(default", help_text, re.M))


def check_flags(argv, known, what):
    for arg in argv:
        m = re.match(r"--(\w+)", arg)
        if m and m.group(1) not in known:
            fail("%s: %s is not a flag of %s" % (what, arg, os.path.basename(argv[0])))


def port_of(argv):
    ports = [a.split("=", 1)[1] for a in argv if a.startswith("--port=")]
    return ports[-1] if ports else None


def serve_and_probe(argv, health, what):
    """Runs the server as compose would (on a free loopback port), then the
    health check against it; stops the server with SIGTERM as docker does."""
    server = subprocess.Popen(
        [os.path.join(root, "services/saludo_server")] + argv[1:] +
        ["--host=127.0.0.1", "--port=0", "--log_calls=false"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = server.stdout.readline()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if not m:
            return fail("%s: did not start: %s" % (what, line))
        if health[0] != "grpc_probe":
            return fail("%s: the health check runs %s" % (what, health[0]))
        probe = [os.path.join(root, "tools/grpc_probe/grpc_probe")] + [
            re.sub(r":\d+$", ":" + m.group(1), a) for a in health[1:]]
        check_flags(probe, flags_of(probe[0]), what + " health check")
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30)
        if result.returncode != 0 or result.stdout.strip() != "SERVING":
            fail("%s: health check %s: %s %s" % (what, health, result.stdout, result.stderr))
        server.send_signal(signal.SIGTERM)
        if server.wait(timeout=10) != 0:
            fail("%s: exit code %d after SIGTERM" % (what, server.returncode))
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def check_servers(config, services_docker):
    entrypoint = exec_form(services_docker["ENTRYPOINT"][0])
    if entrypoint[0] != "saludo_server":
        fail("services/Dockerfile runs %s" % entrypoint[0])
    known = flags_of(os.path.join(root, "services/saludo_server"))
    image_health = exec_form(services_docker["HEALTHCHECK"][0])
    default_argv = entrypoint + exec_form(services_docker["CMD"][0])
    cases = [("services/Dockerfile", default_argv, image_health)]
    for name, seed_port in (("servidor1", "3001"), ("servidor2", "3002")):
        service = config["services"][name]
        if service.get("ports"):
            fail("%s publishes ports; only nginx should" % name)
        argv = entrypoint + service["command"]
        if port_of(argv) != seed_port:
            fail("%s listens on %s, not the seed's %s" % (name, port_of(argv), seed_port))
        cases.append((name, argv, service["healthcheck"]["test"][1:]))
    for what, argv, health in cases:
        check_flags(argv, known, what)
        if not any(a.endswith(":" + port_of(argv)) for a in health):
            fail("%s: health check %s does not ask port %s" % (what, health, port_of(argv)))
        serve_and_probe(argv, health, what)
    exposed = set(" ".join(services_docker["EXPOSE"]).split())
    if exposed != {"3001", "3002"}:
        fail("services/Dockerfile exposes %s" % exposed)


def check_nginx(config, nginx_docker):
    service = config["services"]["nginx"]
    if [(p["published"], p["target"]) for p in service["ports"]] != [(3005, 3005)]:
        fail("nginx publishes %s, not the seed's 3005" % service["ports"])
    for name in ("servidor1", "servidor2"):
        if service["depends_on"].get(name, {}).get("condition") != "service_healthy":
            fail("nginx does not wait for %s to be healthy" % name)
    run = next(r for r in nginx_docker["RUN"] if r.startswith("sed "))
    text = open(os.path.join(root, "nginx/nginx.conf")).read()
    for pattern, replacement in re.findall(r"-e 's/((?:[^/\\]|\\.)*)/([^/]*)/'", run):
        text = re.sub(pattern.replace("\\.", r"\."), replacement, text)
    for want in ("server servidor1:3001", "server servidor2:3002", "listen 3005 http2"):
        if want not in text:
            fail("nginx/Dockerfile's nginx.conf lacks '%s'" % want)
    if "127.0.0.1" in text:
        fail("nginx/Dockerfile's nginx.conf still names 127.0.0.1")
    prefix = os.path.join(tmp, "nginx")
    os.makedirs(os.path.join(prefix, "logs"), exist_ok=True)
    os.makedirs(os.path.join(prefix, "tmp"), exist_ok=True)
    conf = os.path.join(prefix, "nginx.conf")
    # The service names resolve only inside compose's network.
    open(conf, "w").write(re.sub(r"servidor[12]", "localhost", text))
    result = subprocess.run(["nginx", "-t", "-p", prefix + "/", "-c", conf],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        fail("nginx -t on nginx/Dockerfile's nginx.conf: " + result.stderr)
    cmd = exec_form(nginx_docker["CMD"][0])
    if cmd[:5] != ["nginx", "-p", "/etc/saludo-nginx/", "-c", "nginx.conf"] or \
            "/etc/saludo-nginx/nginx.conf" not in run:
        fail("nginx/Dockerfile runs %s, not the configuration it wrote" % cmd)
    for health in (service["healthcheck"]["test"][1:],
                   exec_form(nginx_docker["HEALTHCHECK"][0])):
        if health[:3] != ["grpc_probe", "health", "127.0.0.1:3005"]:
            fail("nginx health check %s does not ask nginx's port" % health)


def main():
    result = subprocess.run(
        ["docker-compose", "-f", os.path.join(root, "compose.yaml"), "config"],
        capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        fail("docker-compose config: " + result.stderr)
        return
    config = yaml.safe_load(result.stdout)
    if set(config["services"]) != {"servidor1", "servidor2", "nginx"}:
        fail("services: %s" % sorted(config["services"]))
        return
    for name, service in config["services"].items():
        if not service["build"]["dockerfile"] in ("services/Dockerfile", "nginx/Dockerfile"):
            fail("%s builds %s" % (name, service["build"]["dockerfile"]))
    check_servers(config, dockerfile("services/Dockerfile"))
    check_nginx(config, dockerfile("nginx/Dockerfile"))


main()
print("FAILED" if failures else "PASS")
sys.exit(1 if failures else 0)
