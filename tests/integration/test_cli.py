"""The command line: version, help, config precedence and validation, first start,
signals, logs."""

import json
import os
import re
import subprocess

import pytest

from harness import ADMIN_KEY, clean_env, simple_email, wait_for

KEY_RE = re.compile(r"admin API key[^:]*: (obx_[A-Za-z0-9]+)")


def run(binary, *args, env=None, cwd=None, timeout=10):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout,
                          env=clean_env(env), cwd=cwd, stdin=subprocess.DEVNULL)


def test_version(outbox_binary, tmp_path):
    p = run(outbox_binary, "version", cwd=tmp_path)
    assert p.returncode == 0, p
    assert re.search(r"\d+\.\d+\.\d+", p.stdout), p.stdout


def test_help_lists_flags(outbox_binary, tmp_path):
    p = run(outbox_binary, "--help", cwd=tmp_path)
    assert p.returncode == 0, p
    out = p.stdout + p.stderr
    for flag in ("--listen", "--data-dir", "--durability", "--transport", "--smtp-host",
                 "--smtp-port", "--smtp-user", "--smtp-pass", "--smtp-tls", "--smtp-sessions",
                 "--send-rate", "--default-from", "--max-attempts", "--retry-base-ms",
                 "--lease-ms", "--max-body-bytes", "--admin-key", "--log-level"):
        assert flag in out, f"--help does not mention {flag}:\n{out}"
    assert not os.path.exists(tmp_path / "outbox-data"), "--help must not create a data dir"


# ------------------------------------------------------------------ config check


def _norm_key(key):
    key = key.strip().strip('"').lstrip("-").lower().replace("-", "_").replace(".", "_")
    if key.startswith("outbox_"):
        key = key[len("outbox_"):]
    return key


def parse_config(text):
    """Effective config from `config check` output: JSON, or key=value / key: value lines."""
    out = {}
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        def walk(prefix, node):
            for k, v in node.items():
                name = f"{prefix}_{k}" if prefix else k
                if isinstance(v, dict):
                    walk(name, v)
                else:
                    out[_norm_key(name)] = "" if v is None else str(v)
        walk("", data)
        return out
    for line in text.splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.\-\"]+)\s*[:=]\s*(.*?)\s*$", line)
        if m:
            value = m.group(2).strip()
            # "key = value  (default)": drop a trailing note saying where the value came from.
            note = re.match(r"^(.*?)\s*\([^()]*\)$", value)
            if note:
                value = note.group(1)
            value = value.strip().strip('"')
            out[_norm_key(m.group(1))] = value
    return out


def config_check(binary, *flags, env=None, cwd=None):
    p = run(binary, "config", "check", *flags, env=env, cwd=cwd)
    return p, parse_config(p.stdout)


def test_config_precedence_flag_env_dotenv_default(outbox_binary, tmp_path):
    (tmp_path / ".env").write_text("OUTBOX_SMTP_PORT=1111\nOUTBOX_SEND_RATE=11\n")
    env = {"OUTBOX_SMTP_PORT": "2222"}

    p, cfg = config_check(outbox_binary, "--smtp-port", "3333", env=env, cwd=tmp_path)
    assert p.returncode == 0, p
    assert cfg.get("smtp_port") == "3333", p.stdout

    p, cfg = config_check(outbox_binary, env=env, cwd=tmp_path)
    assert p.returncode == 0, p
    assert cfg.get("smtp_port") == "2222", p.stdout
    assert cfg.get("send_rate") in ("11", "11.0"), p.stdout  # .env fills what env lacks

    p, cfg = config_check(outbox_binary, cwd=tmp_path)
    assert p.returncode == 0, p
    assert cfg.get("smtp_port") == "1111", p.stdout

    os.remove(tmp_path / ".env")
    p, cfg = config_check(outbox_binary, cwd=tmp_path)
    assert p.returncode == 0, p
    assert "smtp_port" in cfg, p.stdout
    assert cfg["smtp_port"] not in ("1111", "2222", "3333"), p.stdout
    assert cfg.get("max_attempts") == "5", p.stdout
    assert cfg.get("retry_base_ms") == "30000", p.stdout
    assert cfg.get("lease_ms") == "60000", p.stdout
    assert cfg.get("max_body_bytes") == "10485760", p.stdout
    assert cfg.get("smtp_sessions") == "4", p.stdout
    assert cfg.get("listen") == "127.0.0.1:8080", p.stdout


