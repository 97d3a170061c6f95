//! The processes of an end-to-end run, each stopped on drop (by PID, also when a test fails):
//! etcd and kube-apiserver through `scripts/kube-apiserver/`, and `perimeter-guard serve`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn required_env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: run scripts/test.sh, which builds kube-apiserver and etcd \
             (scripts/kube-apiserver/build.sh) and installs kubectl and helm"
        )
    })
}

/// The chart rendered as release `perimeter-guard` in namespace `perimeter-guard`, with `args`.
pub fn helm_template(args: &[&str]) -> String {
    let out = Command::new(required_env("PERIMETER_GUARD_HELM"))
        .args(["template", "perimeter-guard", "charts/perimeter-guard"])
        .args(["--namespace", "perimeter-guard"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("helm runs");
    assert!(
        out.status.success(),
        "helm template {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// etcd and kube-apiserver, stopped on drop.
pub struct Cluster {
    dir: PathBuf,
    pub kubeconfig: PathBuf,
}

impl Cluster {
    /// `extra`: more kube-apiserver flags.
    pub fn start(dir: &Path, extra: &[&str]) -> Cluster {
        for var in ["KUBE_APISERVER", "ETCD"] {
            required_env(var);
        }
        let data = dir.join("cluster");
        let output = Command::new(repo("scripts/kube-apiserver/start.sh"))
            .arg(&data)
            .args(extra)
            .stderr(Stdio::inherit())
            .output()
            .expect("start.sh runs");
        let cluster = Cluster {
            dir: data,
            kubeconfig: PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()),
        };
        assert!(output.status.success(), "start.sh failed");
        cluster
    }

    /// A kubeconfig for `user` (in `groups`), with a client certificate from the cluster's CA:
    /// how the test runs `serve` as the chart's service account, under the chart's RBAC.
    pub fn kubeconfig_for(&self, user: &str, groups: &[&str]) -> PathBuf {
        let pki = self.dir.join("pki");
        let name = user.replace(':', "-");
        let key = self.dir.join(format!("{name}.key"));
        let csr = self.dir.join(format!("{name}.csr"));
        let crt = self.dir.join(format!("{name}.crt"));
        let ext = self.dir.join(format!("{name}.ext"));
        let subject: String =
            groups.iter().map(|g| format!("/O={g}")).collect::<String>() + &format!("/CN={user}");
        std::fs::write(&ext, "extendedKeyUsage=clientAuth\n").expect("ext");
        for args in [
            vec![
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                key.to_str().expect("utf-8"),
            ],
            vec![
                "req",
                "-new",
                "-key",
                key.to_str().expect("utf-8"),
                "-subj",
                &subject,
                "-out",
                csr.to_str().expect("utf-8"),
            ],
            vec![
                "x509",
                "-req",
                "-in",
                csr.to_str().expect("utf-8"),
                "-CA",
                pki.join("ca.crt").to_str().expect("utf-8"),
                "-CAkey",
                pki.join("ca.key").to_str().expect("utf-8"),
                "-CAcreateserial",
                "-days",
                "1",
                "-sha256",
                "-extfile",
                ext.to_str().expect("utf-8"),
                "-out",
                crt.to_str().expect("utf-8"),
            ],
        ] {
            let out = Command::new("openssl")
                .args(&args)
                .output()
                .expect("openssl runs");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let env = std::fs::read_to_string(self.dir.join("env")).expect("DATA_DIR/env");
        let server = env
            .lines()
            .find_map(|l| l.strip_prefix("APISERVER_URL="))
            .expect("APISERVER_URL")
            .trim_matches(|c| c == '\'' || c == '"');
        let path = self.dir.join(format!("{name}.kubeconfig"));
        let config = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: e2e\n  cluster:\n    server: {server}\n    certificate-authority: {}\nusers:\n- name: {user}\n  user:\n    client-certificate: {}\n    client-key: {}\ncontexts:\n- name: e2e\n  context: {{cluster: e2e, user: \"{user}\"}}\ncurrent-context: e2e\n",
            pki.join("ca.crt").display(),
            crt.display(),
            key.display()
        );
        std::fs::write(&path, config).expect("kubeconfig");
        path
    }

    /// `kubectl` against this cluster.
    pub fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> Output {
        use std::io::Write;
        let mut child = Command::new(required_env("KUBECTL"))
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl runs");
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
        drop(input);
        child.wait_with_output().expect("kubectl finishes")
    }

    /// `kubectl` that must succeed; its standard output.
    pub fn kubectl_ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.kubectl(args, stdin);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Cluster {
    /// Stops kube-apiserver and etcd now (drop would do it again, harmlessly).
    pub fn stop(&self) {
        let status = Command::new(repo("scripts/kube-apiserver/stop.sh"))
            .arg(&self.dir)
            .status()
            .expect("stop.sh runs");
        assert!(status.success(), "stop.sh failed");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(repo("scripts/kube-apiserver/stop.sh"))
            .arg(&self.dir)
            .status();
    }
}

/// `perimeter-guard serve` as a local process, stopped on drop.
pub struct Serve {
    child: Child,
    pub health: u16,
}

impl Serve {
    pub fn start(dir: &Path, cert: &str, key: &str, port: u16, kubeconfig: &Path) -> Serve {
        std::fs::write(dir.join("tls.crt"), cert).expect("cert");
        std::fs::write(dir.join("tls.key"), key).expect("key");
        let health = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_perimeter-guard"))
            .args(["serve", "--watch-crds", "--log-format", "text"])
            .arg("--tls-cert-file")
            .arg(dir.join("tls.crt"))
            .arg("--tls-key-file")
            .arg(dir.join("tls.key"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--health-listen", &format!("127.0.0.1:{health}")])
            .args(["--exempt-namespace", "perimeter-guard,kube-system"])
            .env("KUBECONFIG", kubeconfig)
            .env("PERIMETER_GUARD_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("serve starts");
        let serve = Serve { child, health };
        let deadline = Instant::now() + Duration::from_secs(30);
        while serve.get("/readyz").map(|r| r.0) != Some(200) {
            assert!(
                Instant::now() < deadline,
                "serve never became ready: {:?}",
                serve.get("/readyz")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        serve
    }

    /// GET on the health port: status and body.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.health)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
        )
        .ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        Some((status, text.split_once("\r\n\r\n")?.1.to_owned()))
    }

    /// The value of one metric line (exact labels), 0 when absent.
    pub fn metric(&self, line_prefix: &str) -> f64 {
        let text = self.get("/metrics").map(|r| r.1).unwrap_or_default();
        text.lines()
            .find(|l| l.starts_with(line_prefix))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or(0.0)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
