//! Starts a command and measures the time until its `/readyz` answers 200, for the load
//! benchmark's start-up figure. Prints `PID MILLISECONDS` and leaves the command running.
//!
//! `start_until_ready HEALTH_ADDRESS COMMAND [ARGS...]`

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ready(address: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return false;
    };
    let request = format!("GET /readyz HTTP/1.0\r\nHost: {address}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [address, command, rest @ ..] = args.as_slice() else {
        return Err("usage: start_until_ready HEALTH_ADDRESS COMMAND [ARGS...]".into());
    };
    let started = Instant::now();
    let mut child = Command::new(command)
        .args(rest)
        .stdout(Stdio::null())
        .spawn()?;
    while !ready(address) {
        if let Some(status) = child.try_wait()? {
            return Err(format!("{command} exited ({status}) before it was ready").into());
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("{command} was not ready within 30 s").into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    println!(
        "{} {:.1}",
        child.id(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
