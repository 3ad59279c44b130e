//! A throwaway PostgreSQL cluster for tests: `initdb` + `pg_ctl` in a temporary directory,
//! listening on 127.0.0.1 at a free port, trust authentication for user `postgres`, stopped
//! (and its directory removed) on drop. As root, the server runs as the `postgres` user.
//!
//! [`Pg::start`] returns `None` when the PostgreSQL server binaries are not installed
//! (`apt-get install postgresql`, or point `TESSERA_PG_BIN` at their directory): tests then
//! print that they are skipped and pass.
//!
//! ```no_run
//! let Some(pg) = tessera_testkit::postgres::Pg::start() else {
//!     eprintln!("SKIPPED: no PostgreSQL server binaries");
//!     return;
//! };
//! pg.sql("postgres", &["CREATE DATABASE t"]);
//! assert!(pg.url("t").starts_with("postgres://postgres@127.0.0.1:"));
//! ```

use std::path::PathBuf;
use std::process::Command;

/// A running throwaway cluster (see the module docs).
#[derive(Debug)]
pub struct Pg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// `TESSERA_PG_BIN`, else the newest `/usr/lib/postgresql/<v>/bin` with initdb and pg_ctl.
fn find_bin() -> Option<PathBuf> {
    if let Ok(b) = std::env::var("TESSERA_PG_BIN") {
        return Some(PathBuf::from(b));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop()
}

#[allow(clippy::unwrap_used)] // test helper: failures are test failures
impl Pg {
    fn run(&self, tool: &str, args: &[&str]) -> std::process::Output {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args).current_dir("/").output().unwrap()
    }

    /// Starts a cluster, or `None` when the server binaries are missing.
    ///
    /// # Panics
    /// When initdb or pg_ctl fail (with their output).
    pub fn start() -> Option<Pg> {
        let bin = find_bin()?;
        let root = Command::new("id").arg("-u").output().ok()?.stdout == b"0\n";
        let dir = tempfile::tempdir().unwrap();
        if root {
            let ok = Command::new("chown").args(["postgres:"]).arg(dir.path()).status().ok()?.success();
            assert!(ok, "chown of the cluster dir to postgres failed");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let pg = Pg { dir, bin, port, as_postgres: root };
        let data = pg.path("data");
        let out =
            pg.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            pg.port,
            pg.dir.path().display()
        );
        let log = pg.path("log");
        let out = pg.run("pg_ctl", &["-D", &data, "-o", &opts, "-l", &log, "-w", "start"]);
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Some(pg)
    }

    /// A file or directory in the cluster's temporary directory.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@127.0.0.1:<port>/<db>`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs SQL statements in database `db` with `psql` (each in its own transaction, so
    /// `CREATE DATABASE` works), stopping at the first error.
    ///
    /// # Panics
    /// When a statement fails.
    pub fn sql(&self, db: &str, statements: &[&str]) {
        for s in statements {
            let out = Command::new(self.bin.join("psql"))
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres"])
                .args(["-p", &self.port.to_string(), "-d", db, "-c", s])
                .output()
                .unwrap();
            assert!(out.status.success(), "psql {s:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.path("data"), "-m", "immediate", "-w", "stop"]);
    }
}
