//! Our server in-process with an `echo` subsystem, and our client for it; keys from
//! fixed seeds, so these helpers need no OpenSSH programs.

use wirecrypt::Engine;
use wirecrypt_xfer::ssh::{
    AuthorizedKeys, Client, ClientConfig, KeyPair, Server, ServerConfig, ServerHandle,
    SubsystemRegistry,
};

use super::TempDir;

pub const MIB: usize = 1024 * 1024;

pub struct Setup {
    pub dir: TempDir,
    pub server: ServerHandle,
}

pub fn start(rekey: Option<u64>) -> Setup {
    start_with(rekey, |_| {})
}

/// Like [`start`], letting `adjust` change the configuration before the server starts.
pub fn start_with(rekey: Option<u64>, adjust: impl FnOnce(&mut ServerConfig)) -> Setup {
    let dir = TempDir::new("bad");
    // Keys from fixed seeds keep these tests free of ssh-keygen (they run without
    // OpenSSH installed).
    let host = KeyPair::new(ssh_key_from_seed(1)).unwrap();
    let user = KeyPair::new(ssh_key_from_seed(2)).unwrap();
    std::fs::write(
        dir.path("id.pub"),
        user.public_key().to_openssh().unwrap() + "\n",
    )
    .unwrap();
    std::fs::write(dir.path("id"), user_private_pem(2)).unwrap();
    let mut cfg = ServerConfig::new(Engine::builder().build().unwrap(), vec![host.clone()]);
    cfg.auth.authorized_keys = Some(AuthorizedKeys::read_file(&dir.path("id.pub")).unwrap());
    let mut reg = SubsystemRegistry::new();
    reg.register("echo", |mut r, mut w| {
        let _ = std::io::copy(&mut r, &mut w);
    });
    cfg.subsystems = reg;
    cfg.rekey_bytes = rekey;
    adjust(&mut cfg);
    let server = Server::bind("127.0.0.1:0", cfg).unwrap().spawn().unwrap();
    std::fs::write(
        dir.path("known_hosts"),
        format!(
            "[127.0.0.1]:{} {}\n",
            server.local_addr().port(),
            host.public_key().to_openssh().unwrap()
        ),
    )
    .unwrap();
    Setup { dir, server }
}

fn ssh_key_from_seed(seed: u8) -> ssh_key::PrivateKey {
    let kp = ssh_key::private::Ed25519Keypair::from_seed(&[seed; 32]);
    ssh_key::PrivateKey::from(kp)
}

fn user_private_pem(seed: u8) -> String {
    ssh_key_from_seed(seed)
        .to_openssh(ssh_key::LineEnding::LF)
        .unwrap()
        .to_string()
}

pub fn client_config(s: &Setup, rekey: Option<u64>) -> ClientConfig {
    let mut c = ClientConfig::new(
        Engine::builder().build().unwrap(),
        "tester",
        s.dir.path("known_hosts"),
    );
    c.identity = Some(KeyPair::read_openssh_file(&s.dir.path("id")).unwrap());
    c.rekey_bytes = rekey;
    c
}

/// Sends `size` pattern bytes through the echo subsystem at `addr` and checks them.
pub fn echo(addr: std::net::SocketAddr, cfg: ClientConfig, size: usize) -> u32 {
    let client = Client::connect(addr, cfg).unwrap();
    let (mut r, mut w) = client.open_subsystem("echo").unwrap();
    let writer = std::thread::spawn(move || {
        let h = super::send_pattern(&mut w, 21, size, 100_000);
        w.finish().unwrap();
        h
    });
    let (n, got) = super::hash_reader(&mut r);
    assert_eq!(n, size as u64);
    assert_eq!(got, writer.join().unwrap());
    client.info().kex_count()
}
