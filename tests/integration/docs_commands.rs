//! Every command the README, docs/ and the chart's README show runs as shown, and every subcommand
//! they name is one `perimeter-guard --help` lists.
//!
//! Fenced blocks are read whatever their info string. In a block with `$ ` lines (a session) those
//! lines are the commands and the lines after each, up to the next `$ `, are its output. In a
//! block marked `sh`, `bash`, `shell` or `console` without `$ ` lines, every line that is not a
//! comment is a command (`\` continues it). Any other block holds no command, and a line in it
//! that starts like one is an error: mark the block so the command is checked.
//!
//! Each simple command (a pipeline is split at `|`, `&&` and `;` outside brackets) is then:
//! - `perimeter-guard ...`, or `cargo run ... -- ...` mapped to the built binary:
//!   - a **synopsis** when it holds a placeholder (`[...]`, `(a | b)`, `a|b`, `...`, `<...>`,
//!     a capitalised word such as `PATH` or `POLICY.json`), sits in a pipeline, or redirects:
//!     the subcommand must exist and every flag it names must be in `<subcommand> --help`, with
//!     every value it names for a flag that has possible values among them;
//!   - checked the same way, never run, when it needs a cluster or the network (`audit`,
//!     `serve`);
//!   - otherwise **run** from the repository root. It must not exit 2 (a usage or input error),
//!     unless the output the page shows for it is an `error:` line, when it must; where the page
//!     shows output, standard output then standard error must equal it line by line (trailing
//!     blanks ignored).
//! - `scripts/*.sh`: must exist and be executable (never run here: they install, build, bench or
//!   fuzz).
//! - `cargo test --test X`, `cargo bench --bench X`: the target must exist.
//! - `helm`, `kubectl`, `docker` and other tools: not ours and not run; `helm ... --set KEY=...`
//!   keys must be in the chart's values.yaml.
//!
//! In every command, an argument that names a path in the repository (`manifests/...`,
//! `examples/...`, `charts/...`, ...) must exist. Inline code spans outside blocks that start
//! with `perimeter-guard <subcommand>`, `scripts/`, `cargo` or `helm`, and every `--set KEY=...`
//! span, get the same checks, never a run.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_perimeter-guard");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Tools that are not ours: their lines are checked only for repository paths (and, for helm,
/// `--set` keys against values.yaml).
const OTHER_TOOLS: &[&str] = &[
    "helm",
    "kubectl",
    "docker",
    "curl",
    "valgrind",
    "crossplane",
];

/// Directories of the repository; an argument starting with one of them must exist.
const REPO_DIRS: &[&str] = &[
    "benches/",
    "charts/",
    "docs/",
    "examples/",
    "fuzz/",
    "manifests/",
    "scripts/",
    "src/",
    "tests/",
];

