//! The real processes a scenario runs and kills: a PostgreSQL cluster of its
//! own (initdb / pg_ctl, never the machine's server), Anvil under the same
//! supervisor `make run` uses, and the api binary cargo built. Each is a guard
//! that stops what it started and removes its files when dropped, also when
//! the test fails (then the tail of its log is printed first).

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository's root (for scripts/ and node_modules/).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// A throwaway directory, removed when dropped.
#[derive(Debug)]
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("careledger-chaos-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("scratch dir");
        Self(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| !s.rsplit(')').next().unwrap_or_default().trim_start().starts_with('Z'))
}

/// The direct children of `pid`.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn wait_gone(pids: &[u32], within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while pids.iter().any(|&p| alive(p)) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

fn log_file(path: &Path) -> (Stdio, Stdio) {
    let file = File::create(path).expect("log file");
    (file.try_clone().expect("log file").into(), file.into())
}

/// On a failing test, the last lines of a process's log (the api and the
/// chain log no patient data; the test's own data is synthetic).
fn print_tail(what: &str, log: &Path) {
    if std::thread::panicking() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        eprintln!("---- last lines of the {what} log ({}) ----", log.display());
        for line in &lines[lines.len().saturating_sub(40)..] {
            eprintln!("{line}");
        }
    }
}

/// A PostgreSQL cluster of the test's own on a free port.
#[derive(Debug)]
pub struct Postgres {
    bin: PathBuf,
    root: PathBuf,
    data: PathBuf,
    log: PathBuf,
    pub port: u16,
    /// initdb refuses to run as root: then every command runs as `postgres`.
    as_postgres: bool,
}

