//! Real mail servers on loopback for tests: an SMTP server that keeps what it accepts
//! (Python's aiosmtpd, `scripts/mail/capture_smtp.py`) and an IMAP server (Debian's dovecot)
//! with one user and an empty INBOX. `scripts/test` installs both. When one is missing a test
//! says SKIPPED loudly, and under `CI=true` it fails instead: a skipped suite is a lie.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test scaffolding: stop at the first surprise

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// Under `CI=true` a missing server fails the test; elsewhere it is skipped with a loud line.
fn missing(what: &str) -> Option<std::convert::Infallible> {
    let message = format!("{what} is not installed; run scripts/test, which installs it");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: {message}"
    );
    eprintln!("SKIPPED: {message}");
    None
}

/// A port free right now on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// Waiting for another process to listen is waiting on the world, not on the clock.
#[allow(clippy::disallowed_methods)]
fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The Python that has aiosmtpd: `AMENDS_TEST_PYTHON`, or the venv `scripts/test` makes.
fn python() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("AMENDS_TEST_PYTHON") {
        return Some(PathBuf::from(path));
    }
    let venv = workspace().join("target/mail-venv/bin/python");
    venv.exists().then_some(venv)
}

/// One SMTP server that keeps every mail it accepts.
pub struct SmtpCapture {
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempdir::Dir,
    child: Option<Child>,
    login: Option<String>,
}

/// A mail the capture server accepted.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The bytes received.
    pub raw: Vec<u8>,
}

impl SmtpCapture {
    /// Starts one on a free port, or `None` (skipped) when aiosmtpd is not installed.
    pub fn start() -> Option<SmtpCapture> {
        Self::started(free_port(), None)
    }

    /// Starts one on `port`.
    pub fn start_on(port: u16) -> Option<SmtpCapture> {
        Self::started(port, None)
    }

    /// Starts one that takes mail only after the login `user:password`.
    pub fn start_with_login(login: &str) -> Option<SmtpCapture> {
        Self::started(free_port(), Some(login.to_owned()))
    }

    fn started(port: u16, login: Option<String>) -> Option<SmtpCapture> {
        let mut capture = SmtpCapture {
            port,
            dir: tempdir::Dir::new("smtp"),
            child: None,
            login,
        };
        capture.restart()?;
        Some(capture)
    }

    /// Starts the server again after [`SmtpCapture::stop`], on the same port, keeping what it
    /// received.
    pub fn restart(&mut self) -> Option<()> {
        let Some(python) = python() else {
            missing("aiosmtpd (in target/mail-venv)")?;
            return None;
        };
        let script = workspace().join("scripts/mail/capture_smtp.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(self.port.to_string())
            .arg(self.dir.path())
            .args(self.login.iter())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting the SMTP capture server");
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(
            ready.trim(),
            "ready",
            "the SMTP capture server did not start"
        );
        wait_for_port(self.port, "the SMTP capture server");
        self.child = Some(child);
        Some(())
    }

    /// Stops the server (mail sent meanwhile finds nobody).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `smtp://127.0.0.1:PORT?tls=none`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Holds every mail before accepting it while `on` (the client waits for its answer).
    pub fn stall(&self, on: bool) {
        let flag = self.dir.path().join("stall");
        if on {
            std::fs::write(flag, b"").unwrap();
        } else {
            let _ = std::fs::remove_file(flag);
        }
    }

    /// Answers every mail with `reply` (such as `550 5.1.1 no such user`) while set.
    pub fn refuse(&self, reply: Option<&str>) {
        let flag = self.dir.path().join("refuse");
        match reply {
            Some(reply) => std::fs::write(flag, reply).unwrap(),
            None => {
                let _ = std::fs::remove_file(flag);
            }
        }
    }

    /// Whether a mail is being held by [`SmtpCapture::stall`] right now.
    pub fn holding(&self) -> bool {
        self.dir.path().join("holding").exists()
    }

    /// How many mails were accepted so far, without reading them.
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.dir.path())
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .count()
            })
            .unwrap_or(0)
    }

    /// Every mail accepted so far, in order.
    pub fn received(&self) -> Vec<Captured> {
        let mut numbers: Vec<u64> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".eml")?.parse().ok()
            })
            .collect();
        numbers.sort_unstable();
        numbers
            .into_iter()
            .map(|n| {
                let base = self.dir.path().join(n.to_string());
                let envelope: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(base.with_extension("json")).unwrap())
                        .unwrap();
                Captured {
                    from: envelope["from"].as_str().unwrap_or_default().to_owned(),
                    to: envelope["to"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_owned())
                        .collect(),
                    raw: std::fs::read(base.with_extension("eml")).unwrap(),
                }
            })
            .collect()
    }
}