/// Longest a documented command may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// The pages whose commands are checked, relative to the repository root.
fn pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_owned()];
    let mut docs: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("docs"))
        .expect("docs/")
        .map(|e| {
            e.expect("docs/ entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages.push("charts/perimeter-guard/README.md".to_owned());
    pages
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Markdown

struct Block {
    /// Line of the opening fence, 1-based.
    line: usize,
    /// The first word of the info string.
    info: String,
    /// The content lines with their line numbers, the fence's indentation removed.
    lines: Vec<(usize, String)>,
}

/// The fenced blocks of a page, and the page with every block's lines blanked (for inline spans,
/// line numbers kept).
fn split_page(text: &str) -> (Vec<Block>, String) {
    let mut blocks = Vec::new();
    let mut prose = Vec::new();
    let mut open: Option<(Block, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = raw.trim_start();
        let indent = raw.len() - trimmed.len();
        match open.take() {
            None if trimmed.starts_with("```") => {
                let info = trimmed
                    .trim_start_matches('`')
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_owned();
                open = Some((
                    Block {
                        line: n,
                        info,
                        lines: Vec::new(),
                    },
                    indent,
                ));
                prose.push(String::new());
            }
            None => prose.push(raw.to_owned()),
            Some((block, _))
                if trimmed.starts_with("```") && trimmed.trim_matches('`').is_empty() =>
            {
                blocks.push(block);
                prose.push(String::new());
            }
            Some((mut block, fence_indent)) => {
                let cut = raw.len() - raw.trim_start().len();
                block
                    .lines
                    .push((n, raw[cut.min(fence_indent)..].to_owned()));
                open = Some((block, fence_indent));
                prose.push(String::new());
            }
        }
    }
    assert!(open.is_none(), "a fenced block is never closed");
    (blocks, prose.join("\n"))
}

/// Inline code spans outside blocks: (line, text), a span's line breaks read as spaces.
fn inline_spans(prose: &str) -> Vec<(usize, String)> {
    let mut spans = Vec::new();
    let mut rest = prose;
    let mut offset = 0;
    while let Some(start) = rest.find('`') {
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let fence = "`".repeat(ticks);
        let body_start = start + ticks;
        let Some(len) = rest[body_start..].find(&fence) else {
            break;
        };
        let body = &rest[body_start..body_start + len];
        let line = prose[..offset + start].matches('\n').count() + 1;
        spans.push((line, body.replace('\n', " ").trim().to_owned()));
        let consumed = body_start + len + ticks;
        offset += consumed;
        rest = &rest[consumed..];
    }
    spans
}

/// A command shown on a page.
struct Shown {
    line: usize,
    text: String,
    /// The output shown after it in a session block; `None` when none is shown.
    output: Option<Vec<String>>,
    /// From an inline span: checked, never run.
    inline: bool,
}

fn looks_like_a_command(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("perimeter-guard ")
        || line.starts_with("cargo ")
        || line.starts_with("scripts/")
        || line.starts_with("./scripts/")
}

/// The commands of a page's blocks; lines that look like commands in blocks that are not
/// command blocks go to `failures`.
fn block_commands(file: &str, blocks: &[Block], failures: &mut Vec<String>) -> Vec<Shown> {
    let mut shown = Vec::new();
    for block in blocks {
        let session = block.lines.iter().any(|(_, l)| l.starts_with("$ "));
        let script = matches!(block.info.as_str(), "sh" | "bash" | "shell" | "console");
        if session {
            let mut lines = block.lines.iter();
            let mut current: Option<Shown> = None;
            while let Some((n, l)) = lines.next() {
                if let Some(command) = l.strip_prefix("$ ") {
                    if let Some(done) = current.take() {
                        shown.push(done);
                    }
                    let mut text = command.to_owned();
                    while text.ends_with('\\') {
                        text.pop();
                        match lines.next() {
                            Some((_, next)) => text.push_str(next),
                            None => break,
                        }
                    }
                    current = Some(Shown {
                        line: *n,
                        text,
                        output: Some(Vec::new()),
                        inline: false,
                    });
                } else if let Some(Shown {
                    output: Some(output),
                    ..
                }) = current.as_mut()
                {
                    output.push(l.clone());
                } else if !l.trim().is_empty() {
                    failures.push(format!(
                        "{file}:{n}: output before any `$ ` command in a session block: {l}"
                    ));
                }
            }
            if let Some(done) = current.take() {
                shown.push(done);
            }
        } else if script {
            let mut lines = block.lines.iter();
            while let Some((n, l)) = lines.next() {
                if l.trim().is_empty() || l.trim_start().starts_with('#') {
                    continue;
                }
                let mut text = l.clone();
                while text.trim_end().ends_with('\\') {
                    text = text.trim_end().trim_end_matches('\\').to_owned();
                    match lines.next() {
                        Some((_, next)) => text.push_str(next),
                        None => break,
                    }
                }
                shown.push(Shown {
                    line: *n,
                    text,
                    output: None,
                    inline: false,
                });
            }
        } else {
            for (n, l) in &block.lines {
                if looks_like_a_command(l) {
                    failures.push(format!(
                        "{file}:{n}: a command in a ```{} block (opened at line {}), which this \
                         test does not run: mark the block `sh` (commands) or `console` (`$ ` \
                         lines and their output): {l}",
                        block.info, block.line
                    ));
                }
            }
        }
    }
    for s in &mut shown {
        if let Some(output) = &mut s.output {
            for l in output.iter_mut() {
                *l = l.trim_end().to_owned();
            }
            while output.last().is_some_and(|l| l.is_empty()) {
                output.pop();
            }
            while output.first().is_some_and(|l| l.is_empty()) {
                output.remove(0);
            }
            if output.is_empty() {
                s.output = None;
            }
        }
    }
    shown
}

/// Inline spans that are commands.
fn inline_commands(prose: &str) -> Vec<Shown> {
    inline_spans(prose)
        .into_iter()
        .filter(|(_, span)| {
            // Leading environment assignments (`NAME=value cargo bench ...`) are skipped.
            let mut words = span
                .split_whitespace()
                .skip_while(|w| w.split_once('=').is_some_and(|(k, _)| is_env_name(k)));
            let first = words.next().unwrap_or("");
            let second = words.next().unwrap_or("");
            (first == "perimeter-guard"
                && second.starts_with(|c: char| c.is_ascii_lowercase())
                && second.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
                || first.starts_with("scripts/")
                || first == "cargo"
                || first == "helm"
                || first == "--set"
                || first == "--set-string"
        })
        .map(|(line, text)| Shown {
            line,
            text,
            output: None,
            inline: true,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Shell words

/// Words of a command line: quotes and backslashes honoured, an unquoted `#` starting a word ends
/// the line.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                    in_word = true;
                }
            }
            (None, '#') if !in_word => break,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// A command line split into simple commands at `|`, `||`, `&&` and `;` outside brackets (the
/// `|` of `(--perimeter FILE | --from-cluster)` separates alternatives, not commands).
fn simple_commands(words: &[String]) -> Vec<Vec<String>> {
    let mut commands = vec![Vec::new()];
    let mut depth = 0i32;
    for w in words {
        if depth == 0 && matches!(w.as_str(), "|" | "||" | "&&" | ";") {
            commands.push(Vec::new());
            continue;
        }
        for c in w.chars() {
            match c {
                '[' | '(' | '{' => depth += 1,
                ']' | ')' | '}' => depth -= 1,
                _ => {}
            }
        }
        commands
            .last_mut()
            .expect("one command at least")
            .push(w.clone());
    }
    commands.retain(|c| !c.is_empty());
    commands
}

/// Whether a word of a command stands for something to fill in rather than a real value.
fn is_placeholder(word: &str) -> bool {
    if word.contains("...")
        || word.contains(['<', '>', '|', '[', ']', '(', ')'])
        || word.contains('…')
    {
        return true;
    }
    // `PATH`, `FILE`, `NS`, `POLICY.json`, `--perimeter=PATH`.
    let value = word.rsplit('=').next().unwrap_or(word);
    let stem = value.split('.').next().unwrap_or(value);
    stem.len() >= 2
        && stem.starts_with(|c: char| c.is_ascii_uppercase())
        && stem
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn is_flag(word: &str) -> bool {
    word.len() > 1 && word.starts_with('-') && !word.starts_with("---")
}

/// The flags a command names, with the value written after each (`--flag value`,
/// `--flag=value`), brackets stripped.
fn flags(args: &[String]) -> Vec<(String, Option<String>)> {
    let strip = |w: &str| {
        w.trim_matches(|c| matches!(c, '[' | ']' | '(' | ')'))
            .to_owned()
    };
    let mut found = Vec::new();
    for (i, raw) in args.iter().enumerate() {
        let w = strip(raw);
        if !is_flag(&w) || w == "--" {
            continue;
        }
        if let Some((flag, value)) = w.split_once('=') {
            found.push((flag.to_owned(), Some(value.to_owned())));
            continue;
        }
        // The value that follows, unless the flag is closed by a bracket (`[--watch-crds]`).
        let closed = raw.ends_with([']', ')']);
        let value = args
            .get(i + 1)
            .filter(|_| !closed)
            .map(|v| strip(v))
            .filter(|v| !v.is_empty() && !is_flag(v) && v != "|");
        found.push((w, value));
    }
    found
}

// ---------------------------------------------------------------------------------------------
// The binary

struct Binary {
    help: HashMap<String, Result<String, String>>,
}

impl Binary {
    fn new() -> Self {
        Self {
            help: HashMap::new(),
        }
    }

    /// `perimeter-guard [subcommand] --help`, or why there is none.
    fn help(&mut self, subcommand: Option<&str>) -> Result<String, String> {
        let key = subcommand.unwrap_or("").to_owned();
        self.help
            .entry(key)
            .or_insert_with(|| {
                let mut args: Vec<&str> = subcommand.into_iter().collect();
                args.push("--help");
                let out = Command::new(BIN)
                    .args(&args)
                    .current_dir(ROOT)
                    .stdin(Stdio::null())
                    .output()
                    .expect("the binary starts");
                if out.status.success() {
                    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
                } else {
                    Err(format!(
                        "`perimeter-guard {} --help` fails ({}): {}",
                        subcommand.unwrap_or(""),
                        out.status,
                        String::from_utf8_lossy(&out.stderr).trim()
                    ))
                }
            })
            .clone()
    }

    /// The subcommands `perimeter-guard --help` lists.
    fn listed_subcommands(&mut self) -> BTreeSet<String> {
        let help = self.help(None).expect("perimeter-guard --help");
        help.lines()
            .skip_while(|l| l.trim() != "Commands:")
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .filter(|name| name != "help")
            .collect()
    }
}

/// The entry of `flag` in a help text: its line and the description lines under it.
fn help_entry<'a>(help: &'a str, flag: &str) -> Option<Vec<&'a str>> {
    let is_option_line = |l: &str| {
        let t = l.trim_start();
        l.starts_with(' ')
            && (t.starts_with("--") || (t.starts_with('-') && t.get(2..4) == Some(", ")))
    };
    let names = |l: &str| -> Vec<String> {
        l.split_whitespace()
            .take_while(|w| w.starts_with('-'))
            .map(|w| w.trim_end_matches(',').to_owned())
            .collect()
    };
    let lines: Vec<&str> = help.lines().collect();
    let start = lines
        .iter()
        .position(|l| is_option_line(l) && names(l).iter().any(|n| n == flag))?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| is_option_line(l) || (!l.starts_with(' ') && !l.trim().is_empty()))
        .map_or(lines.len(), |p| start + 1 + p);
    Some(lines[start..end].to_vec())
}

/// Problems with the subcommand and flags of `perimeter-guard <args>` against its help.
fn check_against_help(bin: &mut Binary, args: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let subcommand = args.iter().find(|a| !is_flag(a)).cloned();
    let help = match bin.help(subcommand.as_deref()) {
        Ok(help) => help,
        Err(e) => return vec![e],
    };
    let named = |sub: &Option<String>| match sub {
        Some(s) => format!("perimeter-guard {s} --help"),
        None => "perimeter-guard --help".to_owned(),
    };
    for (flag, value) in flags(args) {
        let Some(entry) = help_entry(&help, &flag) else {
            problems.push(format!("{flag} is not in `{}`", named(&subcommand)));
            continue;
        };
        let text = entry.join("\n");
        let Some(value) = value else { continue };
        if !text.to_lowercase().contains("possible values") {
            continue;
        }
        let choices: Vec<&str> = value.split('|').collect();
        if choices.iter().any(|c| is_placeholder(c) || c.is_empty()) {
            continue;
        }
        for choice in choices {
            let listed = text
                .split(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | ':'))
                .any(|w| w == choice);
            if !listed {
                problems.push(format!(
                    "{flag} {choice}: not a possible value in `{}`",
                    named(&subcommand)
                ));
            }
        }
    }
    problems
}

/// Runs the binary from the repository root: exit status, standard output, standard error.
fn run(args: &[String], env: &[(String, String)]) -> Result<(ExitStatus, String, String), String> {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(ROOT)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars() {
        if key.starts_with("PERIMETER_GUARD_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().map(|(k, v)| (k, v)));
    let mut child = command.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {RUN_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok((
        status,
        stdout.join().expect("stdout reader"),
        stderr.join().expect("stderr reader"),
    ))
}

// ---------------------------------------------------------------------------------------------
// The chart's values

/// Every key path of values.yaml, and those whose value is a free-form map (`{}`).
fn values_keys() -> (BTreeSet<String>, BTreeSet<String>) {
    let text = read("charts/perimeter-guard/values.yaml");
    let mut keys = BTreeSet::new();
    let mut free = BTreeSet::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('-') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let Some((key, rest)) = trimmed.split_once(':') else {
            continue;
        };
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            continue;
        }
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        stack.push((indent, key.to_owned()));
        let path = stack
            .iter()
            .map(|(_, k)| k.as_str())
            .collect::<Vec<_>>()
            .join(".");
        if rest.split('#').next().unwrap_or("").trim() == "{}" {
            free.insert(path.clone());
        }
        keys.insert(path);
    }
    (keys, free)
}

/// Problems with the `--set KEY=...` keys of a helm command.
fn check_set_keys(words: &[String]) -> Vec<String> {
    let (keys, free) = values_keys();
    let mut problems = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let assignment = match w.as_str() {
            "--set" | "--set-string" => words.get(i + 1).cloned(),
            _ => w
                .strip_prefix("--set=")
                .or_else(|| w.strip_prefix("--set-string="))
                .map(str::to_owned),
        };
        let Some(assignment) = assignment else {
            continue;
        };
        for pair in assignment.split(',') {
            let Some((key, _)) = pair.split_once('=') else {
                continue;
            };
            let key: String = key
                .split('.')
                .map(|part| part.split('[').next().unwrap_or(part))
                .collect::<Vec<_>>()
                .join(".");
            let parts: Vec<&str> = key.split('.').collect();
            let under_free_map = (1..parts.len()).any(|n| free.contains(&parts[..n].join(".")));
            if !keys.contains(&key) && !under_free_map {
                problems.push(format!(
                    "--set {key}: no such key in charts/perimeter-guard/values.yaml"
                ));
            }
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// Checking one command

/// What a simple command is, once environment assignments are stripped.
enum Kind {
    /// `perimeter-guard` (or `cargo run -- ...`), with its arguments.
    Ours(Vec<String>),
    Script(String),
    CargoTarget {
        flag: &'static str,
        name: String,
    },
    Cargo,
    Helm,
    OtherTool,
    Unknown(String),
}

fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn classify(words: &[String]) -> (Vec<(String, String)>, Kind) {
    let mut env = Vec::new();
    let mut words = words;
    while let Some((first, rest)) = words.split_first() {
        match first.split_once('=') {
            Some((k, v)) if is_env_name(k) => {
                env.push((k.to_owned(), v.to_owned()));
                words = rest;
            }
            _ => break,
        }
    }
    let Some((program, args)) = words.split_first() else {
        return (env, Kind::Unknown(String::new()));
    };
    let program = program.as_str();
    let kind = if program == "perimeter-guard" {
        Kind::Ours(args.to_vec())
    } else if program == "cargo" && args.first().is_some_and(|a| a == "run") {
        let rest = args.iter().skip_while(|a| *a != "--").skip(1).cloned();
        Kind::Ours(rest.collect())
    } else if program == "cargo" {
        let target = args.windows(2).find_map(|w| match w[0].as_str() {
            "--test" => Some(("--test", w[1].clone())),
            "--bench" => Some(("--bench", w[1].clone())),
            _ => None,
        });
        match target {
            Some((flag, name)) => Kind::CargoTarget { flag, name },
            None => Kind::Cargo,
        }
    } else if program.trim_start_matches("./").starts_with("scripts/") {
        Kind::Script(program.trim_start_matches("./").to_owned())
    } else if program == "helm" {
        Kind::Helm
    } else if OTHER_TOOLS.contains(&program) {
        Kind::OtherTool
    } else if program.starts_with("--set") {
        // An inline `--set KEY=...` span, part of a helm command.
        Kind::Helm
    } else {
        Kind::Unknown(program.to_owned())
    };
    (env, kind)
}

fn cargo_target_exists(flag: &str, name: &str) -> bool {
    let root = Path::new(ROOT);
    let manifest = read("Cargo.toml");
    let declared = manifest.contains(&format!("name = \"{name}\""));
    match flag {
        "--test" => {
            declared
                || root.join(format!("tests/{name}.rs")).is_file()
                || root.join(format!("tests/{name}/main.rs")).is_file()
        }
        _ => declared || root.join(format!("benches/{name}.rs")).is_file(),
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The outcome of checking the commands of every page.
#[derive(Default)]
struct Checked {
    failures: Vec<String>,
    ran: Vec<String>,
    subcommands: BTreeMap<String, String>,
}

fn check_command(bin: &mut Binary, file: &str, shown: &Shown, checked: &mut Checked) {
    let one_line = shown.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = format!("{file}:{}: `{one_line}`", shown.line);
    let all = words(&shown.text);
    let commands = simple_commands(&all);
    let pipeline = commands.len() > 1;
    for command in &commands {
        let (env, kind) = classify(command);
        for w in command {
            let path = w.trim_start_matches("./");
            if REPO_DIRS.iter().any(|d| path.starts_with(d))
                && !is_placeholder(path)
                && !Path::new(ROOT).join(path).exists()
            {
                checked
                    .failures
                    .push(format!("{at}: {path} does not exist"));
            }
        }
        match kind {
            Kind::Ours(args) => {
                if let Some(sub) = args.iter().find(|a| !is_flag(a)) {
                    checked
                        .subcommands
                        .entry(sub.clone())
                        .or_insert_with(|| at.clone());
                }
                let synopsis = pipeline
                    || shown.inline
                    || args.iter().any(|a| is_placeholder(a) || a.starts_with('>'));
                let needs_cluster = args
                    .iter()
                    .find(|a| !is_flag(a))
                    .is_some_and(|s| s == "audit" || s == "serve");
                let problems = check_against_help(bin, &args);
                let wrong = !problems.is_empty();
                for problem in problems {
                    checked.failures.push(format!("{at}: {problem}"));
                }
                if synopsis || needs_cluster || wrong {
                    continue;
                }
                run_concrete(&at, &args, &env, shown.output.as_deref(), checked);
            }
            Kind::Script(path) => {
                // A missing script is reported with the paths above.
                let file = Path::new(ROOT).join(&path);
                if file.exists() && !is_executable(&file) {
                    checked
                        .failures
                        .push(format!("{at}: {path} is not an executable file"));
                }
            }
            Kind::CargoTarget { flag, name } => {
                if !cargo_target_exists(flag, &name) {
                    checked
                        .failures
                        .push(format!("{at}: there is no {flag} target {name}"));
                }
            }
            Kind::Helm => {
                for problem in check_set_keys(command) {
                    checked.failures.push(format!("{at}: {problem}"));
                }
            }
            Kind::Cargo | Kind::OtherTool => {}
            Kind::Unknown(program) => checked.failures.push(format!(
                "{at}: `{program}` is a program this test does not know how to check; teach it \
                 (tests/docs_commands.rs) or show the command differently"
            )),
        }
    }
}

fn run_concrete(
    at: &str,
    args: &[String],
    env: &[(String, String)],
    shown: Option<&[String]>,
    checked: &mut Checked,
) {
    checked.ran.push(at.to_owned());
    let (status, stdout, stderr) = match run(args, env) {
        Ok(result) => result,
        Err(e) => {
            checked.failures.push(format!("{at}: {e}"));
            return;
        }
    };
    let shows_an_error = shown
        .and_then(|lines| lines.first())
        .is_some_and(|l| l.starts_with("error:"));
    match status.code() {
        Some(2) if shows_an_error => {}
        Some(2) => {
            checked.failures.push(format!(
                "{at}: exits 2 (usage or input error): {}",
                stderr.trim()
            ));
            return;
        }
        Some(code) if shows_an_error => {
            checked.failures.push(format!(
                "{at}: the page shows an input error, but it exits {code}"
            ));
        }
        Some(0 | 1) => {}
        _ => {
            checked
                .failures
                .push(format!("{at}: ends with {status}: {}", stderr.trim()));
            return;
        }
    }
    let Some(expected) = shown else { return };
    let mut actual: Vec<String> = stdout
        .lines()
        .chain(stderr.lines())
        .map(|l| l.trim_end().to_owned())
        .collect();
    while actual.last().is_some_and(|l| l.is_empty()) {
        actual.pop();
    }
    if actual != expected {
        checked.failures.push(format!(
            "{at}: the page shows\n{}\nbut it prints\n{}",
            indent(expected),
            indent(&actual)
        ));
    }
}

fn indent(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_every_page() -> Checked {
    let mut bin = Binary::new();
    let mut checked = Checked::default();
    for file in pages() {
        let text = read(&file);
        let (blocks, prose) = split_page(&text);
        let mut shown = block_commands(&file, &blocks, &mut checked.failures);
        shown.extend(inline_commands(&prose));
        for s in &shown {
            check_command(&mut bin, &file, s, &mut checked);
        }
    }
    checked
}

fn report(failures: &[String]) -> String {
    format!(
        "{} problem(s) with the commands the docs show:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    )
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn every_command_the_docs_show_runs_as_shown() {
    let checked = check_every_page();
    assert!(checked.failures.is_empty(), "{}", report(&checked.failures));
    // The README's quick start and its worked examples are among the commands run, so a change
    // in how blocks are read cannot quietly check nothing.
    for expected in [
        "README.md:16: `cargo run --release -- check",
        "`perimeter-guard analyze --kind bucket-policy",
        "`perimeter-guard simulate --kind bucket-policy",
    ] {
        assert!(
            checked.ran.iter().any(|r| r.contains(expected)),
            "no command run matches {expected:?}; run: {:#?}",
            checked.ran
        );
    }
}

#[test]
fn every_subcommand_the_docs_name_is_listed_in_help() {
    let checked = check_every_page();
    let mut bin = Binary::new();
    let listed = bin.listed_subcommands();
    assert!(listed.contains("check"), "--help lists {listed:?}");
    let mut failures = Vec::new();
    for (sub, at) in &checked.subcommands {
        if listed.contains(sub) {
            continue;
        }
        failures.push(format!(
            "{at}: `{sub}` is not listed in `perimeter-guard --help` ({})",
            listed.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    assert!(failures.is_empty(), "{}", report(&failures));
}

#[test]
fn lines_are_classified_as_the_module_says() {
    let ours = |line: &str| -> (bool, Vec<String>) {
        let all = words(line);
        let commands = simple_commands(&all);
        let piped = commands.len() > 1;
        let last = commands.last().expect("a command");
        match classify(last).1 {
            Kind::Ours(args) => (piped || args.iter().any(|a| is_placeholder(a)), args),
            _ => panic!("not ours: {line}"),
        }
    };
    // Synopses.
    assert!(
        ours("perimeter-guard audit [--kubeconfig FILE] (--perimeter FILE | --from-cluster)").0
    );
    assert!(ours("perimeter-guard analyze --kind bucket-policy|endpoint-policy x.json").0);
    assert!(ours("perimeter-guard check --perimeter PERIMETER.yaml -f FILE").0);
    assert!(ours("perimeter-guard analyze --endpoint-id vpce-... p.json").0);
    assert!(ours("helm template ... | perimeter-guard check --perimeter perimeter.yaml -f -").0);
    // Concrete commands, `cargo run` mapped to the binary, comments dropped.
    let (synopsis, args) = ours(
        "cargo run --release -- check --perimeter manifests/examples/dataperimeter.yaml -f manifests/examples  # all",
    );
    assert!(!synopsis);
    assert_eq!(
        args,
        [
            "check",
            "--perimeter",
            "manifests/examples/dataperimeter.yaml",
            "-f",
            "manifests/examples"
        ]
    );
    // A bracketed alternative is one command, not a pipeline.
    assert_eq!(
        simple_commands(&words(
            "perimeter-guard audit (--perimeter FILE | --from-cluster)"
        ))
        .len(),
        1
    );
    // Flags, with their values, through brackets.
    assert_eq!(
        flags(&words(
            "[--output text|json] [--watch-crds] -f - --fail-on=never"
        )),
        [
            ("--output".to_owned(), Some("text|json".to_owned())),
            ("--watch-crds".to_owned(), None),
            ("-f".to_owned(), Some("-".to_owned())),
            ("--fail-on".to_owned(), Some("never".to_owned())),
        ]
    );
    // Environment assignments are not the program.
    let (env, kind) = classify(&words("PERIMETER_GUARD_LOG=debug perimeter-guard version"));
    assert_eq!(
        env,
        [("PERIMETER_GUARD_LOG".to_owned(), "debug".to_owned())]
    );
    assert!(matches!(kind, Kind::Ours(_)));
}

#[test]
fn help_entries_and_values_are_found() {
    let mut bin = Binary::new();
    let args = |line: &str| words(line);
    assert!(
        check_against_help(&mut bin, &args("check --perimeter x -f y --output sarif")).is_empty()
    );
    assert_eq!(
        check_against_help(&mut bin, &args("check --output yaml --nope")),
        [
            "--output yaml: not a possible value in `perimeter-guard check --help`",
            "--nope is not in `perimeter-guard check --help`"
        ]
    );
    // Long help, values listed one per line.
    assert!(
        check_against_help(&mut bin, &args("audit --output summary --from-cluster")).is_empty()
    );
    assert_eq!(
        check_set_keys(&args(
            "helm install x --set image.tag=1 --set imgae.tag=1 --set perimeters.corp.x=1"
        )),
        ["--set imgae.tag: no such key in charts/perimeter-guard/values.yaml"]
    );
}