impl Postgres {
    /// The newest installed server's binaries (Debian: /usr/lib/postgresql/N/bin).
    fn binaries() -> PathBuf {
        if let Some(dir) = std::env::var_os("PG_BIN") {
            return PathBuf::from(dir);
        }
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries in /usr/lib/postgresql (or set PG_BIN)")
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
            .filter(|(_, bin)| bin.join("initdb").exists())
            .collect();
        found.sort();
        found.pop().expect("an initdb under /usr/lib/postgresql/*/bin").1
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// initdb in `dir/pg` (trust authentication, user `postgres`), then start.
    pub fn init(dir: &Path) -> Self {
        let root = dir.join("pg");
        std::fs::create_dir_all(&root).expect("pg dir");
        let as_postgres =
            Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if as_postgres {
            let ok = Command::new("chown").args(["-R", "postgres:"]).arg(&root).status();
            assert!(ok.is_ok_and(|s| s.success()), "chown the cluster's directory to postgres");
        }
        let pg = Self {
            bin: Self::binaries(),
            data: root.join("data"),
            root: root.clone(),
            log: root.join("server.log"),
            port: free_port(),
            as_postgres,
        };
        let out = pg
            .command("initdb")
            .args(["--auth=trust", "--username=postgres", "--encoding=UTF8", "--no-sync"])
            .arg("--pgdata")
            .arg(&pg.data)
            .output()
            .expect("initdb runs");
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        pg.start();
        pg
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Starts the server (crash recovery first, after a kill) and waits until it accepts connections.
    pub fn start(&self) {
        // fsync off: a killed process leaves the kernel's page cache intact, so
        // fsync matters only for a machine crash, which this test does not make.
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.root.display()
        );
        let out = self
            .command("pg_ctl")
            .args(["start", "--wait", "--timeout=60", "--silent", "-o", &options, "-l"])
            .arg(&self.log)
            .arg("-D")
            .arg(&self.data)
            .output()
            .expect("pg_ctl runs");
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn postmaster(&self) -> Option<u32> {
        std::fs::read_to_string(self.data.join("postmaster.pid")).ok()?.lines().next()?.parse().ok()
    }

    /// `kill -9` of the server and every backend, as a killed container
    /// would be; returns once they are gone.
    pub fn kill9(&self) {
        let postmaster = self.postmaster().expect("the server is running");
        let mut pids = children(postmaster);
        pids.push(postmaster);
        for &pid in &pids {
            signal(pid, "KILL");
        }
        assert!(wait_gone(&pids, Duration::from_secs(10)), "PostgreSQL did not die");
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        print_tail("PostgreSQL", &self.log);
        let stopped = self
            .command("pg_ctl")
            .args(["stop", "-m", "immediate", "--silent", "-D"])
            .arg(&self.data)
            .stderr(Stdio::null())
            .status();
        if !stopped.is_ok_and(|s| s.success()) {
            if let Some(pid) = self.postmaster().filter(|&p| alive(p)) {
                let mut pids = children(pid);
                pids.push(pid);
                pids.iter().for_each(|&p| signal(p, "KILL"));
            }
        }
    }
}

/// Anvil's well-known development mnemonic (its key #0 is [`DEV_KEY`]).
const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";
/// Anvil's development key #0 (public; test chains only).
pub const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// Anvil with its state in a file, under `scripts/anvil-supervisor.sh` with
/// `make run`'s flags: killed, it is started again from its saved state.
#[derive(Debug)]
pub struct Chain {
    supervisor: Child,
    log: PathBuf,
    pub port: u16,
}

impl Chain {
    pub fn start(dir: &Path) -> Self {
        let port = free_port();
        let log = dir.join("anvil.log");
        let (stdout, stderr) = log_file(&log);
        let supervisor = Command::new("bash")
            .arg("-c")
            .arg(
                r#"source contracts/tools/foundry-env.sh && exec scripts/anvil-supervisor.sh "$0" -- \
                   "$ANVIL" --host 127.0.0.1 --port "$1" --mnemonic "$2" "${ANVIL_CHAIN_FLAGS[@]}""#,
            )
            .arg(dir.join("anvil-state.json"))
            .arg(port.to_string())
            .arg(DEV_MNEMONIC)
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("the chain's supervisor starts");
        Self { supervisor, log, port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The Anvil process the supervisor runs now.
    fn anvil(&self) -> Option<u32> {
        children(self.supervisor.id()).into_iter().find(|&pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "anvil")
        })
    }

    /// `kill -9` of Anvil (not its supervisor, which starts it again).
    pub fn kill9(&self) {
        let pid = self.anvil().expect("Anvil is running");
        signal(pid, "KILL");
        assert!(wait_gone(&[pid], Duration::from_secs(10)), "Anvil did not die");
    }

    /// How many times the supervisor has started Anvil again (from its log).
    pub fn restarts(&self) -> usize {
        self.log().matches("starting it again").count()
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        print_tail("chain", &self.log);
        let anvil = self.anvil();
        signal(self.supervisor.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.supervisor.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(pid) = anvil.filter(|&p| alive(p)) {
            signal(pid, "KILL");
        }
        let _ = self.supervisor.kill();
        let _ = self.supervisor.wait();
    }
}

/// The api binary cargo built for these tests, run with `env`.
#[derive(Debug)]
pub struct Api {
    child: Option<Child>,
    env: Vec<(String, String)>,
    log: PathBuf,
}

impl Api {
    pub fn start(dir: &Path, env: Vec<(String, String)>) -> Self {
        let mut api = Self { child: None, env, log: dir.join("api.log") };
        api.spawn();
        api
    }

    fn spawn(&mut self) {
        // Appends: the log of every start is kept.
        let file =
            std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("api log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_careledger"));
        command.arg("serve");
        // Only the scenario's settings: an unknown CARELEDGER_* variable would stop the start.
        for (key, _) in std::env::vars() {
            if key.starts_with("CARELEDGER_") || key.starts_with("CHAIN_") || key == "DATABASE_URL"
            {
                command.env_remove(key);
            }
        }
        let child = command
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("api log"))
            .stderr(file)
            .spawn()
            .expect("the api starts");
        self.child = Some(child);
    }

    /// `kill -9` of the api.
    pub fn kill9(&mut self) {
        let mut child = self.child.take().expect("the api is running");
        child.kill().expect("kill -9 the api");
        child.wait().expect("the api is gone");
    }

    /// Starts it again with the same settings (same port, data, database).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the api is still running");
        self.spawn();
    }

    /// Runs `careledger ARGS` (a command line tool, not the server) with the
    /// api's settings; returns its exit status and standard output.
    pub fn cli(&self, args: &[&str]) -> (bool, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_careledger"));
        for (key, _) in std::env::vars() {
            if key.starts_with("CARELEDGER_") || key.starts_with("CHAIN_") || key == "DATABASE_URL"
            {
                command.env_remove(key);
            }
        }
        let out = command
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .output()
            .expect("the command runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        (out.status.success(), format!("{stdout}{stderr}"))
    }

    /// Whether it is still running (an api that stopped by itself is a failure).
    pub fn running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        print_tail("api", &self.log);
        if let Some(mut child) = self.child.take() {
            signal(child.id(), "TERM");
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Chain {
    /// Stops the supervisor (SIGSTOP) so a test can act between a kill and the restart.
    pub fn pause_supervisor(&self) {
        signal(self.supervisor.id(), "STOP");
    }

    pub fn resume_supervisor(&self) {
        signal(self.supervisor.id(), "CONT");
    }

    /// The supervisor's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