impl Drop for SmtpCapture {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One dovecot IMAP server with user `desk` (password `secret`) and an empty INBOX.
pub struct Dovecot {
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempdir::Dir,
    child: Child,
}

const DOVECOT: &str = "/usr/sbin/dovecot";

impl Dovecot {
    /// Starts one on a free port, or `None` (skipped) when dovecot is not installed.
    pub fn start() -> Option<Dovecot> {
        if !Path::new(DOVECOT).exists() {
            missing("dovecot (Debian's dovecot-imapd)")?;
        }
        let dir = tempdir::Dir::new("imap");
        let root = dir.path();
        for sub in ["base", "state", "mail"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        // Dovecot will not deliver as root: as root the mail belongs to nobody.
        let (uid, gid, internal) = match current_ids() {
            (0, _) => (65534, 65534, ("dovecot", "dovenull")),
            (uid, gid) => (uid, gid, ("", "")),
        };
        set_mode(&root.join("mail"), 0o777);
        set_mode(root, 0o755);
        let port = free_port();
        let users = root.join("users");
        std::fs::write(&users, "desk:{PLAIN}secret\n").unwrap();
        let mut config = format!(
            "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {root}/base\n\
             state_dir = {root}/state\nlog_path = {root}/dovecot.log\nssl = no\n\
             disable_plaintext_auth = no\nauth_mechanisms = plain login\n\
             mail_location = maildir:{root}/mail/%u\nfirst_valid_uid = 0\n\
             mail_uid = {uid}\nmail_gid = {gid}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service pop3-login {{\n}}\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {users}\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={root}/mail/%u\n}}\n",
            root = root.display(),
            users = users.display(),
        );
        if !internal.0.is_empty() {
            config.push_str(&format!(
                "default_internal_user = {}\ndefault_login_user = {}\n",
                internal.0, internal.1
            ));
        } else {
            let me = std::env::var("USER").unwrap_or_default();
            config.push_str(&format!(
                "default_internal_user = {me}\ndefault_login_user = {me}\n"
            ));
        }
        let conf = root.join("dovecot.conf");
        std::fs::write(&conf, config).unwrap();
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting dovecot");
        wait_for_port(port, "dovecot");
        Some(Dovecot { port, dir, child })
    }

    /// `imap://desk:secret@127.0.0.1:PORT/INBOX?tls=none`.
    pub fn url(&self) -> String {
        format!("imap://desk:secret@127.0.0.1:{}/INBOX?tls=none", self.port)
    }

    /// The server's log, for a failing test to show.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn current_ids() -> (u32, u32) {
    let out = |flag: &str| {
        Command::new("id")
            .arg(flag)
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    };
    (out("-u"), out("-g"))
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

mod tempdir {
    use std::path::{Path, PathBuf};

    /// A directory removed when dropped.
    pub(super) struct Dir(PathBuf);

    impl Dir {
        pub(super) fn new(what: &str) -> Dir {
            use std::sync::atomic::{AtomicU64, Ordering};
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let path = std::env::temp_dir().join(format!(
                "amends-{what}-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }

        pub(super) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