def test_config_seed_aliases(outbox_binary, tmp_path):
    env = {"smtp_server": "mail.example.test", "smtp_port": "2525", "smtp_user": "bob",
           "smtp_pass": "alias-secret-value"}
    p, cfg = config_check(outbox_binary, env=env, cwd=tmp_path)
    assert p.returncode == 0, p
    assert cfg.get("smtp_host") == "mail.example.test", p.stdout
    assert cfg.get("smtp_port") == "2525", p.stdout
    assert cfg.get("smtp_user") == "bob", p.stdout
    assert "alias-secret-value" not in p.stdout + p.stderr


def test_config_check_masks_secrets(outbox_binary, tmp_path):
    p, cfg = config_check(outbox_binary, "--smtp-host", "mail.example.test",
                          "--smtp-user", "bob", "--smtp-pass", "hunter2-very-secret",
                          "--admin-key", "admin-key-super-secret-123", cwd=tmp_path)
    assert p.returncode == 0, p
    assert "hunter2-very-secret" not in p.stdout + p.stderr
    assert "admin-key-super-secret-123" not in p.stdout + p.stderr
    assert cfg.get("smtp_pass") == "****", p.stdout
    admin = [v for k, v in cfg.items() if "admin" in k and "key" in k]
    assert admin == ["****"], p.stdout


@pytest.mark.parametrize("args,env,setting", [
    (["--smtp-port", "70000"], {}, r"smtp[-_]port"),
    (["--smtp-port", "0"], {}, r"smtp[-_]port"),
    (["--smtp-port", "abc"], {}, r"smtp[-_]port"),
    ([], {"OUTBOX_SMTP_PORT": "99999"}, r"smtp[-_]port"),
    (["--durability", "sometimes"], {}, r"durability"),
    (["--transport", "pigeon"], {}, r"transport"),
    (["--smtp-tls", "maybe"], {}, r"smtp[-_]tls"),
    (["--max-attempts", "0"], {}, r"max[-_]attempts"),
    (["--smtp-sessions", "-1"], {}, r"smtp[-_]sessions"),
    (["--send-rate", "-5"], {}, r"send[-_]rate"),
    (["--listen", "not-an-address"], {}, r"listen"),
    (["--max-body-bytes", "-1"], {}, r"max[-_]body[-_]bytes"),
    (["--admin-key", "short"], {}, r"admin[-_]key"),
    (["--log-level", "chatty"], {}, r"log[-_]level"),
    (["--transport", "smtp"], {}, r"smtp[-_]host"),  # smtp transport without a host
])
def test_invalid_config_exits_2_naming_setting(outbox_binary, tmp_path, args, env, setting):
    for cmd in (["serve"], ["config", "check"]):
        p = run(outbox_binary, *cmd, "--data-dir", str(tmp_path / "data"),
                "--listen", "127.0.0.1:0", *args, env=env, cwd=tmp_path)
        assert p.returncode == 2, f"{cmd + args} env={env}: rc={p.returncode}\n{p.stderr}"
        assert re.search(setting, p.stderr, re.I), \
            f"{cmd + args}: stderr does not name {setting}:\n{p.stderr}"


def test_unknown_flag_is_refused(outbox_binary, tmp_path):
    p = run(outbox_binary, "serve", "--no-such-flag", "1", cwd=tmp_path)
    assert p.returncode == 2, p
    assert "no-such-flag" in p.stderr, p.stderr


# ------------------------------------------------------------------ first start


def test_admin_key_printed_once(outbox):
    ob = outbox(admin_key=None)
    out = ob.stdout()
    lines = [l for l in out.splitlines() if "admin API key" in l]
    assert len(lines) == 1, out
    m = KEY_RE.search(lines[0])
    assert m, lines[0]
    key = m.group(1)
    with pytest.raises(ValueError):
        json.loads(lines[0])  # a plain line for humans, not a log record

    ob.admin_key = key
    assert ob.api("GET", "/v1/emails").status == 200
    ob.admin_key = "obx_wrong"
    assert ob.api("GET", "/v1/emails").status == 401

    rc, _ = ob.stop()
    assert rc == 0
    ob.admin_key = None
    ob.start()
    assert "admin API key" not in ob.stdout(), ob.stdout()
    assert key not in ob.stdout()
    ob.admin_key = key  # the same key still works after the restart
    assert ob.api("GET", "/v1/emails").status == 200


def test_no_admin_key_printed_when_given(outbox):
    ob = outbox()
    assert "admin API key" not in ob.stdout()


def test_a_generated_callback_secret_is_printed_once(outbox):
    ob = outbox()
    lines = [l for l in ob.stdout().splitlines() if "callback secret" in l]
    assert len(lines) == 1, ob.stdout()
    secret = re.search(r": ([0-9a-f]{64})$", lines[0]).group(1)
    assert secret not in open(os.path.join(ob.data_dir, "app.log")).read()
    ob.restart()
    assert "callback secret" not in ob.stdout()
    given = outbox("--callback-secret", "configured-salt-0123456789")
    assert "callback secret" not in given.stdout()


# ------------------------------------------------------------------ signals


def test_sigterm_while_mail_is_flowing(outbox, smtp_server):
    srv = smtp_server(delay=0.01)
    ob = outbox(*srv.smtp_args(), "--smtp-sessions", "4")
    ids = [ob.send(simple_email(headers={"X-Test-Id": str(i)}))["id"] for i in range(300)]
    wait_for(lambda: srv.count() >= 20, 20, message="20 deliveries")
    rc, took = ob.stop(timeout=12)
    assert rc == 0, f"exit code {rc} after SIGTERM\nstderr:\n{ob.stderr()}"
    assert took < 10, f"took {took:.1f}s to exit after SIGTERM"
    delivered_at_stop = srv.count()

    # Nothing accepted is lost: after a restart every mail goes out.
    ob.start()
    wait_for(lambda: len({m.message["X-Test-Id"] for m in srv.received()}) == 300, 60,
             message="all 300 delivered after restart")
    for eid in ids[:5] + ids[-5:]:
        assert ob.wait_status(eid, "sent")["status"] == "sent"
    print(f"delivered before SIGTERM: {delivered_at_stop}; total received {srv.count()}")


def test_sigterm_idle_exits_quickly(outbox):
    ob = outbox()
    rc, took = ob.stop()
    assert rc == 0
    assert took < 5, took


# ------------------------------------------------------------------ logs


def test_logs_are_json_lines_on_stdout_and_app_log(outbox):
    # Given keys and the admin's password, so no first-start line for humans (admin key,
    # callback secret, admin password) is printed.
    ob = outbox("--callback-secret", "configured-salt-0123456789",
                "--admin-password", "configured admin password")
    ob.send(simple_email())
    ob.api("GET", "/health/ping", auth=False)
    rc, _ = ob.stop()
    assert rc == 0
    for name, text in (("stdout", ob.stdout()),
                       ("app.log", open(os.path.join(ob.data_dir, "app.log")).read())):
        records = []
        for line in text.splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)  # every line is one JSON object
            assert isinstance(rec, dict), line
            for key in ("time", "level", "msg"):
                assert key in rec, f"{name}: {line}"
            records.append(rec)
        assert any(r["msg"] == "listening" for r in records), name
    assert ADMIN_KEY not in ob.stdout() and "configured admin password" not in ob.stdout()
    assert ADMIN_KEY not in open(os.path.join(ob.data_dir, "app.log")).read()


def test_default_data_dir_and_db(outbox_binary, tmp_path):
    """With no --data-dir the data lives in ./outbox-data with outbox.db inside."""
    from harness import OutboxProcess
    ob = OutboxProcess(outbox_binary, data_dir="unused", work_dir=tmp_path)
    ob.command = lambda: [outbox_binary, "serve", "--listen", "127.0.0.1:0",
                          "--admin-key", ADMIN_KEY]
    try:
        ob.start()
        assert ob.api("GET", "/health/ready", auth=False).status == 200
        assert os.path.isfile(tmp_path / "outbox-data" / "outbox.db")
    finally:
        ob.stop()
        ob.kill()


def test_durability_normal_starts(outbox):
    ob = outbox("--durability", "normal")
    eid = ob.send(simple_email())["id"]
    assert ob.wait_status(eid, "sent")["status"] == "sent"  # capture transport


def test_capture_transport_by_default(outbox):
    ob = outbox()
    eid = ob.send(simple_email(subject="captured"))["id"]
    e = ob.wait_status(eid, {"sent", "failed"})
    assert e["status"] == "sent", e
    r = ob.api("GET", f"/v1/emails/{eid}/raw")
    assert r.status == 200 and b"captured" in r.raw, r


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_unusable_data_dir_fails_with_its_name(outbox_binary, tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    data_dir = str(blocker / "data")
    p = run(outbox_binary, command, "--data-dir", data_dir, "--listen", "127.0.0.1:0",
            cwd=tmp_path)
    assert p.returncode == 1, p
    assert "cannot create data directory" in p.stderr and data_dir in p.stderr, p.stderr
